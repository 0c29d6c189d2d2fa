"""The exercise checker: a student's backward against the engine, with the mistake named.

``check_backward(op, backward)`` takes a student's backward for an op and compares it with
the engine's gradients on seeded random float64 inputs, entry by entry. The report lists
the wrong entries (index, got, expected, difference), gives the exact expected expression
of one of them, and — the part a grader cares about — names the *pattern* of the mistake
when it recognises one, by testing the student's result against the common mistaken
variants of the rule: kernel not rotated or not transposed, a missing 1/N, a sign error, a
missing sum over the batch or over a reused branch, padding or stride off by one, …

A backward is either

* a plain function of NumPy arrays, ``backward(grad_output, *inputs, **params)`` returning
  one gradient per input (``params`` are the op's settings, e.g. ``stride=1, padding=1``); or
* an ``autocnn.autograd.Function`` subclass whose ``forward`` computes the op (called as
  ``MyConv.apply(*tensors, **params)``) and whose ``backward`` is the student's.

A backward that passes is run again on exact rationals (zero tolerance) and, when its code
accepts them, on SymPy symbols, where agreement is a proof for all inputs of those shapes.

Ops with named patterns: ``conv2d`` (inputs x, weight, bias), ``batch_norm`` (training
mode, x of shape (N, C), weight γ, bias β), ``max_pool2d`` (x), ``linear`` (x, weight,
bias), ``cross_entropy`` (logits; softmax + cross-entropy). Any other op of the engine can
be checked too by passing a forward callable and shapes (only the generic patterns then).
"""

from autocnn.symbolic.exercises.check import ATOL, RTOL, check_backward
from autocnn.symbolic.exercises.report import ExerciseReport, GradientResult, WrongEntry
from autocnn.symbolic.exercises.specs import SPECS, OpSpec

__all__ = ["ATOL", "RTOL", "SPECS", "ExerciseReport", "GradientResult", "OpSpec", "WrongEntry",
           "check_backward"]
