"""The pictures of a diagnosis (matplotlib), as in the lecture.

- ``plot_activations``: one histogram per layer of its outputs at the last measured step,
  titled with mean, std and the dead/saturated share (the zeros of a ReLU are counted in the
  title, not drawn: their spike would flatten everything else);
- ``plot_gradients``: the same for the gradient flowing back into each layer's output;
- ``plot_update_ratios``: log10 update:data of every weight over the measured steps, with
  the lecture's 10^-3 line and the zones the verdicts flag shaded;
- ``plot_gradient_flow``: per weight, log10 grad:data over the run (dot: median; line: the
  smallest to the largest measured), first layer on the left: a cliff is a vanishing
  gradient.

Every function takes a ``Monitor`` that has measured at least one step and a path; files
are written atomically. Part of ``autocnn.diagnose``.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.files import atomic_writer

#: the picture names ``save_plots`` writes, and the function drawing each
PLOTS = ("activations", "gradients", "update_ratios", "gradient_flow")


def _pyplot() -> Any:
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")  # files only: never open a window from a diagnosis
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike) -> Path:
    plt = _pyplot()
    path = Path(path)
    try:
        with atomic_writer(path, "wb") as stream:
            fig.savefig(stream, format="png", dpi=100)
    finally:
        plt.close(fig)
    return path


def _check(monitor: Any, what: str) -> None:
    if not getattr(monitor, "steps", None):
        raise ValueError(f"{what}: the monitor has measured no step yet (call "
                         "monitor.step() after optimizer.step() at least once)")


def _shown_layers(monitor: Any, key: str) -> list[str]:
    """Layers worth a panel: nonlinearities when there are any, else every layer but
    Flatten (its values are those of the layer before)."""
    have = [n for n, e in monitor.layers.items() if key in e]
    nonlinear = [n for n in have if monitor.layers[n]["kind"] in
                 ("ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus")]
    return nonlinear or [n for n in have if monitor.layers[n]["kind"] != "Flatten"]


def _percent(fraction: float) -> str:
    """``0.996`` → ``">99%"``: never round a few survivors away to "100%" (or to "0%")."""
    if 0 < fraction < 0.01:
        return "<1%"
    if 0.99 < fraction < 1:
        return ">99%"
    return f"{100 * fraction:.0f}%"


def _histograms(monitor: Any, path: str | os.PathLike, key: str, title: str,
                xlabel: str) -> Path:
    plt = _pyplot()
    names = _shown_layers(monitor, key)
    if not names:
        raise ValueError(f"plot_{key}: no layer output was recorded (are the hooks attached?)")
    cols = min(len(names), 3)
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.1 * rows + 0.6), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        entry = monitor.layers[name]
        values = entry[key]
        values = values[np.isfinite(values)]
        records = entry["records"] if key == "values" else entry["grad_records"]
        last = records[-1] if records else {}
        parts = [f"mean {last.get('mean', math.nan):+.2g}", f"std {last.get('std', math.nan):.2g}"]
        drawn = values
        zeros = float(np.mean(values == 0)) if values.size else 0.0
        if zeros > 0.05:
            # a ReLU's zeros (or the zero gradient a max pool sends to the positions it
            # did not pick) would be one tall bar that flattens the rest of the histogram
            drawn = values[values != 0]
            parts.append(f"{_percent(zeros)} exactly 0 (not drawn)")
        for field, word in (("dead", "dead (0 for every image)"), ("saturated", "saturated")):
            if key == "values" and field in last:
                parts.append(f"{_percent(last[field])} {word}")
        if drawn.size:
            ax.hist(drawn, bins=50, color="C0" if key == "values" else "C1", alpha=0.85)
        else:
            ax.text(0.5, 0.5, "all values are 0", ha="center", va="center",
                    transform=ax.transAxes)
        if key == "values" and entry["kind"] == "Tanh":
            for x in (-0.97, 0.97):
                ax.axvline(x, color="k", ls=":", lw=1)
        ax.set_title(f"layer {name} ({entry['kind']})\n" + ", ".join(parts[:2]) + "\n"
                     + ", ".join(parts[2:]), fontsize=8)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel("count", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 3))
    fig.suptitle(f"{title} at step {monitor.steps[-1]}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def plot_activations(monitor: Any, path: str | os.PathLike) -> Path:
    """Histograms of every layer's output at the last measured step (see the module doc)."""
    _check(monitor, "plot_activations")
    return _histograms(monitor, path, "values", "activations: what each layer outputs",
                       "output value")


def plot_gradients(monitor: Any, path: str | os.PathLike) -> Path:
    """Histograms of the gradient reaching every layer's output at the last measured step."""
    _check(monitor, "plot_gradients")
    return _histograms(monitor, path, "grads",
                       "gradients: dLoss/d(output) flowing back into each layer",
                       "gradient value")


