"""``autocnn.explain``: look inside a trained CNN — what each layer outputs, which pixels
matter, where a conv layer looked, and where every number and every gradient entry comes
from, on the user's own model.

    from autocnn import explain
    explain.activations(model, image)            # module path → output array
    explain.activation_grads(model, image)       # module path → ∂score/∂output
    explain.saliency(model, image)               # (H, W) map; also smoothgrad, input×gradient
    explain.grad_cam(model, image, layer="4")    # (H, W) Grad-CAM of a conv layer
    explain.explain_output(model, image, "0", (3, 10, 12))   # window · kernel + bias = value
    explain.explain_grad(loss, model[0].weight, (3, 0, 1, 2)) # Σ g · x = weight.grad entry
    explain.shapes(model, (1, 28, 28))           # the chain of shapes, and the fix if broken
    explain.fgsm(model, image, label, epsilon)   # adversarial examples
    explain.plot_saliency(model, image, "saliency.png")

``image`` is always one (C, H, W) array or tensor; ``layer`` a module path such as ``"0"``
or ``"features.3"``. Everything runs the model in evaluation mode (and restores the mode),
and records through forward hooks, so it works on any ``nn.Module`` tree.

Files, one idea each: ``recording.py`` (hooks, activations and their gradients),
``saliency.py``, ``grad_cam.py``, ``formula.py`` (explain_output), ``gradient_terms.py``
(explain_grad), ``shape_chain.py`` (``shapes``, the shape-error explainer),
``adversarial.py`` (fgsm, fooling images), ``visualise_class.py`` (class_visualisation),
``pictures.py`` (matplotlib figures);
``_inputs.py`` and ``_results.py`` hold the shared checks and the JSON conversion.
``page.py`` (the HTML page: ``page``, ``show``, with its ``assets/``) is exported when
present.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from autocnn.explain.formula import (
    BatchNormExplanation,
    ConvExplanation,
    ElementExplanation,
    LinearExplanation,
    OutputExplanation,
    PoolExplanation,
    explain_output,
)
from autocnn.explain.grad_cam import grad_cam
from autocnn.explain.gradient_terms import GradExplanation, GradTerm, explain_grad
from autocnn.explain.recording import activation_grads, activations
from autocnn.explain.saliency import saliency

#: names loaded on first use (the pictures import matplotlib)
_LAZY = {
    "shapes": "autocnn.explain.shape_chain", "ShapeReport": "autocnn.explain.shape_chain",
    "fgsm": "autocnn.explain.adversarial", "fooling_image": "autocnn.explain.adversarial",
    "AdversarialResult": "autocnn.explain.adversarial",
    "class_visualisation": "autocnn.explain.visualise_class",
    "ClassVisualisation": "autocnn.explain.visualise_class",
    "plot_activations": "autocnn.explain.pictures", "plot_saliency": "autocnn.explain.pictures",
    "plot_grad_cam": "autocnn.explain.pictures",
    "plot_explain_output": "autocnn.explain.pictures",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None or importlib.util.find_spec(module) is None:
        raise AttributeError(f"module 'autocnn.explain' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    # Importing ``autocnn.explain.page`` binds the package attribute ``page`` to the
    # submodule; bind the function instead, so ``explain.page(...)`` keeps working.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    present = [n for n, m in _LAZY.items() if importlib.util.find_spec(m) is not None]
    return sorted(set(globals()) | set(present))


__all__ = [
    "BatchNormExplanation", "ConvExplanation", "ElementExplanation", "GradExplanation",
    "GradTerm", "LinearExplanation", "OutputExplanation", "PoolExplanation",
    "activation_grads", "activations", "explain_grad", "explain_output", "grad_cam",
    "saliency",
]

# The HTML page (``page``, ``show``) when page.py exists. Imported here rather than on
# first use: importing the submodule ``autocnn.explain.page`` binds the package attribute
# ``page`` to that module, so a lazy name would turn into a module after anyone imported
# the file directly; bound here, after the submodule, the name stays the function.
if importlib.util.find_spec("autocnn.explain.page") is not None:
    from autocnn.explain.page import page, show

    __all__ += ["page", "show"]
