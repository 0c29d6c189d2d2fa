"""``explain_output``: where one number of a layer's output comes from, written out.

For one entry of a layer's output (one image, the index without the batch axis), the
result holds every operand of the formula that made it:

- ``Conv2d`` (C, i, j): the input window (padding included), the kernel, their
  element-wise products, the bias and the sum — ``Σ window · kernel + bias``;
- ``Linear`` (k,): the inputs, weight row k, the products, the bias and the sum;
- ``MaxPool2d`` / ``AvgPool2d`` (c, i, j): the window and which input won (max) or the mean;
- ``BatchNorm1d/2d`` (c, ...): x, the running mean and variance, ε, the normalised value
  x̂ = (x − μ)/√(σ² + ε), γ, β and γ·x̂ + β;
- ``ReLU``, ``Sigmoid``, ``Tanh``, ``Flatten``, ``Dropout`` (eval) and the other activations
  (``LeakyReLU``, ``GELU``, ...): the input entry it came from and the function applied.

``value`` is what the model computed; ``result`` is the formula evaluated on the operands.
They agree to float round-off; with ``exact=True`` every operand is the exact rational the
float prints as (``autocnn.symbolic``), ``result`` is computed by hand in exact arithmetic
and ``value`` by the layer's own function (the engine) on the same exact operands, so
``result == value`` holds exactly. The model runs in evaluation mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocnn import functional as F
from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.explain._inputs import as_batch, check_model, evaluating, find_layer
from autocnn.explain._results import ToDict
from autocnn.explain.recording import recording
from autocnn.functional._checks import pair
from autocnn.nn.module import Module


@dataclass
class OutputExplanation(ToDict):
    """One output entry of one layer and the formula that made it (see subclasses)."""

    layer: str
    module: str
    index: tuple[int, ...]
    value: Any
    result: Any
    formula: str
    exact: bool

    @property
    def matches(self) -> bool:
        """Whether the formula's result equals the model's value (exactly when ``exact``)."""
        if self.exact:
            import sympy

            return bool(sympy.simplify(self.result - self.value) == 0)
        return bool(np.isclose(float(self.result), float(self.value), rtol=1e-4, atol=1e-5))


@dataclass
class ConvExplanation(OutputExplanation):
    """``sum = Σ window · kernel + bias`` for one conv output entry (channel, row, column)."""

    window: np.ndarray = field(default=None)    # (C_in, kh, kw), zeros where padding
    kernel: np.ndarray = field(default=None)    # (C_in, kh, kw): weight[channel]
    products: np.ndarray = field(default=None)  # window · kernel
    bias: Any = 0
    sum: Any = 0
    rows: list[int] = field(default_factory=list)  # input rows of the window (<0: padding)
    cols: list[int] = field(default_factory=list)


@dataclass
class LinearExplanation(OutputExplanation):
    """``sum = Σ inputs · weights + bias`` for one output feature."""

    inputs: np.ndarray = field(default=None)
    weights: np.ndarray = field(default=None)
    products: np.ndarray = field(default=None)
    bias: Any = 0
    sum: Any = 0


@dataclass
class PoolExplanation(OutputExplanation):
    """The window of a pooling output and the input that won (max) or the mean (avg)."""

    window: np.ndarray = field(default=None)  # (kh, kw) of the one channel
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    winner: tuple[int, int] | None = None     # (row, col) in the input, max pooling only


@dataclass
class BatchNormExplanation(OutputExplanation):
    """``γ · (x − μ)/√(σ² + ε) + β`` with the running statistics of the channel."""

    x: Any = 0
    mean: Any = 0
    var: Any = 0
    eps: Any = 0
    normalised: Any = 0
    gamma: Any = 1
    beta: Any = 0


@dataclass
class ElementExplanation(OutputExplanation):
    """An entry made from one input entry: an activation, a reshape, dropout in eval."""

    source: tuple[int, ...] = ()
    x: Any = 0


# ---------------------------------------------------------------------------- helpers
def _exactify(arr: Any, exact: bool) -> Any:
    """Exact rationals (object array) when ``exact``, else the float array as it is."""
    if not exact:
        return arr
    from autocnn.symbolic.tensors import entries

    return entries(arr) if isinstance(arr, np.ndarray) else entries(np.asarray(arr))[()]


def _num(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)


def _plus(value: Any) -> str:
    """``+ 0.12`` or ``− 0.12`` (exact values keep their own sign)."""
    negative = bool(value < 0)
    return f"− {_num(-value)}" if negative else f"+ {_num(value)}"


def _paren(value: Any) -> str:
    """A number to subtract: negative ones in parentheses, ``(−0.05)``."""
    return f"({_num(value)})" if bool(value < 0) else _num(value)


def _check_index(index: Any, shape: tuple[int, ...], layer: str) -> tuple[int, ...]:
    where = "explain.explain_output"
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        index = (int(index),)
    if not isinstance(index, (tuple, list)) or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in index):
        raise TypeError(f"{where}: 'index' must be an int or a tuple of ints, got {index!r}")
    index = tuple(int(i) for i in index)
    if len(index) != len(shape) or not all(0 <= i < s for i, s in zip(index, shape)):
        raise ValueError(f"{where}: 'index' {index} is not an entry of layer {layer!r}'s "
                         f"output for one image, of shape {shape} (no batch axis)")
    return index


def _padded(x: np.ndarray, padding: tuple[int, int], fill: float) -> np.ndarray:
    ph, pw = padding
    return np.pad(x, ((0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def _window(x: np.ndarray, module: Any, index: tuple[int, int, int], kernel: tuple[int, int],
            fill: float) -> tuple[np.ndarray, list[int], list[int]]:
    stride = pair(module.stride, "explain", "stride", 1)
    padding = pair(module.padding, "explain", "padding", 0)
    dilation = pair(getattr(module, "dilation", 1), "explain", "dilation", 1)
    _, i, j = index
    rows = [i * stride[0] + a * dilation[0] for a in range(kernel[0])]
    cols = [j * stride[1] + b * dilation[1] for b in range(kernel[1])]
    win = _padded(x, padding, fill)[:, rows][:, :, cols]
    return win, [r - padding[0] for r in rows], [c - padding[1] for c in cols]


def _exact_tensor(arr: np.ndarray) -> Tensor:
    return Tensor(np.asarray(arr, dtype=object))


def _scalar(t: Tensor) -> Any:
    return t.data.reshape(-1)[0]


# ---------------------------------------------------------------------------- per layer
def _conv(x, module, index, common, exact):
    kh, kw = module.kernel_size
    # with groups, filter o sees only its group's input channels
    groups = getattr(module, "groups", 1)
    per_group = module.in_channels // groups
    first = (index[0] // (module.out_channels // groups)) * per_group
    win, rows, cols = _window(x[first:first + per_group], module, index, (kh, kw), 0.0)
    win = _exactify(win, exact)
    kernel = _exactify(module.weight.data[index[0]], exact)
    bias = _exactify(module.bias.data[index[0]], exact) if module.bias is not None else 0
    products = win * kernel
    total = sum(products.reshape(-1).tolist(), 0 if exact else 0.0) + bias
    if exact:
        # the engine's conv on the same exact operands: one window, one filter, one output
        common["value"] = _scalar(F.conv2d(_exact_tensor(win[None]),
                                           _exact_tensor(kernel[None]),
                                           None if module.bias is None
                                           else _exact_tensor(np.array([bias], object))))
    formula = (f"Σ over {products.size} products (window · kernel) + bias = "
               f"{_num(sum(products.reshape(-1).tolist()))} {_plus(bias)} = {_num(total)}")
    return ConvExplanation(**common, result=total, formula=formula, window=win,
                           kernel=kernel, products=products, bias=bias, sum=total,
                           rows=rows, cols=cols)


def _linear(x, module, index, common, exact):
    (k,) = index[-1:]
    inputs = _exactify(x[index[:-1]] if x.ndim > 1 else x, exact)
    weights = _exactify(module.weight.data[k], exact)
    bias = _exactify(module.bias.data[k], exact) if module.bias is not None else 0
    products = inputs * weights
    total = sum(products.tolist(), 0 if exact else 0.0) + bias
    if exact:
        common["value"] = _scalar(F.linear(_exact_tensor(inputs[None]),
                                           _exact_tensor(weights[None]),
                                           None if module.bias is None
                                           else _exact_tensor(np.array([bias], object))))
    formula = (f"Σ over {products.size} products (input · weight) + bias = "
               f"{_num(sum(products.tolist()))} {_plus(bias)} = {_num(total)}")
    return LinearExplanation(**common, result=total, formula=formula, inputs=inputs,
                             weights=weights, products=products, bias=bias, sum=total)


def _pool(x, module, index, common, exact, is_max):
    kernel = pair(module.kernel_size, "explain", "kernel_size", 1)
    win, rows, cols = _window(x[index[0]:index[0] + 1], module, index, kernel,
                              -np.inf if is_max else 0.0)
    win = _exactify(win[0], exact)
    flat = win.reshape(-1).tolist()
    if is_max:
        # NOTE: ties go to the first maximum in row-major order, as the engine's max does
        k = max(range(len(flat)), key=lambda t: (flat[t], -t))
        result, winner = flat[k], (rows[k // kernel[1]], cols[k % kernel[1]])
        formula = f"max of the {len(flat)} window entries = {_num(result)} (input row " \
                  f"{winner[0]}, column {winner[1]})"
        if sum(v == result for v in flat) > 1:
            formula += "; a tie: the first maximum in reading order wins (as in backward)"
        op = F.max_pool2d
    else:
        result, winner = sum(flat, 0 if exact else 0.0) / len(flat), None
        formula = f"mean of the {len(flat)} window entries = {_num(result)}"
        op = F.avg_pool2d
    if exact:
        common["value"] = _scalar(op(_exact_tensor(win[None, None]), kernel))
    return PoolExplanation(**common, result=result, formula=formula, window=win, rows=rows,
                           cols=cols, winner=winner)


def _batch_norm(x, module, index, common, exact):
    c = index[0]
    xv = _exactify(x[index], exact)
    mean = _exactify(module.running_mean.data[c], exact)
    var = _exactify(module.running_var.data[c], exact)
    eps = _exactify(np.float64(module.eps), exact)
    gamma = _exactify(module.weight.data[c], exact) if module.weight is not None else 1
    beta = _exactify(module.bias.data[c], exact) if module.bias is not None else 0
    if exact:
        import sympy

        normalised = (xv - mean) / sympy.sqrt(var + eps)
        common["value"] = _scalar(F.batch_norm(
            _exact_tensor(np.array([[xv]], object)), _exact_tensor(np.array([mean], object)),
            _exact_tensor(np.array([var], object)), _exact_tensor(np.array([gamma], object)),
            _exact_tensor(np.array([beta], object)), training=False, eps=eps))
    else:
        normalised = (xv - mean) / np.sqrt(var + eps)
    result = gamma * normalised + beta
    formula = (f"γ · (x − μ)/√(σ² + ε) + β = {_num(gamma)} · ({_num(xv)} − {_paren(mean)})"
               f"/√({_num(var)} + {_num(eps)}) {_plus(beta)} = {_num(result)}")
    return BatchNormExplanation(**common, result=result, formula=formula, x=xv, mean=mean,
                                var=var, eps=eps, normalised=normalised, gamma=gamma, beta=beta)


_ELEMENTWISE = {"ReLU": ("max(x, 0)", F.relu), "Sigmoid": ("1/(1 + exp(−x))", F.sigmoid),
                "Tanh": ("tanh(x)", F.tanh), "Dropout": ("x (dropout keeps every unit in "
                                                         "evaluation)", None)}


def _element(x, module, index, common, exact):
    name = type(module).__name__
    if name == "Flatten":
        start = module.start_axis - 1  # without the batch axis
        rest = np.unravel_index(index[start], x.shape[start:])
        source = tuple(index[:start]) + tuple(int(s) for s in rest)
        xv = _exactify(x[source], exact)
        formula = f"input{list(source)} moved to position {list(index)} = {_num(xv)}"
        return ElementExplanation(**common, result=xv, formula=formula, source=source, x=xv)
    # any other elementwise layer: apply that module itself to the one entry
    text, fn = _ELEMENTWISE.get(name, (f"{module!r}(x)", module))
    xv = _exactify(x[index], exact)
    if fn is None:
        result = xv
    elif exact:
        result = _scalar(fn(_exact_tensor(np.array([xv], object))))
        common["value"] = result
    else:
        result = fn(Tensor(np.array([xv]))).data[0]
    formula = f"{text} with x = {_num(xv)}: {_num(result)}"
    return ElementExplanation(**common, result=result, formula=formula, source=index, x=xv)


#: activations applied entry by entry: explained by applying the module to the one entry
_MODULE_ELEMENTWISE = ("LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "Identity")

SUPPORTED = ("Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d",
             "ReLU", "Sigmoid", "Tanh", "Flatten", "Dropout", *_MODULE_ELEMENTWISE)


def explain_output(model: Module, image: Any, layer: str, index: Any, exact: bool = False
                   ) -> OutputExplanation:
    """How entry ``index`` of ``layer``'s output for one (C, H, W) image was computed.

    ``index`` leaves out the batch axis: ``(channel, row, column)`` for a conv, pooling or
    batch-norm output, ``k`` or ``(k,)`` for a linear one. Returns a dataclass
    (``ConvExplanation``, ``LinearExplanation``, ``PoolExplanation``,
    ``BatchNormExplanation`` or ``ElementExplanation``) whose fields are the operands;
    ``.value`` is the model's number, ``.result`` the formula's, ``.matches`` their
    agreement and ``.to_dict()`` a JSON-friendly form. See the module docstring for
    ``exact``.

    Example::

        e = explain.explain_output(model, images[0], "0", (3, 10, 12))
        e.window, e.kernel, e.products, e.bias, e.sum, e.value
    """
    where = "explain.explain_output"
    model = check_model(model, where)
    module = find_layer(model, layer, where)
    kind = type(module).__name__
    if kind not in SUPPORTED:
        raise ValueError(f"{where}: layer {layer!r} is a {kind}; explain_output knows "
                         f"{', '.join(SUPPORTED)}")
    batch = as_batch(model, image, where)
    with evaluating(model), no_grad(), recording(model) as record:
        model(Tensor(batch))
        calls = [(ins, out) for m, ins, out in record.values() if m is module]
    if not calls:
        raise ValueError(f"{where}: layer {layer!r} was not called by the model's forward")
    inputs, output = calls[0]
    x, out = inputs[0].data[0], output.data[0]
    index = _check_index(index, out.shape, layer)
    common = {"layer": str(layer), "module": kind, "index": index,
              "value": _exactify(out[index], exact) if exact else out[index].item(),
              "exact": bool(exact)}
    if kind == "Conv2d":
        result = _conv(x, module, index, common, exact)
    elif kind == "Linear":
        result = _linear(x, module, index, common, exact)
    elif kind in ("MaxPool2d", "AvgPool2d"):
        result = _pool(x, module, index, common, exact, kind == "MaxPool2d")
    elif kind.startswith("BatchNorm"):
        result = _batch_norm(x, module, index, common, exact)
    else:
        result = _element(x, module, index, common, exact)
    if not exact:
        result.result = float(result.result)
    return result


__all__ = ["BatchNormExplanation", "ConvExplanation", "ElementExplanation",
           "LinearExplanation", "OutputExplanation", "PoolExplanation", "explain_output"]
