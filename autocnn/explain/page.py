"""``explain.page`` / ``explain.show``: a CNN Explainer page for the user's own model.

One offline HTML file (``explain.html``): for each of several images, every layer's
feature maps (one zero-centred colour scale per layer, with its legend), the class
probabilities, saliency and Grad-CAM overlays on the image, and — on a click on any
feature-map entry — the formula view of that entry: the input window, the kernel, their
products, the bias and the sum, the same numbers ``explain.explain_output`` gives. The
"gradients" toggle shows d score / d(feature map) (``explain.activation_grads``) and the
terms of a weight-gradient entry, the sum ``explain.explain_grad`` writes out.

How it is built: Python computes everything (``explain.activations``,
``activation_grads``, ``saliency``, ``grad_cam``, the model's probabilities and each
layer's parameters and input), embeds it as JSON in the page, and the page's own
JavaScript (``assets/explain.js``, inlined with ``assets/explain.css``) draws it and does
the formula arithmetic on the embedded numbers. Arrays travel as base64: float32 where a
formula reads them (layer inputs, weights, conv-output gradients), float16 where they are
only drawn, so a page of 100 small images stays a few MB. A Content-Security-Policy meta
tag (``default-src 'none'``) makes sure the page fetches nothing.
"""

from __future__ import annotations

import base64
import html
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

#: what the page allows itself: nothing from outside; its own inline script and style
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'")

#: the layers the formula view can write out
FORMULA_LAYERS = ("Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "ReLU", "BatchNorm2d",
                  "BatchNorm1d")


def _b64(arr: Any, dtype: str) -> dict[str, Any]:
    a = np.ascontiguousarray(np.asarray(arr, dtype=np.float64).astype("<" + dtype))
    return {"dtype": dtype, "shape": list(a.shape),
            "data": base64.b64encode(a.tobytes()).decode("ascii")}


def _images_of(images: Any) -> np.ndarray:
    from autocnn.autograd.tensor import Tensor

    arr = np.asarray(images.data if isinstance(images, Tensor) else images)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[0] == 0:
        raise ValueError(
            "explain.page: 'images' must be one (C, H, W) image or a batch (N, C, H, W) "
            f"with N >= 1, got shape {arr.shape}"
        )
    return arr


def _leaf_layers(model: Any) -> list[tuple[str, Any]]:
    """The modules drawn as layers: those without children, in registration order."""
    return [(p, m) for p, m in model.named_modules() if p and not any(True for _ in m.children())]


def _record_calls(model: Any, batch: np.ndarray, paths: list[str]) -> tuple[Any, dict]:
    """(input tensor, the tensors each listed module received and returned) for one image,
    in eval mode: which layer's output is which layer's input is read off the tensors."""
    from autocnn.autograd.grad_mode import no_grad
    from autocnn.autograd.tensor import Tensor

    seen: dict[str, tuple[Tensor, Tensor]] = {}
    handles = []
    wanted = set(paths)
    for path, module in model.named_modules():
        if path in wanted:
            def hook(m: Any, inputs: tuple, output: Any, path: str = path) -> None:
                if (path not in seen and inputs and isinstance(inputs[0], Tensor)
                        and isinstance(output, Tensor)):
                    seen[path] = (inputs[0], output)
            handles.append(module.register_forward_hook(hook))
    x = Tensor(batch)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return x, seen


def _layer_info(path: str, module: Any) -> dict[str, Any]:
    kind = type(module).__name__
    info: dict[str, Any] = {"path": path, "type": kind}

    def pair(v: Any) -> list[int]:
        return [int(v), int(v)] if np.isscalar(v) else [int(x) for x in v]

    if kind == "Conv2d":
        info.update(stride=pair(module.stride), padding=pair(module.padding),
                    dilation=pair(getattr(module, "dilation", 1)),
                    groups=int(getattr(module, "groups", 1)),
                    weight=_b64(module.weight.data, "f4"),
                    bias=None if module.bias is None else _b64(module.bias.data, "f4"))
    elif kind == "Linear":
        info.update(weight=_b64(module.weight.data, "f4"),
                    bias=None if module.bias is None else _b64(module.bias.data, "f4"))
    elif kind in ("MaxPool2d", "AvgPool2d"):
        k = pair(module.kernel_size)
        s = pair(module.stride if module.stride is not None else module.kernel_size)
        info.update(kernel=k, stride=s, padding=pair(getattr(module, "padding", 0)))
    elif kind.startswith("BatchNorm"):
        info.update(mean=_b64(module.running_mean.data, "f4"),
                    var=_b64(module.running_var.data, "f4"), eps=float(module.eps),
                    gamma=_b64(module.weight.data, "f4") if module.weight is not None else None,
                    beta=_b64(module.bias.data, "f4") if module.bias is not None else None)
    return info


