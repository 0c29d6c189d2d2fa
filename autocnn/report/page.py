"""``report.html``: one offline page that shows what a training run learned.

The page is a single file: its style is inlined from ``report.css`` (package data), every
image is a base64 PNG ``data:`` URI or inline SVG, there is no script, and a
Content-Security-Policy meta tag (``default-src 'none'``) forbids the browser to fetch
anything, so the file opens the same from a mail attachment, a USB stick or a file:// URL.

Sections, in the order a student reads them: the settings of the run, the learning
curves, the parameters of each layer (with the count as a formula), the filters of every
convolution, feature maps of a few test images, the confusion matrix and per-class
accuracy, the most confidently misclassified test images with their probabilities, and
the graph of one training step (collapsed by module; when Graphviz's ``dot`` exists).
"""

from __future__ import annotations

import html
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.report import contents
from autocnn.report.charts import line_chart
from autocnn.report.images import data_uri, diverging, image_rgb

#: the Content-Security-Policy of every page: nothing from outside, inline style and images
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

#: how many test images the feature-map and mistake sections show
FEATURE_MAP_IMAGES = 3
MISTAKES = 8


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _img(rgb: np.ndarray, title: str = "", css: str = "px", scale: int = 0) -> str:
    """An ``<img>`` of an RGB array, shown ``scale`` CSS px per entry (0: from the CSS)."""
    h, w = rgb.shape[:2]
    size = f' width="{w * scale}" height="{h * scale}"' if scale else ""
    t = f' title="{_esc(title)}" alt="{_esc(title)}"' if title else ' alt=""'
    return f'<img class="{css}" src="{data_uri(rgb)}"{size}{t}>'


def _scale_for(side: int, target: int = 72) -> int:
    """Pixels per entry so an image of ``side`` entries is about ``target`` px wide."""
    return max(2, round(target / max(side, 1)))


def _test_arrays(test_data: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if isinstance(test_data, tuple) and len(test_data) == 2:
        images, labels = test_data
        classes: list[str] = []
    elif hasattr(test_data, "images") and hasattr(test_data, "labels"):
        images, labels = test_data.images, test_data.labels
        classes = list(getattr(test_data, "classes", None)  # a DataLoader: its dataset's
                       or getattr(getattr(test_data, "dataset", None), "classes", None) or ())
    else:
        raise TypeError(
            "report: test_data must be an ArrayDataset or an (images, labels) pair, got "
            f"{type(test_data).__name__}"
        )
    images = np.asarray(getattr(images, "data", images))
    labels = np.asarray(getattr(labels, "data", labels)).astype(np.int64)
    if images.ndim != 4 or labels.shape != (len(images),):
        raise ValueError(
            "report: test_data must hold images of shape (N, C, H, W) and N labels, got "
            f"images {images.shape} and labels {labels.shape}"
        )
    return images, labels, classes


# ------------------------------------------------------------------------------ sections
def _settings(settings: dict[str, Any]) -> str:
    if not settings:
        return "<p>No settings were recorded for this run.</p>"
    rows = "".join(
        f"<tr><th>{_esc(k)}</th><td>{_esc(_setting_text(v))}</td></tr>"
        for k, v in settings.items()
    )
    return f'<table class="settings">{rows}</table>'


def _setting_text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in v.items()) or "—"
    return "—" if v is None else str(v)


def _curves(epochs: list[dict[str, float]]) -> str:
    if not epochs:
        return "<p>No epochs were recorded.</p>"
    x = [e.get("epoch", i + 1) for i, e in enumerate(epochs)]
    loss = line_chart("loss", x, {"train": [e.get("train_loss") for e in epochs],
                                  "test": [e.get("test_loss") for e in epochs]},
                      "cross-entropy loss")
    acc = line_chart("accuracy", x, {
        "train": [100 * e["train_accuracy"] for e in epochs if "train_accuracy" in e],
        "test": [100 * e["test_accuracy"] for e in epochs if "test_accuracy" in e]},
        "accuracy (%)")
    last = epochs[-1]
    gap = ""
    if math.isfinite(last.get("test_accuracy", math.nan)):
        gap = (f"<p>After the last epoch: train accuracy "
               f"{100 * last['train_accuracy']:.2f} %, test accuracy "
               f"{100 * last['test_accuracy']:.2f} %. A test curve far below the train "
               "curve means the model memorises the training images (overfitting).</p>")
    return f'<div class="row">{loss}{acc}</div>{gap}'


