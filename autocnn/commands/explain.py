"""``autocnn explain --model FILE --index N``: look inside a trained model on one test image.

Reloads a model written by ``autocnn train`` (as ``autocnn evaluate`` does), takes test
image N of the dataset it was trained on, prints the prediction with the top-3
probabilities, and writes the pictures of ``autocnn.explain`` to ``--out``:

    activations.png     the feature maps of --layer
    saliency.png        which pixels the predicted class's score is most sensitive to
    grad_cam.png        where --layer found evidence for the class, over the image
    explain_output.png  how the strongest output entry of --layer was computed

``--layer`` is a module path such as ``4`` (default: the last Conv2d). ``--html`` also
writes ``explain.html`` (the interactive page of ``autocnn.explain.page``) when it exists.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from autocnn.commands import UserError


def add_parser(subparsers: Any) -> None:
    """Register ``autocnn explain`` and its options."""
    parser = subparsers.add_parser(
        "explain",
        help="look inside a trained model on one test image (saliency, Grad-CAM, formulas)",
        description="Reload a model written by `autocnn train`, predict test image N of its "
        "dataset, print the top-3 probabilities and write pictures of what the model "
        "computed: feature maps, saliency, Grad-CAM and the formula of one output entry.",
    )
    parser.add_argument("--model", required=True, metavar="FILE",
                        help="the model file, e.g. runs/digits-seed/model.npz")
    parser.add_argument("--index", type=int, default=0, metavar="N",
                        help="which test image (0)")
    parser.add_argument("--layer", default=None, metavar="NAME",
                        help="the layer to look at, a module path such as 4 (default: the "
                        "last Conv2d)")
    parser.add_argument("--target", type=int, default=None, metavar="CLASS",
                        help="explain this class index instead of the predicted one")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder for the pictures (default: explain-N beside the model)")
    parser.add_argument("--html", action="store_true",
                        help="also write explain.html, the interactive page")
    parser.add_argument("--data-dir", default=None,
                        help="mnist/fashion-mnist: folder with the IDX files")
    parser.set_defaults(run=run)


def _default_layer(model: Any) -> str:
    from autocnn.nn import Conv2d

    convs = [name for name, m in model.named_modules() if isinstance(m, Conv2d)]
    if not convs:
        raise UserError("the model has no Conv2d layer; pass --layer NAME")
    return convs[-1]


def run(args: argparse.Namespace) -> int:
    """Explain one test image; the exit code."""
    import numpy as np

    from autocnn import explain
    from autocnn.commands.evaluate import load_trained_model
    from autocnn.commands.train import load_data

    path = Path(args.model)
    model, meta = load_trained_model(path)
    model.eval()
    name = meta.get("dataset")
    data_dir = args.data_dir or meta.get("data_dir")
    _, test = load_data(name, meta.get("dataset_options", {}), data_dir)
    if not 0 <= args.index < len(test):
        raise UserError(f"--index must be between 0 and {len(test) - 1} (the {name} test set "
                        f"has {len(test)} images), got {args.index}")
    layer = args.layer if args.layer is not None else _default_layer(model)
    paths = {p for p, _ in model.named_modules() if p}
    if layer not in paths:
        listed = ", ".join(f"{p} ({type(m).__name__})" for p, m in model.named_modules() if p)
        raise UserError(f"--layer {layer!r} is not a layer of the model; its layers are: "
                        f"{listed}")
    image, label = test.images[args.index], int(test.labels[args.index])
    classes = list(meta.get("classes") or test.classes)
    if args.target is not None and not 0 <= args.target < len(classes):
        raise UserError(f"--target must be a class index between 0 and {len(classes) - 1}, "
                        f"got {args.target}")

    import autocnn as ac
    from autocnn import functional as F

    with ac.no_grad():
        probs = F.softmax(model(ac.tensor(image[None])), axis=1).data[0]
    top = np.argsort(-probs, kind="stable")[:3]
    predicted = int(top[0])
    print(f"model    {path} ({meta.get('model')}, trained on {name})")
    print(f"image    test image {args.index} of {name}, label {classes[label]}")
    verdict = "right" if predicted == label else "wrong"
    print(f"predicts {classes[predicted]} ({verdict})")
    print("top 3    " + ", ".join(f"{classes[int(k)]} {100 * probs[int(k)]:.1f}%" for k in top))

    out = Path(args.out) if args.out is not None else path.parent / f"explain-{args.index}"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create --out {out}: {exc}") from exc
    if importlib.util.find_spec("matplotlib") is None:
        raise UserError("the pictures need matplotlib: pip install matplotlib")
    target = args.target
    acts = explain.activations(model, image)[layer]
    strongest = tuple(int(i) for i in np.unravel_index(int(np.argmax(acts)), acts.shape))
    written = [
        explain.plot_activations(model, image, out / "activations.png", layer=layer),
        explain.plot_saliency(model, image, out / "saliency.png", target=target),
    ]
    if acts.ndim == 3:
        written.append(explain.plot_grad_cam(model, image, out / "grad_cam.png", layer,
                                             target=target))
    else:
        print(f"no grad_cam.png: layer {layer} does not output feature maps", file=sys.stderr)
    try:
        written.append(explain.plot_explain_output(model, image, out / "explain_output.png",
                                                   layer, strongest))
    except ValueError as exc:  # a layer kind the formula view does not know
        print(f"no explain_output.png: {exc}", file=sys.stderr)
    code = 0
    if args.html:
        if importlib.util.find_spec("autocnn.explain.page") is None:
            print("--html: the interactive page (autocnn.explain.page) is not part of this "
                  "version of autocnn; the PNG pictures were written", file=sys.stderr)
            code = 1
        else:
            written.append(explain.page(model, [image], out / "explain.html", labels=[label],
                                        classes=classes))
    print(f"wrote {', '.join(Path(w).name for w in written)} to {out}/ (layer {layer}, "
          f"entry {strongest} is its strongest output)")
    return code
