"""Output sizes and parameter counts as formulas: SymPy expressions and their values.

For a model (an ``nn.Sequential`` or a list of layers) and an input shape, ``shape_table``
gives each layer's output size formula, e.g. ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1, and its
parameter formula, e.g. C_out·C_in·K_h·K_w + C_out, with the values for these sizes —
printable as text and LaTeX. ``dense_vs_conv`` answers the lesson's question: a 256×256 RGB
image has 196,608 inputs; how many weights does one fully connected layer need, compared
with a convolution?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

H, W, P, K, S, D = sympy.symbols("H W P K S D", integer=True, nonnegative=True)
C_in, C_out, K_h, K_w = sympy.symbols("C_in C_out K_h K_w", integer=True, positive=True)
F_in, F_out = sympy.symbols("F_in F_out", integer=True, positive=True)

#: ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1, the output size of a convolution or pooling
OUTPUT_SIZE = sympy.floor((H + 2 * P - D * (K - 1) - 1) / S) + 1
#: C_out·C_in·K_h·K_w + C_out, the parameters of a convolution with bias
CONV_PARAMS = C_out * C_in * K_h * K_w + C_out
#: F_out·F_in + F_out, the parameters of a fully connected layer with bias
LINEAR_PARAMS = F_out * F_in + F_out


@dataclass
class Row:
    """One layer of the table."""

    layer: str
    out_shape: tuple[int, ...]
    size_formula: Any
    size_values: dict
    params_formula: Any
    params: int

    def size_text(self) -> str:
        """The size formula and its substituted values, as text."""
        if self.size_formula is None:
            return "—"
        vals = ", ".join(f"{k}={v}" for k, v in self.size_values.items())
        return f"{sympy.sstr(self.size_formula)}  [{vals}]"


@dataclass
class ShapeTable:
    """Output shapes and parameter counts per layer; ``str()`` text, ``to_latex()``."""

    input_shape: tuple[int, ...]
    rows: list[Row] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        """The total number of parameters."""
        return sum(r.params for r in self.rows)

    def __str__(self) -> str:
        lines = [f"input {self.input_shape}"]
        for r in self.rows:
            lines.append(f"{r.layer}: output {r.out_shape}")
            if r.size_formula is not None:
                lines.append(f"    size   = {r.size_text()}")
            if r.params_formula is not None:
                lines.append(f"    params = {sympy.sstr(r.params_formula)} = {r.params:,}")
        lines.append(f"total parameters: {self.total_params:,}")
        return "\n".join(lines)

    __repr__ = __str__

    def to_latex(self) -> str:
        """A LaTeX tabular with the formulas and values."""
        out = ["\\begin{tabular}{llll}", "layer & output & size formula & parameters \\\\",
               "\\hline"]
        for r in self.rows:
            size = f"${sympy.latex(r.size_formula)}$" if r.size_formula is not None else "--"
            params = (f"${sympy.latex(r.params_formula)} = {r.params}$"
                      if r.params_formula is not None else "0")
            out.append(f"{r.layer} & {r.out_shape} & {size} & {params} \\\\")
        out += ["\\hline", f"total & & & {self.total_params} \\\\", "\\end{tabular}"]
        return "\n".join(out)


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if not isinstance(v, (tuple, list)) else (int(v[0]), int(v[1]))


def _window_size(size: int, k: int, s: int, p: int, d: int) -> tuple[int, dict]:
    values = {H: size, P: p, D: d, K: k, S: s}
    return int(OUTPUT_SIZE.xreplace(values)), {"H": size, "P": p, "D": d, "K": k, "S": s}


def shape_table(model: Any, input_shape: tuple[int, ...]) -> ShapeTable:
    """Each layer's output shape and parameter count, as formulas with their values.

    ``model`` is an ``nn.Sequential`` (or any iterable of layers); ``input_shape`` is
    (N, C, H, W) or (C, H, W). Conv2d, MaxPool2d/AvgPool2d, Linear, BatchNorm, Flatten and
    shape-preserving layers (ReLU, Dropout, …) are understood.
    """
    shape = tuple(int(s) for s in input_shape)
    table = ShapeTable(shape)
    for i, layer in enumerate(model):
        kind = type(layer).__name__
        label = f"{i}: {kind}"
        if kind == "Conv2d":
            (kh, kw), (sh, sw) = _pair(layer.kernel_size), _pair(layer.stride)
            (ph, pw), (dh, dw) = _pair(layer.padding), _pair(layer.dilation)
            if shape[-3] != layer.in_channels:
                raise ValueError(f"shape_table: layer {label} expects {layer.in_channels} "
                                 f"channels, got input shape {shape}")
            ho, values = _window_size(shape[-2], kh, sh, ph, dh)
            wo, _ = _window_size(shape[-1], kw, sw, pw, dw)
            has_bias = layer.bias is not None
            formula = CONV_PARAMS if has_bias else C_out * C_in * K_h * K_w
            n = int(formula.xreplace({C_out: layer.out_channels, C_in: layer.in_channels,
                                      K_h: kh, K_w: kw}))
            shape = (*shape[:-3], layer.out_channels, ho, wo)
            table.rows.append(Row(label, shape, OUTPUT_SIZE, values, formula, n))
        elif kind in ("MaxPool2d", "AvgPool2d"):
            (kh, kw), (sh, sw) = _pair(layer.kernel_size), _pair(layer.stride)
            (ph, pw) = _pair(layer.padding)
            ho, values = _window_size(shape[-2], kh, sh, ph, 1)
            wo, _ = _window_size(shape[-1], kw, sw, pw, 1)
            shape = (*shape[:-2], ho, wo)
            table.rows.append(Row(label, shape, OUTPUT_SIZE, values, None, 0))
        elif kind == "Linear":
            if shape[-1] != layer.in_features:
                raise ValueError(f"shape_table: layer {label} expects {layer.in_features} "
                                 f"features, got input shape {shape}")
            formula = LINEAR_PARAMS if layer.bias is not None else F_out * F_in
            n = int(formula.xreplace({F_out: layer.out_features, F_in: layer.in_features}))
            shape = (*shape[:-1], layer.out_features)
            table.rows.append(Row(label, shape, None, {}, formula, n))
        elif kind in ("BatchNorm1d", "BatchNorm2d"):
            formula = 2 * sympy.Symbol("C", integer=True, positive=True)
            table.rows.append(Row(label, shape, None, {}, formula, 2 * layer.num_features))
        elif kind == "Flatten":
            start = getattr(layer, "start_axis", 1)
            flat = 1
            for s in shape[start:]:
                flat *= s
            shape = (*shape[:start], flat)
            table.rows.append(Row(label, shape, None, {}, None, 0))
        else:
            n = sum(p.size for p in layer.parameters()) if hasattr(layer, "parameters") else 0
            table.rows.append(Row(label, shape, None, {}, None, int(n)))
    return table


def dense_vs_conv(height: int = 256, width: int = 256, channels: int = 3, units: int = 1000,
                  filters: int = 64, kernel_size: int = 3) -> str:
    """The lesson's comparison: parameters of a dense layer vs a conv layer on one image.

    A dense layer connects every one of the H·W·C inputs to each of ``units`` neurons; a
    convolution shares ``filters`` small kernels over the whole image.
    """
    inputs = height * width * channels
    dense = int(LINEAR_PARAMS.xreplace({F_in: inputs, F_out: units}))
    conv = int(CONV_PARAMS.xreplace({C_out: filters, C_in: channels, K_h: kernel_size,
                                     K_w: kernel_size}))
    return (
        f"inputs: H·W·C = {height}·{width}·{channels} = {inputs:,}\n"
        f"dense layer of {units} units: F_out·F_in + F_out = {units}·{inputs:,} + {units} "
        f"= {dense:,} parameters\n"
        f"conv layer of {filters} filters {kernel_size}×{kernel_size}: C_out·C_in·K_h·K_w + "
        f"C_out = {filters}·{channels}·{kernel_size}·{kernel_size} + {filters} = {conv:,} "
        f"parameters\n"
        f"ratio: the dense layer needs {dense / conv:,.0f} times as many parameters"
    )