def _parameters(model: Any) -> str:
    rows = contents.parameter_rows(model)
    total = sum(r["count"] for r in rows)
    body = "".join(
        f"<tr><td><code>{_esc(r['path'])}</code></td><td>{_esc(r['type'])}</td>"
        f"<td>{_esc(', '.join(f'{n} {s}' for n, s in r['shapes'].items()))}</td>"
        f'<td class="formula">{_esc(r["formula"])}</td>'
        f'<td class="num">{r["count"]:,}</td></tr>'
        for r in rows
    )
    return (
        "<p>Each count is the product of the shape of each parameter: a convolution has "
        "out·in·kh·kw weights and one bias per output channel; batch norm a scale and a "
        "shift per channel; a linear layer out·in weights and out biases.</p>"
        '<table class="params"><tr><th>layer</th><th>type</th><th>parameters</th>'
        f'<th>entries</th><th class="num">count</th></tr>{body}'
        f'<tr class="total"><td colspan="4">total</td><td class="num">{total:,}</td></tr>'
        "</table>"
    )


def _filters(model: Any) -> str:
    convs = contents.conv_layers(model)
    if not convs:
        return "<p>The model has no convolution.</p>"
    out = ['<p>Each small square is one filter (one input channel of one output channel), '
           "on one colour scale per layer: red weights add, blue weights subtract, white "
           "is zero.</p>"]
    for path, conv in convs:
        w = np.asarray(conv.weight.data, dtype=np.float64)
        limit = float(np.abs(w).max()) or 1.0
        o, i = w.shape[:2]
        shown_in = min(i, 8)
        scale = _scale_for(w.shape[-1], 36)
        cells = []
        for a in range(o):
            row = "".join(_img(diverging(w[a, b], limit), f"filter {a}, input channel {b}",
                               scale=scale) for b in range(shown_in))
            cells.append(f'<div class="filter-row"><span class="lab">{a}</span>{row}</div>')
        more = f" (first {shown_in} of {i} input channels)" if shown_in < i else ""
        out.append(
            f"<h3><code>{_esc(path)}</code>: {o} filters of {i}×{w.shape[2]}×{w.shape[3]}"
            f"{more}, scale ±{limit:.3g}</h3>"
            f'<div class="filters">{"".join(cells)}</div>'
        )
    return "".join(out)


def _feature_maps(model: Any, images: np.ndarray, labels: np.ndarray,
                  classes: list[str]) -> str:
    out = ["<p>What each convolution makes of a test image: one map per output channel, "
           "the convolution's own output (before any normalisation or activation), red "
           "positive, blue negative (one scale per layer and image).</p>"]
    for n in range(min(FEATURE_MAP_IMAGES, len(images))):
        layers = contents.layer_outputs(model, images[n])
        name = classes[labels[n]] if labels[n] < len(classes) else str(labels[n])
        side = images.shape[-1]
        parts = [f'<figure>{_img(image_rgb(images[n]), name, scale=_scale_for(side))}'
                 f"<figcaption>test image {n}: {_esc(name)}</figcaption></figure>"]
        for path, _, maps in layers:
            limit = float(np.abs(maps).max()) or 1.0
            scale = _scale_for(maps.shape[-1], 48)
            tiles = "".join(_img(diverging(m, limit), f"{path} map {c}", scale=scale)
                            for c, m in enumerate(maps))
            parts.append(f'<figure><div class="maps">{tiles}</div><figcaption>'
                         f"<code>{_esc(path)}</code>: {len(maps)} maps of "
                         f"{maps.shape[-2]}×{maps.shape[-1]}</figcaption></figure>")
        out.append(f'<div class="fm-row">{"".join(parts)}</div>')
    return "".join(out)


