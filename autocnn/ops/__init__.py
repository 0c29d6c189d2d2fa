"""The primitives: one ``Function`` each, forward and backward side by side.

Everything else in autocnn — Tensor methods, layers, losses — is composed from these:

========================  ================================================================
file                      primitives
========================  ================================================================
``arithmetic.py``         Add, Neg, Mul, Div, Pow, Sum
``elementwise.py``        Exp, Log, Abs, Tanh, Sigmoid, Maximum (ReLU is maximum(x, 0))
``reductions.py``         Max, Min
``shape.py``              Reshape, Transpose, BroadcastTo, Cast, Identity
``indexing.py``           GetItem and its adjoint IndexAdd
``erf.py``                Erf (the Gauss error function, for exact GELU)
``pad.py``                Pad
``matmul.py``             MatMul
``windows.py``            Unfold (sliding windows as matrix columns) and its adjoint Fold
========================  ================================================================

``workspace.py`` is not a primitive: it hands the largest arrays (Unfold's columns, Fold's
image, 2-D MatMul products) memory that an earlier step used and nothing refers to any more,
so a step does not page-fault fresh memory in again (docs/performance.md).

``backend.py`` is the one module that knows about SymPy: the elementwise functions and the
exact special cases that symbolic tensors need.
"""

from autocnn.ops.arithmetic import Add, Div, Mul, Neg, Pow, Sum
from autocnn.ops.elementwise import Abs, Exp, Log, Maximum, Sigmoid, Tanh
from autocnn.ops.erf import Erf
from autocnn.ops.indexing import GetItem, IndexAdd
from autocnn.ops.matmul import MatMul
from autocnn.ops.pad import Pad, norm_pad_width
from autocnn.ops.reductions import Max, Min
from autocnn.ops.shape import BroadcastTo, Cast, Identity, Reshape, Transpose
from autocnn.ops.windows import Fold, Unfold, output_size

PRIMITIVES = (
    Add, Neg, Mul, Div, Pow, Exp, Log, Abs, Tanh, Sigmoid, Maximum, Erf, Sum, Max, Min,
    Reshape, Transpose, BroadcastTo, Cast, Identity, GetItem, IndexAdd, Pad, MatMul, Unfold,
    Fold,
)

__all__ = [p.__name__ for p in PRIMITIVES] + ["PRIMITIVES", "norm_pad_width", "output_size"]
