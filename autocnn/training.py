"""The training loop: mini-batch gradient descent with a progress bar, metrics and outputs.

This is the loop every course writes on the board, kept short enough to read:

    for epoch in range(epochs):
        for images, labels in loader:            # a shuffled mini-batch
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()                      # the engine fills every .grad
            optimizer.step()                     # one step down the gradient

``fit`` runs it, shows one progress bar per epoch (loss, accuracy and images per second,
written here without any progress-bar library), evaluates on the test set after every epoch
and returns a ``History`` that writes itself as CSV or JSON. ``evaluate`` measures a model
in evaluation mode without recording a graph. ``save_model`` / ``load_model`` keep a model's
weights (``.npz``) with a JSON sidecar naming its architecture and data, and the ``plot_*``
functions draw the learning curves, the learned filters and the feature maps of one image
(they need matplotlib, the ``[plot]`` extra). The ``autocnn train`` command is a thin layer
over this module. Sits at the top of DESIGN.md's ladder, beside ``autocnn.data``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import IO, Any

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.data.dataset import ArrayDataset
from autocnn.data.loader import DataLoader

LossFn = Callable[[Tensor, Tensor], Tensor]


# --------------------------------------------------------------------------------- metrics
def accuracy(logits: Tensor | np.ndarray, labels: Tensor | np.ndarray) -> float:
    """The fraction of rows of ``logits`` (N, classes) whose largest entry is the label."""
    scores = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    target = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if scores.ndim != 2 or target.shape != scores.shape[:1]:
        raise ValueError(
            f"accuracy: expected 'logits' (N, classes) and 'labels' (N,), got shapes "
            f"{list(scores.shape)} and {list(target.shape)}"
        )
    return float(np.mean(scores.argmax(axis=1) == target)) if target.size else math.nan


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``m[i, j]`` = how many images of class i were predicted as class j."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"confusion_matrix: 'labels' and 'predictions' must have the same shape, got "
            f"{list(labels.shape)} and {list(predictions.shape)}"
        )
    return np.bincount(labels * num_classes + predictions,
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


# ---------------------------------------------------------------------------- progress bar
class ProgressBar:
    """A one-line progress bar: ``epoch 2/5 [#######-------] 17/40 loss 0.41 acc 88.1% ...``.

    On a terminal the line is redrawn in place (at most every ``min_interval`` seconds);
    on anything else (a file, a pipe, a notebook's captured output) only the final line is
    written, so logs stay clean. ``update(n, **values)`` advances by n steps and shows the
    given values; ``close(**values)`` writes the final line and a newline.
    """

    def __init__(self, total: int, description: str = "", stream: IO[str] | None = None,
                 width: int = 24, min_interval: float = 0.1) -> None:
        self.total = max(int(total), 0)
        self.description = description
        self.stream = stream if stream is not None else sys.stdout
        self.width = width
        self.min_interval = min_interval
        self.count = 0
        self.values: dict[str, Any] = {}
        self._last_draw = 0.0
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty())

    def render(self) -> str:
        """The current line of text (without a carriage return)."""
        done = min(self.count, self.total)
        filled = self.width * done // self.total if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        parts = [p for p in (self.description, f"[{bar}] {self.count}/{self.total}") if p]
        parts += [f"{k} {_format_value(k, v)}" for k, v in self.values.items()]
        return " ".join(parts)

    def update(self, n: int = 1, **values: Any) -> None:
        """Advance by ``n`` steps and show ``values`` (e.g. ``loss=0.3, acc=0.9``)."""
        self.count += n
        self.values.update(values)
        now = time.perf_counter()
        if self.live and (now - self._last_draw >= self.min_interval or self.count >= self.total):
            self._last_draw = now
            # a line longer than the terminal would wrap, and "\r" would then only go back
            # to the start of its last row: cut it to the width (the final line is whole)
            columns = shutil.get_terminal_size().columns
            self.stream.write("\r" + self.render()[: max(columns - 1, 20)])
            self.stream.flush()

    def close(self, **values: Any) -> None:
        """Show ``values`` and end the line."""
        self.values.update(values)
        # on a terminal: back to the start and clear the cut line before the whole one
        self.stream.write(("\r\033[K" if self.live else "") + self.render() + "\n")
        self.stream.flush()


def _format_value(key: str, value: Any) -> str:
    if isinstance(value, float):
        if key in ("acc", "test_acc", "accuracy"):
            return f"{100 * value:.1f}%"
        if key == "img/s":
            return f"{value:,.0f}"
        if key == "time":
            return f"{value:.1f}s"
        return f"{value:.4f}"
    return str(value)


# ------------------------------------------------------------------------------- history
@dataclass
class EpochRecord:
    """What one epoch measured."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float
    images_per_second: float


@dataclass
class History:
    """The ``EpochRecord`` of every epoch of a ``fit``, in order."""

    records: list[EpochRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> EpochRecord:
        return self.records[i]

    def column(self, name: str) -> list[float]:
        """One metric over the epochs, e.g. ``history.column("test_accuracy")``."""
        return [getattr(r, name) for r in self.records]

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write one row per epoch (header = the ``EpochRecord`` field names)."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow([f.name for f in fields(EpochRecord)])
            for r in self.records:
                writer.writerow(list(asdict(r).values()))
        return path

    def to_json(self, path: str | os.PathLike, **extra: Any) -> Path:
        """Write ``{"epochs": [...], **extra}`` as JSON."""
        path = Path(path)
        payload = {"epochs": [asdict(r) for r in self.records], **extra}
        path.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n",
                        encoding="utf-8")
        return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# ------------------------------------------------------------------------- the loop itself
def _loader(data: ArrayDataset | DataLoader | tuple, batch_size: int, shuffle: bool) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def default_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Cross-entropy of the logits against integer class labels (mean over the batch)."""
    from autocnn.functional import cross_entropy

    return cross_entropy(logits, labels)


def cosine_lr(base_lr: float, epoch: int, epochs: int) -> float:
    """The learning rate of epoch ``epoch`` (1-based) of ``epochs`` on a half cosine.

    lr = base_lr · ½ (1 + cos(π (epoch − 1) / epochs)): the full rate in the first epoch,
    falling smoothly towards zero, so the last epochs take small, careful steps.
    """
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))


def evaluate(model: Any, data: ArrayDataset | DataLoader | tuple, batch_size: int = 500,
             loss_fn: LossFn | None = None) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``data``, in evaluation mode, with no graph.

    The model's previous mode (training or evaluation) is restored afterwards. Returns
    ``{"loss": ..., "accuracy": ..., "count": ...}``.
    """
    loss_fn = loss_fn or default_loss
    loader = _loader(data, batch_size, shuffle=False)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with no_grad():
            for images, labels in loader:
                logits = model(images)
                n = len(labels.data)
                total_loss += float(loss_fn(logits, labels).item()) * n
                correct += int(np.sum(logits.data.argmax(axis=1) == labels.data))
                count += n
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    if not count:
        return {"loss": math.nan, "accuracy": math.nan, "count": 0}
    return {"loss": total_loss / count, "accuracy": correct / count, "count": count}


def predict(model: Any, images: np.ndarray | Tensor, batch_size: int = 500) -> np.ndarray:
    """The model's output (e.g. logits) for ``images``, in evaluation mode, as an array."""
    arr = np.asarray(images.data if isinstance(images, Tensor) else images)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            outs = [model(Tensor(arr[i : i + batch_size])).data
                    for i in range(0, len(arr), batch_size)]
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    return np.concatenate(outs) if outs else np.zeros((0,))


def train_epoch(model: Any, loader: DataLoader, optimizer: Any, loss_fn: LossFn | None = None,
                progress: ProgressBar | None = None) -> dict[str, float]:
    """One pass of mini-batch gradient descent over ``loader``.

    Returns the mean training loss and accuracy (measured on each batch as it was seen, in
    training mode), the seconds taken and the images per second.
    """
    loss_fn = loss_fn or default_loss
    if hasattr(model, "train"):
        model.train()
    total_loss, correct, count = 0.0, 0, 0
    start = time.perf_counter()
    for images, labels in loader:
        # a learning rate that is too large overflows somewhere in the step: NumPy's
        # RuntimeWarnings would only repeat, less clearly, what the check below reports
        with np.errstate(all="ignore"):
            optimizer.zero_grad()
            logits = model(images)
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
        n = len(labels.data)
        batch_loss = float(loss.item())
        if not math.isfinite(batch_loss):
            raise FloatingPointError(
                f"train_epoch: the loss became {batch_loss} after {count + n} images; lower "
                "the learning rate"
            )
        total_loss += batch_loss * n
        correct += int(np.sum(logits.data.argmax(axis=1) == labels.data))
        count += n
        if progress is not None:
            elapsed = time.perf_counter() - start
            progress.update(1, loss=total_loss / count, acc=correct / count,
                            **{"img/s": count / max(elapsed, 1e-9)})
    seconds = time.perf_counter() - start
    return {
        "loss": total_loss / count if count else math.nan,
        "accuracy": correct / count if count else math.nan,
        "seconds": seconds,
        "images_per_second": count / max(seconds, 1e-9),
    }


def fit(
    model: Any,
    train_data: ArrayDataset | DataLoader | tuple,
    optimizer: Any,
    epochs: int = 5,
    test_data: ArrayDataset | DataLoader | tuple | None = None,
    batch_size: int = 64,
    loss_fn: LossFn | None = None,
    stream: IO[str] | None = None,
    progress: bool = True,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    lr_schedule: str | None = None,
    report: str | os.PathLike | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; a ``History``.

    ``train_data`` (and ``test_data``) is an ``ArrayDataset``, a pair of arrays or a ready
    ``DataLoader``; datasets are shuffled every epoch with the package generator. After each
    epoch the model is evaluated on ``test_data`` (when given) and the progress bar's line
    ends with the test accuracy. ``progress=False`` prints nothing. ``on_epoch`` is called
    with each ``EpochRecord``. ``lr_schedule="cosine"`` lowers the learning rate of every
    parameter group from its starting value along half a cosine, one step per epoch (see
    ``cosine_lr``); ``None`` keeps it constant. ``report`` is a path: after training, the
    run's one-page HTML report is written there (``autocnn.report``; needs ``test_data``).
    """
    if report is not None and test_data is None:
        raise ValueError("fit: 'report' needs 'test_data' (the report shows test results)")
    if lr_schedule not in (None, "cosine"):
        raise ValueError(f"fit: unknown 'lr_schedule' {lr_schedule!r}; valid: None, 'cosine'")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: expected 'epochs' to be an int >= 1, got {epochs!r}")
    loader = _loader(train_data, batch_size, shuffle=True)
    stream = stream if stream is not None else sys.stdout
    history = History()
    base_lrs = [group["lr"] for group in optimizer.param_groups] if lr_schedule else []
    for epoch in range(1, int(epochs) + 1):
        for group, base in zip(optimizer.param_groups if lr_schedule else (), base_lrs):
            group["lr"] = cosine_lr(base, epoch, int(epochs))
        bar = (ProgressBar(len(loader), f"epoch {epoch}/{epochs}", stream)
               if progress else None)
        trained = train_epoch(model, loader, optimizer, loss_fn, bar)
        with np.errstate(all="ignore"):  # weights spoilt by the last step: checked below
            tested = (evaluate(model, test_data, loss_fn=loss_fn) if test_data is not None
                      else {"loss": math.nan, "accuracy": math.nan, "count": 0})
        if tested["count"] and not math.isfinite(tested["loss"]):
            raise FloatingPointError(
                f"fit: the test loss became {tested['loss']} after epoch {epoch}; lower the "
                "learning rate"
            )
        record = EpochRecord(epoch, trained["loss"], trained["accuracy"], tested["loss"],
                             tested["accuracy"], trained["seconds"],
                             trained["images_per_second"])
        history.records.append(record)
        if bar is not None:
            shown: dict[str, Any] = {"time": trained["seconds"]}
            if test_data is not None:
                shown["test_acc"] = tested["accuracy"]
            bar.close(**shown)
        if on_epoch is not None:
            on_epoch(record)
    if report is not None:
        from autocnn.report import write_report

        write_report(report, model, history, test_data)
    return history


# ------------------------------------------------------------------------- BLAS threads
_BLAS_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_",
                 "scipy_openblas_set_num_threads", "scipy_openblas_set_num_threads64_")


def limit_blas_threads(threads: int = 1) -> dict[str, Any]:
    """Ask the OpenBLAS library NumPy loaded to use ``threads`` threads; what was done.

    A CNN on small images multiplies small matrices, where BLAS threads gain little; on a
    busy machine (other processes on the same cores) they spin and wait for each other and
    a training step can become ten times slower. ``autocnn train`` therefore uses one
    thread unless ``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` is set. Works on Linux
    with OpenBLAS (NumPy's wheels); elsewhere it changes nothing and says so. Returns
    ``{"applied": bool, "library": str | None, "reason": str, "previous": int | None}``,
    where ``previous`` is the thread count before the call (when OpenBLAS reports it), so
    that ``limit_blas_threads(result["previous"])`` restores it.
    """
    import ctypes

    result: dict[str, Any] = {"applied": False, "library": None, "reason": "", "previous": None}
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
        libraries = sorted(p for p in paths if p.endswith(".so") or ".so." in p)
    except OSError:
        result["reason"] = "cannot list the loaded libraries (not Linux): nothing changed"
        return result
    for path in libraries:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _BLAS_SETTERS:
            setter = getattr(library, name, None)
            if setter is not None:
                getter = getattr(library, name.replace("_set_", "_get_"), None)
                if getter is not None:
                    getter.restype = ctypes.c_int
                    result["previous"] = int(getter())
                setter(ctypes.c_int(int(threads)))
                result.update(applied=True, library=path,
                              reason=f"OpenBLAS now uses {int(threads)} thread(s)")
                return result
    result["reason"] = "no OpenBLAS library with a thread setting is loaded: nothing changed"
    return result


# ------------------------------------------------------------------------------ model files
def metadata_path(model_path: str | os.PathLike) -> Path:
    """The JSON sidecar of a model file: ``model.npz`` → ``model.json``."""
    return Path(model_path).with_suffix(".json")


def save_model(model: Any, path: str | os.PathLike, metadata: Mapping[str, Any]) -> Path:
    """Write ``model.state_dict()`` to ``path`` (``.npz``) and ``metadata`` beside it (JSON).

    ``metadata`` should name what ``load_model`` needs to rebuild the model: ``model`` (an
    architecture of ``autocnn.models.MODELS``), ``in_channels``, ``image_size``,
    ``num_classes``; anything else (dataset, classes, accuracy) is kept for the reader.
    """
    from autocnn.serialization import save

    path = Path(path)
    save(model.state_dict(), path)
    metadata_path(path).write_text(
        json.dumps(dict(metadata), indent=2, default=_json_default) + "\n", encoding="utf-8")
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata ``save_model`` wrote beside the model file ``path``.

    Raises ``FileNotFoundError`` / ``ValueError`` with the sidecar's name when it is
    missing or not valid JSON.
    """
    meta_file = metadata_path(path)
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"no metadata file {meta_file} next to the model {path} (autocnn train writes "
            "it beside the weights: it names the architecture, image size and classes)"
        )
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the metadata file {meta_file} is not valid JSON: {exc}") from exc
    missing = [k for k in ("model", "in_channels", "image_size", "num_classes") if k not in meta]
    if not isinstance(meta, dict) or missing:
        raise ValueError(f"the metadata file {meta_file} lacks the entries {missing}")
    return meta


def load_model(path: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """Rebuild the model saved by ``save_model`` and load its weights; ``(model, metadata)``.

    The model comes back in evaluation mode. A file whose arrays do not fit the architecture
    named in the metadata raises ``autocnn.nn.StateDictError`` naming the keys.
    """
    from autocnn.models import build_model
    from autocnn.serialization import load

    meta = read_metadata(path)
    state = load(path)
    model = build_model(meta["model"], in_channels=int(meta["in_channels"]),
                        image_size=int(meta["image_size"]), num_classes=int(meta["num_classes"]))
    model.load_state_dict(state)
    model.eval()
    return model, meta


# ---------------------------------------------------------------------------------- plots
def _pyplot() -> Any:
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")  # files only: never open a window from a training run
    import matplotlib.pyplot as plt

    return plt


def plot_history(history: History, path: str | os.PathLike) -> Path:
    """Save the loss and accuracy curves (train and test) per epoch as an image."""
    plt = _pyplot()
    epochs = history.column("epoch")
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, history.column("train_loss"), "o-", label="train")
    ax_loss.plot(epochs, history.column("test_loss"), "s-", label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.plot(epochs, [100 * a for a in history.column("train_accuracy")], "o-", label="train")
    ax_acc.plot(epochs, [100 * a for a in history.column("test_accuracy")], "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    from matplotlib.ticker import MaxNLocator

    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def first_conv(model: Any) -> Any:
    """The first ``nn.Conv2d`` of ``model`` (in ``modules()`` order), or ``None``."""
    from autocnn.nn import Conv2d

    return next((m for m in model.modules() if isinstance(m, Conv2d)), None)


def _grid(maps: np.ndarray, titles: Iterable[str], path: str | os.PathLike, suptitle: str,
          cmap: str, symmetric: bool = False) -> Path:
    plt = _pyplot()
    titles = list(titles)
    n = len(maps)
    cols = min(n, 8)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.4 * cols, 1.5 * rows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            # signed weights: white is 0, red positive, blue negative, on one common scale
            limit = float(np.abs(maps).max()) or 1.0
            scale = {"vmin": -limit, "vmax": limit} if symmetric else {}
            ax.imshow(maps[i], cmap=cmap, interpolation="nearest", **scale)
            ax.set_title(titles[i], fontsize=7)
    fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_filters(model: Any, path: str | os.PathLike) -> Path:
    """Save the filters of the model's first convolution (input channel 0) as an image grid."""
    conv = first_conv(model)
    if conv is None:
        raise ValueError("plot_filters: the model has no Conv2d layer to draw")
    weights = conv.weight.data[:, 0]
    return _grid(weights, [f"filter {i}" for i in range(len(weights))], path,
                 "learned 3×3 filters of the first convolution" if weights.shape[-1] == 3
                 else "learned filters of the first convolution", "RdBu_r", symmetric=True)


def plot_feature_maps(model: Any, image: np.ndarray, path: str | os.PathLike,
                      title: str = "") -> Path:
    """Save the input image and the feature maps (after the first convolution) it produces."""
    conv = first_conv(model)
    if conv is None:
        raise ValueError("plot_feature_maps: the model has no Conv2d layer to draw")
    image = np.asarray(image, dtype=np.float32)
    with no_grad():
        maps = conv(Tensor(image[None])).data[0]
    panels = np.concatenate([image[:1], maps])
    names = ["input" + (f" ({title})" if title else "")] + [f"map {i}" for i in range(len(maps))]
    return _grid(panels, names, path, "one test image and its feature maps", "viridis")