def _confusion(counts: np.ndarray, names: list[str]) -> str:
    acc = contents.per_class_accuracy(counts)
    top = max(int(counts.max()), 1)
    head = "".join(f'<th class="rot"><div>{_esc(n)}</div></th>' for n in names)
    rows = []
    for i, n in enumerate(names):
        cells = []
        for j in range(len(names)):
            c = int(counts[i, j])
            alpha = 0.08 + 0.92 * c / top if c else 0
            hue = "31,119,180" if i == j else "214,39,40"
            cells.append(f'<td style="background:rgba({hue},{alpha:.2f})" '
                         f'class="num{" dark" if alpha > 0.55 else ""}">{c}</td>')
        a = acc[i]
        a_text = "—" if math.isnan(a) else f"{100 * a:.1f} %"
        rows.append(f"<tr><th>{_esc(n)}</th>{''.join(cells)}"
                    f'<td class="num acc">{a_text}</td></tr>')
    return (
        "<p>Row = the true class, column = the class the model chose; the diagonal (blue) "
        "is right, everything else (red) a mistake. The last column is the accuracy of "
        "each class.</p>"
        f'<table class="confusion"><tr><th>true \\ predicted</th>{head}'
        f"<th>accuracy</th></tr>{''.join(rows)}</table>"
    )


def _mistakes(images: np.ndarray, labels: np.ndarray, probs: np.ndarray,
              names: list[str]) -> str:
    wrong = contents.most_confident_mistakes(probs, labels, MISTAKES)
    total_wrong = int((probs.argmax(axis=1) != labels).sum())
    if not wrong:
        return f"<p>No test image was misclassified (out of {len(labels)}).</p>"
    cards = []
    side = images.shape[-1]
    for i in wrong:
        order = np.argsort(-probs[i])[:3]
        bars = "".join(
            f'<div class="bar{" true" if k == labels[i] else ""}">'
            f'<span class="bn">{_esc(names[k])}</span>'
            f'<span class="bv" style="width:{100 * probs[i, k]:.1f}%"></span>'
            f'<span class="bp">{100 * probs[i, k]:.1f} %</span></div>'
            for k in order
        )
        picture = _img(image_rgb(images[i]), f"test image {i}", scale=_scale_for(side))
        cards.append(
            f'<div class="card">{picture}'
            f"<div><b>#{i}</b> true <b>{_esc(names[labels[i]])}</b>, predicted "
            f"<b>{_esc(names[int(probs[i].argmax())])}</b>{bars}</div></div>"
        )
    return (f"<p>{total_wrong} of {len(labels)} test images are misclassified; these are "
            "the ones the model was surest about (its three most probable classes, the "
            "true class in blue). Often the image itself is ambiguous.</p>"
            f'<div class="cards">{"".join(cards)}</div>')


def training_step_svg(model: Any, images: np.ndarray, labels: np.ndarray) -> str | None:
    """The collapsed graph of one training step's loss (two test images) as SVG text, or
    None without Graphviz's ``dot``. The model is run in training mode, as in training,
    and its state (batch-norm running statistics) is restored afterwards."""
    from autocnn import functional as F
    from autocnn.autograd.tensor import Tensor
    from autocnn.viz import to_dot
    from autocnn.viz.render import dot_available

    if not dot_available():
        return None
    state = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    was_training = getattr(model, "training", True)
    try:
        model.train()
        loss = F.cross_entropy(model(Tensor(images[:2])), Tensor(labels[:2]))
        loss.name = "loss"
        picture = to_dot(loss, dict(model.named_parameters()), collapse=True)
        svg = picture.pipe(format="svg", encoding="utf-8")
    finally:
        model.load_state_dict(state)
        model.train(was_training)
    return svg[svg.find("<svg"):]


