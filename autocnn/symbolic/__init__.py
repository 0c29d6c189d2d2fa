"""``autocnn.symbolic``: exact gradients with SymPy, textbook derivations, exercise checking.

The engine runs unchanged on tensors whose entries are SymPy symbols or exact rationals, so
its own backward rules produce exact gradient formulas. This package

* makes such tensors: :func:`symbols`, :func:`exact`;
* compares the engine with ``sympy.diff``: :func:`verify`, :func:`exact_gradcheck`;
* writes the textbook derivations, each with a ``check()`` proof: :func:`derive_batchnorm`,
  :func:`derive_conv2d`, :func:`derive_relu`, :func:`derive_maxpool`,
  :func:`derive_softmax_ce` (also ``autocnn derive NAME`` on the command line);
* checks students' work: :func:`check_backward` (names the mistake pattern from the
  catalogue in ``symbolic.exercises.mistakes``, shared with ``autocnn.course.inject``),
  :func:`check_formula` (a formula string, proved or refuted at a point);
* renders derivations by name (``symbolic.rendering``, used by ``autocnn derive`` and
  ``symbolic.docs``) and writes LaTeX that pdflatex compiles (``symbolic.latex``);
* gives output sizes and parameter counts as formulas: :func:`shape_table`,
  :func:`dense_vs_conv`; and folds an eval-mode BatchNorm2d into its Conv2d:
  :func:`fold_batchnorm`.
"""

from autocnn.symbolic.batchnorm import BatchNormDerivation, derive_batchnorm
from autocnn.symbolic.compare import Comparison, compare
from autocnn.symbolic.conv2d import Conv2dDerivation, derive_conv2d
from autocnn.symbolic.derivation import CheckReport, Derivation
from autocnn.symbolic.exercises import ExerciseReport, check_backward
from autocnn.symbolic.fold import fold_batchnorm
from autocnn.symbolic.formulas import FormulaReport, check_formula
from autocnn.symbolic.maxpool import MaxPoolDerivation, derive_maxpool
from autocnn.symbolic.relu import ReluDerivation, derive_relu
from autocnn.symbolic.shapes import ShapeTable, dense_vs_conv, shape_table
from autocnn.symbolic.softmax_ce import SoftmaxCrossEntropyDerivation, derive_softmax_ce
from autocnn.symbolic.tensors import MAX_ENTRIES, exact, symbols
from autocnn.symbolic.verify import ExactGradcheckReport, VerifyReport, exact_gradcheck, verify

#: the derivations by name, as ``autocnn derive NAME`` knows them
DERIVATIONS = {
    "batchnorm": derive_batchnorm,
    "conv2d": derive_conv2d,
    "relu": derive_relu,
    "maxpool": derive_maxpool,
    "softmax-ce": derive_softmax_ce,
}


def derive(name: str) -> Derivation:
    """The derivation called ``name`` (one of :data:`DERIVATIONS`), with default sizes."""
    key = name.lower().replace("_", "-")
    if key not in DERIVATIONS:
        raise ValueError(f"symbolic.derive: unknown op {name!r}; known ops: "
                         f"{', '.join(DERIVATIONS)}")
    return DERIVATIONS[key]()


__all__ = [
    "DERIVATIONS", "MAX_ENTRIES", "BatchNormDerivation", "CheckReport", "Comparison",
    "Conv2dDerivation", "Derivation", "ExactGradcheckReport", "ExerciseReport",
    "FormulaReport", "MaxPoolDerivation", "ReluDerivation", "ShapeTable",
    "SoftmaxCrossEntropyDerivation", "VerifyReport", "check_backward", "check_formula",
    "compare", "dense_vs_conv", "derive", "derive_batchnorm", "derive_conv2d",
    "derive_maxpool", "derive_relu", "derive_softmax_ce", "exact", "exact_gradcheck",
    "fold_batchnorm", "shape_table", "symbols", "verify",
]