def page_data(model: Any, images: Any, labels: Any = None, classes: Any = None,
              title: str = "Explain my CNN") -> dict[str, Any]:
    """Everything the page shows, as JSON-ready Python (see the module docstring)."""
    from autocnn import explain
    from autocnn.autograd.tensor import Tensor
    from autocnn.nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"explain.page: 'model' must be an nn.Module, got "
                        f"{type(model).__name__}")
    batch = _images_of(images)
    if labels is not None:
        labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels).reshape(-1)
        if len(labels) != len(batch):
            raise ValueError(f"explain.page: 'labels' must have one label per image "
                             f"({len(batch)}), got {len(labels)}")
    layers = _leaf_layers(model)
    if not layers:
        raise ValueError("explain.page: the model has no layers to show")
    paths = [p for p, _ in layers]
    kinds = {p: type(m).__name__ for p, m in layers}
    convs = [p for p in paths if kinds[p] == "Conv2d"]
    infos = [_layer_info(p, m) for p, m in layers]
    images_out = []
    for n in range(len(batch)):
        image = batch[n].astype(model_dtype(model))
        acts = explain.activations(model, image)
        logits = np.asarray(list(acts.values())[-1], dtype=np.float64).reshape(-1)
        num_classes = logits.size
        e = np.exp(logits - logits.max())
        probs = e / e.sum()
        target = int(probs.argmax())
        grads = explain.activation_grads(model, image, target=target)
        x, calls = _record_calls(model, image[None], paths)
        made_by = {id(out): p for p, (_, out) in calls.items()}  # which layer made a tensor
        inputs: dict[str, dict[str, Any]] = {}
        exact: set[str] = set()  # outputs a conv or linear formula reads: kept as float32
        for path, (inp, _) in calls.items():
            if kinds[path] not in FORMULA_LAYERS:
                continue
            source = "@pixels" if inp is x else made_by.get(id(inp))
            if source is not None and (source == "@pixels" or source in acts):
                inputs[path] = {"ref": source}
                if kinds[path] in ("Conv2d", "Linear"):
                    exact.add(source)
            else:
                inputs[path] = _b64(inp.data[0], "f4")
        entry: dict[str, Any] = {
            "pixels": _b64(image, "f4"), "probs": [round(float(p), 6) for p in probs],
            "target": target, "label": None if labels is None else int(labels[n]),
            "acts": {}, "grads": {}, "inputs": inputs,
        }
        for path, _ in layers:
            if path not in acts:
                continue
            # float32 for numbers a formula reads back, float16 for what is only drawn
            # a conv or linear output too: the page sets its formula's sum beside it
            keep = path in exact or kinds[path] in ("Conv2d", "Linear")
            entry["acts"][path] = _b64(acts[path], "f4" if keep else "f2")
            if path in grads:  # a conv's output gradient feeds the weight-gradient sums
                entry["grads"][path] = _b64(grads[path], "f4" if path in convs else "f2")
        entry["saliency"] = _b64(explain.saliency(model, image, target=target), "f2")
        entry["gradcam"] = (_b64(explain.grad_cam(model, image, convs[-1], target=target),
                                 "f2") if convs else None)
        images_out.append(entry)
    names = [str(c) for c in classes] if classes is not None else []
    names += [str(k) for k in range(len(names), num_classes)]
    return {"title": title, "classes": names[:num_classes], "layers": infos,
            "gradcam_layer": convs[-1] if convs else None, "images": images_out}


def model_dtype(model: Any) -> np.dtype:
    """The dtype of the model's parameters (float32 without parameters)."""
    for p in model.parameters():
        return p.data.dtype
    return np.dtype(np.float32)


def _asset(name: str) -> str:
    return resources.files("autocnn.explain").joinpath("assets", name).read_text("utf-8")


def page_html(model: Any, images: Any, labels: Any = None, classes: Any = None,
              title: str = "Explain my CNN") -> str:
    """The explainer page as one HTML document (a str)."""
    data = page_data(model, images, labels, classes, title)
    # "</" inside a script element would end it: JSON allows the escaped form "<\/"
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_asset('explain.css')}</style></head>"
        f'<body><div id="app"><noscript>This page needs JavaScript.</noscript></div>'
        f'<script type="application/json" id="explain-data">{payload}</script>'
        f"<script>{_asset('explain.js')}</script></body></html>\n"
    )


def page(model: Any, images: Any, path: str | os.PathLike[str] = "explain.html",
         labels: Any = None, classes: Any = None, title: str = "Explain my CNN") -> Path:
    """Write the explainer page of ``model`` on ``images`` to ``path``; returns the path.

    ``images`` is one (C, H, W) image or a batch (N, C, H, W) (array or Tensor); each can
    be chosen on the page. ``labels`` (one per image) and ``classes`` (the class names)
    are optional and only label what is shown. Opens offline from a file:// URL.
    """
    from autocnn.files import atomic_write

    text = page_html(model, images, labels, classes, title)
    atomic_write(path, text)
    return Path(path)


def show(model: Any, images: Any, labels: Any = None, classes: Any = None,
         height: int = 820) -> Any:
    """Display the explainer page inline in Jupyter (in an iframe, so its script runs
    in every notebook front end); returns the IPython display object."""
    import warnings

    from IPython.display import HTML, display

    doc = page_html(model, images, labels, classes)
    with warnings.catch_warnings():  # IPython suggests IFrame, which needs a URL to load
        warnings.simplefilter("ignore", UserWarning)
        frame = HTML(f'<iframe srcdoc="{html.escape(doc, quote=True)}" style="width:100%; '
                     f'height:{int(height)}px; border:1px solid #ddd"></iframe>')
    display(frame)
    return frame
