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

The package: ``specs`` (what the checker knows per op), ``mistakes`` (the catalogue of
wrong rules, shared with ``autocnn.course.inject``), ``student`` (running the student's
code, errors turned into messages), ``check`` (:func:`check_backward`), ``report`` (the
verdicts) and ``exact`` (the re-check on rationals and symbols).
"""

from autocnn.symbolic.exercises.check import ATOL, RTOL, check_backward
from autocnn.symbolic.exercises.mistakes import CATALOGUE, Mistake, mistakes_for
from autocnn.symbolic.exercises.report import ExerciseReport, GradientResult, WrongEntry
from autocnn.symbolic.exercises.specs import SPECS, OpSpec
from autocnn.symbolic.exercises.student import StudentError

__all__ = ["ATOL", "CATALOGUE", "RTOL", "SPECS", "ExerciseReport", "GradientResult", "Mistake",
           "OpSpec", "StudentError", "WrongEntry", "check_backward", "mistakes_for"]