def plot_update_ratios(monitor: Any, path: str | os.PathLike) -> Path:
    """log10 update:data of each weight over the measured steps, with the 10^-3 line."""
    from autocnn.diagnose.verdicts import HIGH_RATIO, LOW_RATIO, TARGET_RATIO

    _check(monitor, "plot_update_ratios")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 4))
    drawn = False
    for name in monitor.weight_names():
        records = monitor.params.get(name, [])
        points = [(r["step"], r["update_data"]) for r in records
                  if r["update_data"] == r["update_data"] and not math.isinf(r["update_data"])]
        if points:
            steps, ratios = zip(*points)
            ax.plot(steps, ratios, "o-", ms=3, label=name)
            drawn = True
    ax.axhline(TARGET_RATIO, color="k", ls="--", lw=1.2,
               label="10^-3 (the lecture's rule of thumb)")
    low, high = ax.get_ylim()
    low, high = min(low, LOW_RATIO - 0.5), max(high, HIGH_RATIO + 0.5)
    ax.axhspan(HIGH_RATIO, high, color="red", alpha=0.08, lw=0)
    ax.axhspan(low, LOW_RATIO, color="blue", alpha=0.08, lw=0)
    ax.set_ylim(low, high)
    # the zone names sit at the right end, clear of the first steps (the largest ratios)
    ax.text(0.99, (HIGH_RATIO - low) / (high - low) + 0.01, "steps too large: lower the lr",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=8, color="darkred")
    ax.text(0.99, (LOW_RATIO - low) / (high - low) - 0.01, "steps too small: raise the lr",
            transform=ax.transAxes, ha="right", va="top", fontsize=8, color="darkblue")
    if not drawn:
        ax.text(0.5, 0.5, "no ratio to draw: no weight moved (zero gradients, no optimiser\n"
                "step) or the weights have no spread (all zero?)",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_xlim(min(monitor.steps) - 1, max(monitor.steps) + 1)
    ax.set(xlabel="training step", ylabel="log10( std(update) / std(weight before) )",
           title="update:data ratio of each weight per step")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plot_gradient_flow(monitor: Any, path: str | os.PathLike) -> Path:
    """Per weight, input side on the left: log10 grad:data (dot: median over the measured
    steps; line: smallest to largest). A drop of several decades is a vanishing gradient."""
    _check(monitor, "plot_gradient_flow")
    plt = _pyplot()
    names = [n for n in monitor.weight_names() if monitor.params.get(n)]
    kinds = _weight_kinds(monitor)
    fig, ax = plt.subplots(figsize=(max(7.0, 1.2 * len(names) + 3), 4.2))
    medians, dead, everything = [], [], []
    for i, name in enumerate(names):
        ratios = [r["grad_data"] for r in monitor.params[name] if r["grad_data"] == r["grad_data"]]
        finite = [v for v in ratios if not math.isinf(v)]
        if not finite:
            zero = all(r["grad_norm"] == 0 for r in monitor.params[name])
            dead.append((i, "gradient\nexactly 0" if zero else "weight has\nno spread"))
            medians.append(math.nan)
            continue
        medians.append(float(np.median(finite)))
        everything += finite
        ax.vlines(i, min(finite), max(finite), color="C2", lw=3, alpha=0.5)
    ax.plot(range(len(names)), medians, "o-", color="C2", ms=8, label="median over the steps")
    # at least 4 decades tall: a few tenths of a decade between layers is healthy, and a
    # tight axis would make it look like a cliff
    top = max(everything, default=0.0) + 0.5
    low = min(min(everything, default=-3.0) - 1.0, top - 4.5)
    for i, why in dead:
        ax.plot(i, low + 0.3, "x", color="darkred", ms=10)
        ax.text(i, low + 0.45, why, ha="center", va="bottom", fontsize=8, color="darkred")
    ax.set_xticks(range(len(names)), [f"{n}\n{kinds.get(n, '')}" for n in names], fontsize=8)
    ax.set_ylim(low, top)
    ax.set(ylabel="log10( std(grad) / std(weight) )", xlabel="weights, input side first",
           title="gradient flow: how much gradient each weight gets, relative to its size")
    ax.vlines([], [], [], color="C2", lw=3, alpha=0.5, label="smallest to largest")
    ax.legend(fontsize=8, loc="best")
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return _save(fig, path)


def _weight_kinds(monitor: Any) -> dict[str, str]:
    """``"0.weight"`` → ``"Conv2d"``: the class of the module owning each parameter."""
    kinds = {}
    for module_name, module in monitor.model.named_modules():
        for param_name, _ in module.named_parameters(recurse=False):
            full = f"{module_name}.{param_name}" if module_name else param_name
            kinds[full] = type(module).__name__
    return kinds


_DRAW = {"activations": plot_activations, "gradients": plot_gradients,
         "update_ratios": plot_update_ratios, "gradient_flow": plot_gradient_flow}


def plot(monitor: Any, name: str, path: str | os.PathLike) -> Path:
    """Draw the picture ``name`` (one of ``PLOTS``) of ``monitor`` into ``path``."""
    if name not in _DRAW:
        raise ValueError(f"plot: unknown picture {name!r}; valid pictures are "
                         f"{', '.join(PLOTS)}")
    return _DRAW[name](monitor, path)


def save_plots(monitor: Any, folder: str | os.PathLike) -> list[str]:
    """Every picture of ``PLOTS`` that has data, as ``folder/NAME.png``; the file names."""
    folder = Path(folder)
    names = []
    for name in PLOTS:
        key = {"activations": "values", "gradients": "grads"}.get(name)
        if key is not None and not _shown_layers(monitor, key):
            continue  # e.g. no backward was run: there is no gradient to draw
        plot(monitor, name, folder / f"{name}.png")
        names.append(f"{name}.png")
    return names
