"""The Tensor surface of API.md: constructors, dtypes, attributes, conversion, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac


def test_python_floats_become_float32_and_float64_arrays_stay_float64() -> None:
    assert ac.tensor([1.0, 2.0]).dtype == np.float32
    assert ac.tensor(np.array([1.0, 2.0])).dtype == np.float64
    assert ac.tensor([1, 2]).dtype == np.int64
    assert ac.tensor([1.0], dtype=np.float64).dtype == np.float64
    assert ac.tensor([1.0], dtype="float64").dtype == np.float64


def test_tensor_copies_its_input_array() -> None:
    arr = np.zeros(3)
    t = ac.tensor(arr)
    arr[0] = 5
    assert t.data[0] == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: ac.zeros(2, 3),
        lambda: ac.zeros((2, 3)),
        lambda: ac.ones(2, 3),
        lambda: ac.randn(2, 3),
        lambda: ac.rand(2, 3),
        lambda: ac.zeros_like(np.zeros((2, 3), dtype=np.float32)),
        lambda: ac.ones_like(ac.zeros(2, 3)),
    ],
)
def test_constructors_make_float32_tensors_of_the_requested_shape(make) -> None:
    t = make()
    assert t.shape == (2, 3) and t.dtype == np.float32 and t.is_leaf and not t.requires_grad


def test_constructors_take_dtype_and_requires_grad() -> None:
    for make in (ac.zeros, ac.ones, ac.randn, ac.rand):
        t = make(2, dtype=np.float64, requires_grad=True)
        assert t.dtype == np.float64 and t.requires_grad
    t = ac.zeros_like(ac.zeros(3), dtype=np.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad


def test_rand_lies_in_the_unit_interval_and_randn_is_roughly_standard() -> None:
    u = ac.rand(10_000).data
    assert u.min() >= 0 and u.max() < 1
    z = ac.randn(10_000, dtype=np.float64).data
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


def test_manual_seed_makes_random_draws_repeatable() -> None:
    ac.manual_seed(123)
    a = ac.randn(5).data.copy(), ac.rand(5).data.copy()
    ac.manual_seed(123)
    b = ac.randn(5).data, ac.rand(5).data
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    ac.manual_seed(124)
    assert not np.array_equal(ac.randn(5).data, a[0])


def test_manual_seed_rejects_non_integers() -> None:
    with pytest.raises(TypeError, match="seed must be an int"):
        ac.manual_seed(1.5)


def test_only_floating_tensors_may_require_grad() -> None:
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ac.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="int64"):
        ac.zeros(2, dtype=np.int64, requires_grad=True)
    t = ac.tensor([1, 2])
    with pytest.raises(TypeError):
        t.requires_grad = True


def test_values_that_cannot_become_tensors_say_what_was_received() -> None:
    with pytest.raises(TypeError, match="str 'abc'"):
        ac.tensor("abc")
    with pytest.raises(TypeError, match=r"ragged|one shape"):
        ac.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="NoneType"):
        ac.tensor(None)


def test_attributes_follow_numpy() -> None:
    t = ac.tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float64
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.data, t.data.T)
    assert t.grad is None and t.grad_fn is None and t.is_leaf


def test_conversions_give_arrays_numbers_and_lists() -> None:
    t = ac.tensor([[1.5, 2.0]])
    assert isinstance(np.asarray(t), np.ndarray)
    assert np.asarray(t) is t.data and t.numpy() is t.data
    assert t[0, 0].item() == 1.5 and isinstance(t[0, 0].item(), float)
    assert t.tolist() == [[1.5, 2.0]]
    with pytest.raises(ValueError, match="one entry"):
        t.item()


def test_detach_shares_data_and_drops_history() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.data is y.data and not d.requires_grad and d.grad_fn is None


def test_operators_accept_numbers_lists_and_arrays_on_either_side() -> None:
    x = ac.tensor([1.0, 2.0])
    np.testing.assert_allclose((x + 1).data, [2, 3])
    np.testing.assert_allclose((1 - x).data, [0, -1])
    np.testing.assert_allclose((x * [2.0, 3.0]).data, [2, 6])
    np.testing.assert_allclose((np.array([2.0, 4.0]) / x).data, [2, 2])
    np.testing.assert_allclose((2**x).data, [2, 4])
    np.testing.assert_allclose((x**2).data, [1, 4])
    np.testing.assert_allclose((-x).data, [-1, -2])
    m = ac.tensor(np.eye(2))
    np.testing.assert_allclose((np.ones((1, 2)) @ m).data, [[1, 1]])
    assert isinstance(np.array([1.0, 2.0]) * x, ac.Tensor)


def test_float32_stays_float32_with_python_scalars() -> None:
    x = ac.tensor([1.0, 2.0])
    assert (x * 0.5).dtype == np.float32 and (x + 1).dtype == np.float32
    assert (2.0 / x).dtype == np.float32 and (x**2).dtype == np.float32


def test_comparisons_give_boolean_tensors_outside_the_graph() -> None:
    x = ac.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal((x == 2).data, [False, True, False])
    np.testing.assert_array_equal((x > ac.tensor([0.0, 5.0, 1.0])).data, [True, False, True])


def test_tensors_hash_by_identity() -> None:
    a, b = ac.zeros(2), ac.zeros(2)
    assert len({a, b}) == 2


def test_methods_match_numpy() -> None:
    arr = np.random.default_rng(0).standard_normal((2, 3, 4))
    t = ac.tensor(arr)
    np.testing.assert_allclose(t.sum(axis=1).data, arr.sum(axis=1))
    np.testing.assert_allclose(t.mean(axis=(0, 2), keepdims=True).data,
                               arr.mean(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(t.var(axis=2, ddof=1).data, arr.var(axis=2, ddof=1))
    np.testing.assert_allclose(t.max(axis=-1).data, arr.max(axis=-1))
    np.testing.assert_allclose(t.min().data, arr.min())
    np.testing.assert_allclose(t.abs().sqrt().data, np.sqrt(np.abs(arr)))
    np.testing.assert_allclose(t.exp().log().data, arr)
    np.testing.assert_allclose(t.tanh().data, np.tanh(arr))
    np.testing.assert_allclose(t.sigmoid().data, 1 / (1 + np.exp(-arr)))
    np.testing.assert_allclose(t.relu().data, np.maximum(arr, 0))
    np.testing.assert_allclose(t.reshape(6, 4).data, arr.reshape(6, 4))
    np.testing.assert_allclose(t.reshape((4, -1)).data, arr.reshape(4, -1))
    np.testing.assert_allclose(t.transpose(2, 0, 1).data, arr.transpose(2, 0, 1))
    np.testing.assert_allclose(t.transpose().data, arr.T)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    assert t.unsqueeze(1).shape == (2, 1, 3, 4) and t.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert t.unsqueeze(0).squeeze().shape == (2, 3, 4)
    assert t[:, :1].squeeze(1).shape == (2, 4)
    assert t.broadcast_to((5, 2, 3, 4)).shape == (5, 2, 3, 4)
    np.testing.assert_allclose(t[1, ::2, [0, 3]].data, arr[1, ::2, [0, 3]])
    e = np.exp(arr - arr.max(axis=1, keepdims=True))
    np.testing.assert_allclose(t.softmax(axis=1).data, e / e.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(t.log_softmax().data,
                               arr - np.log(np.exp(arr).sum(axis=-1, keepdims=True)))


def test_log_softmax_is_finite_for_huge_inputs() -> None:
    t = ac.tensor(np.array([[1000.0, -1000.0, 0.0]]))
    out = t.log_softmax(axis=1).data
    np.testing.assert_allclose(out, [[0.0, -2000.0, -1000.0]])


def test_shape_errors_name_the_op_and_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"add: .*broadcast.*\(2, 3\).*\(4,\)"):
        ac.zeros(2, 3) + ac.zeros(4)
    with pytest.raises(ValueError, match=r"matmul: the inner sizes differ.*\(2, 3\).*\(4, 5\)"):
        ac.zeros(2, 3) @ ac.zeros(4, 5)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        ac.zeros(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match="squeeze: axis 0 has size 2"):
        ac.zeros(2, 3).squeeze(0)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        ac.zeros(2, 3).sum(axis=3)
    with pytest.raises(ValueError, match="not a permutation"):
        ac.zeros(2, 3).transpose(0, 0)


def test_indexing_out_of_range_names_the_shape_and_index() -> None:
    with pytest.raises(IndexError, match=r"getitem: .*out of bounds.*shape \(3,\).*\[5\]"):
        ac.zeros(3)[5]


def test_repr_shows_values_dtype_and_history() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True, name="x")
    assert repr(x) == "tensor([1., 2.], requires_grad=True, name='x')"
    assert "grad_fn=<Mul>" in repr(x * 2)
    assert "dtype=float64" in repr(ac.tensor(np.zeros(1)))


def test_bool_of_a_multi_entry_tensor_is_ambiguous() -> None:
    assert bool(ac.tensor([1.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(ac.tensor([1.0, 2.0]))


def test_no_grad_and_enable_grad_work_as_contexts_and_decorators() -> None:
    x = ac.tensor([1.0], requires_grad=True)
    with ac.no_grad():
        assert not ac.is_grad_enabled()
        assert not (x * 2).requires_grad
        with ac.enable_grad():
            assert (x * 2).requires_grad
    assert ac.is_grad_enabled()

    @ac.no_grad()
    def f(t):
        return t * 2

    @ac.no_grad
    def g(t):
        return t * 2

    @ac.enable_grad()
    def h(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    with ac.no_grad():
        assert h(x).requires_grad
    assert f.__name__ == "f"


def test_set_grad_enabled_restores_the_previous_mode() -> None:
    with ac.set_grad_enabled(False):
        assert not ac.is_grad_enabled()
    assert ac.is_grad_enabled()


def test_astype_converts_and_keeps_gradients_in_the_original_dtype() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [2, 4])


# ---------------------------------------------------------------- dtypes as PyTorch keeps them
def test_numpy_scalar_does_not_promote_float32():
    assert (ac.ones(2) * np.sqrt(2.0)).dtype == np.float32
    assert (np.float64(2.0) + ac.ones(2)).dtype == np.float32


@pytest.mark.parametrize("make", [lambda: ac.tensor([1, 2]), lambda: np.array([1, 2])])
def test_integer_operand_meets_the_float_dtype(make):
    assert (ac.ones(2) + make()).dtype == np.float32
    assert (make() * ac.ones(2)).dtype == np.float32
    assert (ac.ones(2, dtype=ac.float64) - make()).dtype == np.float64


def test_integer_images_run_in_the_weights_dtype():
    from autocnn import nn

    out = nn.Conv2d(1, 1, 2)(ac.tensor(np.ones((1, 1, 3, 3), dtype=np.int64)))
    assert out.dtype == np.float32


# ---------------------------------------------------------------- errors name what was called
def test_subtraction_errors_name_sub():
    with pytest.raises(ValueError, match=r"^sub: .*\(2, ?3\).*\(4,\)"):
        ac.ones(2, 3, requires_grad=True) - ac.ones(4)


@pytest.mark.parametrize("op, name", [("__lt__", "lt"), ("__ge__", "ge"), ("__eq__", "eq")])
def test_comparison_errors_name_the_comparison_and_shapes(op, name):
    with pytest.raises(ValueError, match=rf"^{name}: cannot compare shapes \(2, 3\) and \(4,\)"):
        getattr(ac.ones(2, 3), op)(ac.ones(4))


def test_softmax_errors_name_softmax():
    with pytest.raises(ValueError, match=r"^softmax: axis 2 is out of range"):
        ac.ones(2, 3).softmax(axis=2)


def test_softmax_of_a_0d_tensor_is_one():
    x = ac.tensor(3.0, requires_grad=True, dtype=np.float64)
    assert x.softmax().item() == 1.0
    assert x.log_softmax().item() == 0.0
    x.log_softmax().backward()
    assert x.grad.item() == 0.0


def test_anomaly_names_sqrt_when_sqrt_was_called():
    from autocnn.autograd import detect_anomaly

    x = ac.tensor([1.0, -1e-9], requires_grad=True, dtype=np.float64)
    with detect_anomaly(), pytest.raises(RuntimeError, match=r"(?s)^sqrt .*-1e-09 at \(1,\)"):
        x.sqrt()


def test_comparisons_of_symbolic_tensors_are_sympy_relations():
    import sympy

    from autocnn import symbolic

    x = symbolic.symbols("x", (2,))
    rel = (x > 0).data
    assert rel.dtype == object
    assert isinstance(rel[0], sympy.StrictGreaterThan) and str(rel[0]) == "x_0 > 0"
