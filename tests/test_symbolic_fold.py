"""Folding an eval-mode BatchNorm2d into its Conv2d gives the same outputs."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn import nn, symbolic


def _trained_pair(bias: bool = True) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=bias).double()
    bn = nn.BatchNorm2d(4).double()
    bn.train()
    for _ in range(3):
        bn(conv(ac.randn(6, 3, 7, 7, dtype=np.float64) * 2 + 1))
    bn.weight.data[...] = [1.5, 0.5, -2.0, 1.0]
    bn.bias.data[...] = [0.1, -0.3, 0.0, 2.0]
    bn.eval()
    return conv, bn


@pytest.mark.parametrize("bias", [True, False])
def test_folded_conv_equals_conv_then_batchnorm(bias: bool) -> None:
    conv, bn = _trained_pair(bias)
    folded = symbolic.fold_batchnorm(conv, bn)
    x = ac.randn(2, 3, 7, 7, dtype=np.float64)
    np.testing.assert_allclose(folded(x).data, bn(conv(x)).data, rtol=1e-12, atol=1e-12)


def test_fold_leaves_the_original_layers_unchanged() -> None:
    conv, bn = _trained_pair()
    before = conv.weight.data.copy()
    symbolic.fold_batchnorm(conv, bn)
    np.testing.assert_array_equal(conv.weight.data, before)


def test_fold_refuses_training_mode() -> None:
    conv, bn = _trained_pair()
    bn.train()
    with pytest.raises(ValueError, match="training mode"):
        symbolic.fold_batchnorm(conv, bn)


def test_fold_refuses_mismatched_channels() -> None:
    with pytest.raises(ValueError, match="4 output channels"):
        symbolic.fold_batchnorm(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(5).eval())


def test_fold_refuses_other_layers() -> None:
    with pytest.raises(TypeError, match="expected \\(Conv2d, BatchNorm2d\\)"):
        symbolic.fold_batchnorm(nn.Linear(3, 4), nn.BatchNorm2d(4))
