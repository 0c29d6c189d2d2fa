"""Shape and parameter-count formulas agree with real layers; the lesson's comparison."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import autocnn as ac
from autocnn import nn, symbolic
from autocnn.symbolic.shapes import CONV_PARAMS, OUTPUT_SIZE


def _model() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(8, 4, 3, dilation=2, padding=2, bias=False),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 10))


def test_table_shapes_match_the_forward_pass() -> None:
    model = _model()
    table = symbolic.shape_table(model, (2, 3, 17, 17))
    x = ac.randn(2, 3, 17, 17)
    model.eval()
    for layer, row in zip(model, table.rows):
        x = layer(x)
        assert row.out_shape == x.shape, row.layer


def test_table_parameter_counts_match_the_layers() -> None:
    model = _model()
    table = symbolic.shape_table(model, (1, 3, 17, 17))
    for layer, row in zip(model, table.rows):
        assert row.params == sum(p.size for p in layer.parameters()), row.layer
    assert table.total_params == sum(p.size for p in model.parameters())


def test_output_size_formula_is_the_textbook_one() -> None:
    H, P, D, K, S = sympy.symbols("H P D K S", integer=True, nonnegative=True)
    assert OUTPUT_SIZE.xreplace({H: 32, P: 1, D: 1, K: 3, S: 2}) == 16
    C_out, C_in, K_h, K_w = sympy.symbols("C_out C_in K_h K_w", integer=True, positive=True)
    assert CONV_PARAMS.xreplace({C_out: 64, C_in: 3, K_h: 3, K_w: 3}) == 1792


def test_table_prints_as_text_and_latex() -> None:
    table = symbolic.shape_table(_model(), (1, 3, 17, 17))
    text, latex = str(table), table.to_latex()
    assert "floor" in text and "C_in*C_out*K_h*K_w + C_out = 224" in text
    assert "\\begin{tabular}" in latex and "\\left\\lfloor" in latex


def test_lesson_comparison_196608_inputs() -> None:
    text = symbolic.dense_vs_conv()
    assert "256·256·3 = 196,608" in text
    assert "196,609,000 parameters" in text and "1,792 parameters" in text


def test_channel_mismatch_is_reported() -> None:
    with pytest.raises(ValueError, match="expects 3 channels"):
        symbolic.shape_table(nn.Sequential(nn.Conv2d(3, 4, 3)), (1, 1, 8, 8))


def test_values_are_plain_integers() -> None:
    table = symbolic.shape_table(nn.Sequential(nn.Conv2d(1, 2, 3)), (1, 1, 5, 5))
    assert table.rows[0].out_shape == (1, 2, 3, 3)
    assert isinstance(table.rows[0].params, int) and np.prod(table.rows[0].out_shape) == 18