def _graph(svg: str | None) -> str:
    if svg is None:
        return ("<p>Graphviz's <code>dot</code> program is not installed, so the graph of "
                "a training step is not drawn here; install Graphviz and run "
                "<code>autocnn report RUN_DIR</code> again.</p>")
    return ("<p>The loss of one batch of two images, one box per layer (its parameters "
            "inside), the arrows in the direction data flows. Backpropagation walks these "
            "arrows backwards, from the loss at the bottom to every parameter.</p>"
            f'<div class="graph">{svg}</div>')


# ------------------------------------------------------------------------------ the page
def _css() -> str:
    return resources.files("autocnn.report").joinpath("report.css").read_text("utf-8")


def report_html(model: Any, history: Any, test_data: Any, settings: dict[str, Any] | None = None,
                *, title: str = "Training report", graph: bool = True) -> str:
    """The report of a trained ``model`` as one HTML document (a str); see the module doc.

    ``history`` is the ``History`` of ``fit`` (or a list of per-epoch dicts, as in
    ``metrics.json``); ``test_data`` an ``ArrayDataset`` (or an ``(images, labels)`` pair);
    ``settings`` the run's settings, shown as a table (``model.json``'s content).
    ``graph=False`` leaves out the graph of a training step.
    """
    images, labels, classes = _test_arrays(test_data)
    probs = contents.probabilities(model, images)
    num_classes = probs.shape[1]
    if len(labels) and not 0 <= labels.min() <= labels.max() < num_classes:
        raise ValueError(
            f"report: the test labels must be class indices 0..{num_classes - 1} (the model "
            f"has {num_classes} outputs), got labels from {labels.min()} to {labels.max()}"
        )
    names = [classes[k] if k < len(classes) else str(k) for k in range(num_classes)]
    counts = contents.confusion(labels, probs.argmax(axis=1), num_classes)
    accuracy = float(np.trace(counts) / max(len(labels), 1))
    epochs = contents.epochs_of(history)
    svg = training_step_svg(model, images, labels) if graph else None
    sections = [
        ("settings", "Settings of the run", _settings(dict(settings or {}))),
        ("curves", "Learning curves", _curves(epochs)),
        ("parameters", "Parameters per layer", _parameters(model)),
        ("filters", "Filters of every convolution", _filters(model)),
        ("feature-maps", "Feature maps of test images", _feature_maps(model, images, labels,
                                                                      names)),
        ("confusion", "Confusion matrix and per-class accuracy", _confusion(counts, names)),
        ("mistakes", "Most confidently misclassified test images",
         _mistakes(images, labels, probs, names)),
        ("graph", "The graph of one training step", _graph(svg) if graph else
         "<p>Not drawn for this report.</p>"),
    ]
    toc = "".join(f'<a href="#{key}">{_esc(head)}</a>' for key, head, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{_esc(head)}</h2>{text}</section>'
                   for key, head, text in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_css()}</style></head><body>"
        f"<header><h1>{_esc(title)}</h1><p class=\"summary\">test accuracy "
        f"<b>{100 * accuracy:.2f} %</b> on {len(labels):,} images · "
        f"{sum(r['count'] for r in contents.parameter_rows(model)):,} parameters · "
        f"{len(epochs)} epochs</p><nav>{toc}</nav></header><main>{body}</main>"
        "<footer>Written by autocnn. One offline file: nothing on this page comes from "
        "the network.</footer></body></html>\n"
    )


def write_report(path: str | os.PathLike[str], model: Any, history: Any, test_data: Any,
                 settings: dict[str, Any] | None = None, *, title: str = "Training report",
                 graph: bool = True) -> Path:
    """Write ``report_html(...)`` to ``path`` atomically; returns the path."""
    from autocnn.files import atomic_write

    text = report_html(model, history, test_data, settings, title=title, graph=graph)
    atomic_write(path, text)
    return Path(path)
