"""Bad input to the functional ops raises an error that names the op, argument and values."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F


def test_conv2d_channel_mismatch_names_both_counts():
    with pytest.raises(ValueError, match=r"conv2d: weight of shape \[8, 3, 3, 3\] expects "
                       r"input \[1, 4, 6, 6\] to have 3 channels, but got 4 channels"):
        F.conv2d(ac.zeros(1, 4, 6, 6), ac.zeros(8, 3, 3, 3))


def test_conv2d_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"conv2d: kernel of size 5×5.*larger than the padded "
                       r"input of size 4×4"):
        F.conv2d(ac.zeros(1, 1, 2, 2), ac.zeros(1, 1, 5, 5), padding=1)


@pytest.mark.parametrize("shape", [(6, 6), (1, 6, 6), (1, 1, 1, 6, 6)])
def test_conv2d_needs_4d_input(shape):
    with pytest.raises(ValueError, match=r"conv2d: expected 'input' to be a 4-D"):
        F.conv2d(ac.zeros(*shape), ac.zeros(1, 1, 3, 3))


def test_conv2d_needs_4d_weight():
    with pytest.raises(ValueError, match=r"conv2d: expected 'weight' to be a 4-D"):
        F.conv2d(ac.zeros(1, 1, 6, 6), ac.zeros(3, 3))


def test_conv2d_bias_size():
    with pytest.raises(ValueError, match=r"conv2d: expected 'bias' of shape \[2\].*got \[3\]"):
        F.conv2d(ac.zeros(1, 1, 6, 6), ac.zeros(2, 1, 3, 3), ac.zeros(3))


@pytest.mark.parametrize("arg, value, message", [
    ("stride", 0, "'stride' must be positive, got 0"),
    ("dilation", (1, 0), r"'dilation' must be positive, got \(1, 0\)"),
    ("padding", -1, "'padding' must be non-negative, got -1"),
    ("stride", 1.5, "'stride' must be an int or a pair of ints, got 1.5"),
])
def test_conv2d_bad_geometry_arguments(arg, value, message):
    with pytest.raises((ValueError, TypeError), match="conv2d: " + message):
        F.conv2d(ac.zeros(1, 1, 6, 6), ac.zeros(1, 1, 3, 3), **{arg: value})


def test_max_pool2d_padding_more_than_half_the_kernel():
    with pytest.raises(ValueError, match=r"max_pool2d: padding should be at most half of the "
                       r"kernel size, got padding \(2, 2\) for kernel_size \(3, 3\)"):
        F.max_pool2d(ac.zeros(1, 1, 6, 6), 3, padding=2)


def test_pool_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"avg_pool2d: kernel of size 4×4 is larger"):
        F.avg_pool2d(ac.zeros(1, 1, 3, 3), 4)


def test_cross_entropy_class_out_of_range():
    with pytest.raises(ValueError, match=r"cross_entropy: target 5 at index 1 is out of range "
                       r"for 3 classes \(valid indices are 0..2\)"):
        F.cross_entropy(ac.zeros(2, 3), [0, 5])


def test_cross_entropy_negative_class():
    with pytest.raises(ValueError, match="target -1 at index 0"):
        F.cross_entropy(ac.zeros(2, 3), [-1, 0])


def test_cross_entropy_float_target():
    with pytest.raises(TypeError, match=r"cross_entropy: expected integer class indices.*"
                       r"got dtype float"):
        F.cross_entropy(ac.zeros(2, 3), np.array([0.0, 1.0]))


def test_cross_entropy_target_shape():
    with pytest.raises(ValueError, match=r"expected 'target' of shape \[2\].*got \[2, 1\]"):
        F.cross_entropy(ac.zeros(2, 3), np.array([[0], [1]]))


def test_cross_entropy_logits_must_be_2d():
    with pytest.raises(ValueError, match=r"cross_entropy: expected logits of shape \(N, C\)"):
        F.cross_entropy(ac.zeros(3), [0])


@pytest.mark.parametrize("fn", [F.cross_entropy, F.mse_loss])
def test_unknown_reduction_lists_valid_ones(fn):
    target = [0, 1] if fn is F.cross_entropy else ac.zeros(2, 3)
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none', "
                       r"got 'avg'"):
        fn(ac.zeros(2, 3), target, reduction="avg")


def test_mse_loss_shape_mismatch():
    with pytest.raises(ValueError, match=r"mse_loss: 'input' of shape \[2, 3\] and 'target' "
                       r"of shape \[3\]"):
        F.mse_loss(ac.zeros(2, 3), ac.zeros(3))


def test_batch_norm_running_stats_of_wrong_size():
    with pytest.raises(ValueError, match=r"batch_norm: expected 'running_mean' of shape \[3\] "
                       r"\(one per channel\), got \[4\]"):
        F.batch_norm(ac.zeros(2, 3), ac.zeros(4), ac.ones(3), training=True)


def test_batch_norm_one_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(ac.zeros(1, 3), None, None, training=True)


def test_batch_norm_eval_without_running_stats():
    with pytest.raises(ValueError, match=r"evaluation mode .* needs 'running_mean'"):
        F.batch_norm(ac.zeros(2, 3), None, None, training=False)


def test_linear_feature_mismatch():
    with pytest.raises(ValueError, match=r"linear: weight of shape \[4, 5\] expects inputs "
                       r"with 5 features in the last axis, but got input of shape \[2, 3\]"):
        F.linear(ac.zeros(2, 3), ac.zeros(4, 5))


@pytest.mark.parametrize("p", [-0.1, 1.5, "half"])
def test_dropout_probability_range(p):
    with pytest.raises(ValueError, match=r"dropout: probability 'p' must be a number in \[0, 1\]"):
        F.dropout(ac.zeros(3), p)


def test_batch_norm_training_refuses_array_running_stats_it_could_not_update():
    with pytest.raises(TypeError, match=r"batch_norm: 'running_mean' must be a Tensor \(it is "
                       r"updated in place\), got ndarray"):
        F.batch_norm(ac.zeros(4, 3), np.zeros(3), np.ones(3), training=True)
