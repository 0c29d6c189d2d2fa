"""dtype semantics: promotion as PyTorch's, min on every real dtype, float16 reductions in
float32, and the dtypes a tensor may not hold (complex, datetime, strings)."""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pytest

import autocnn as ac
from autocnn import functional as F
from autocnn import nn

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 3, 2.5]
BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "pow": operator.pow,
}


def _values(dtype: str) -> np.ndarray:
    """Small positive entries every operator is defined on, in ``dtype``."""
    return np.array([1, 2, 3], dtype=np.float64).astype(dtype)


def _torch_result(torch, fn, *args):
    try:
        return fn(*args)
    except (RuntimeError, TypeError):
        return None  # an operation PyTorch refuses is not part of the table


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_with_python_scalar_promotes_as_torch(name: str, dtype: str) -> None:
    torch = pytest.importorskip("torch")
    fn = BINARY[name]
    data = _values(dtype)
    for scalar, reflected in itertools.product(SCALARS, (False, True)):
        args = (scalar, "t") if reflected else ("t", scalar)

        def run(t, args=args):
            return fn(*(t if a == "t" else a for a in args))

        if name == "pow" and dtype == "bool" and scalar is True:
            continue  # bool ** bool: not a number operation anyone writes (NumPy: int8)
        expected = _torch_result(torch, run, torch.from_numpy(data.copy()))
        if expected is None:
            continue
        got = run(ac.tensor(data))
        want = str(expected.dtype).replace("torch.", "")
        assert str(got.dtype) == want, f"{args} on {dtype}: got {got.dtype}, torch {want}"
        np.testing.assert_allclose(got.numpy().astype(np.float64),
                                   expected.numpy().astype(np.float64), rtol=1e-3)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(BINARY))
def test_tensor_with_tensor_promotes_as_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    fn = BINARY[name]
    for da, db in itertools.product(DTYPES, repeat=2):
        a, b = _values(da), _values(db)
        expected = _torch_result(torch, fn, torch.from_numpy(a.copy()), torch.from_numpy(b.copy()))
        if expected is None:
            continue
        got = fn(ac.tensor(a), ac.tensor(b))
        want = str(expected.dtype).replace("torch.", "")
        assert str(got.dtype) == want, f"{da} {name} {db}: got {got.dtype}, torch {want}"


@pytest.mark.torch
@pytest.mark.parametrize("method", ["exp", "log", "sqrt", "tanh", "sigmoid", "softmax",
                                    "log_softmax", "sum", "max", "min", "abs"])
def test_unary_functions_give_torch_dtype(method: str) -> None:
    torch = pytest.importorskip("torch")
    for dtype in ["bool", "uint8", "int32", "int64", "float16", "float32"]:
        data = _values(dtype)
        expected = _torch_result(torch, lambda t: getattr(t, method)(),
                                 torch.from_numpy(data.copy()))
        if expected is None:
            continue  # torch refuses it (e.g. softmax of integers): ours may do more
        got = getattr(ac.tensor(data), method)()
        assert str(got.dtype) == str(expected.dtype).replace("torch.", ""), (method, dtype)
        np.testing.assert_allclose(got.numpy().astype(np.float64),
                                   expected.numpy().astype(np.float64), rtol=2e-3)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_python_scalars_never_change_a_float_dtype(dtype) -> None:
    x = ac.tensor(np.array([1.0, 2.0], dtype=dtype))
    for op in BINARY.values():
        for scalar in (1, 2.5, np.float64(2.0), np.int64(3)):
            assert op(x, scalar).dtype == dtype
            assert op(scalar, x).dtype == dtype
    assert (-x).dtype == dtype


def test_float32_minus_one_stays_float32_and_keeps_its_gradient() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    y = x - 1
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_integer_minus_python_int_keeps_the_integer_dtype() -> None:
    u = ac.tensor(np.array([0, 5], dtype=np.uint8))
    assert (u - 1).dtype == np.uint8
    np.testing.assert_array_equal((u - 1).numpy(), [255, 4])  # wraps, as PyTorch's uint8
    with pytest.raises(ValueError, match="sub"):
        u - 1000


@pytest.mark.parametrize(
    "data, dtype, expected",
    [
        ([0, -(2**31)], np.int32, -(2**31)),
        ([2**31 - 1, 7], np.int32, 7),
        ([0, -(2**63)], np.int64, -(2**63)),
        ([0, 5], np.uint8, 0),
        ([255, 3], np.uint8, 3),
        ([True, False], np.bool_, False),
        ([True, True], np.bool_, True),
        ([-np.inf, 0.0], np.float32, -np.inf),
    ],
)
def test_min_is_exact_on_every_real_dtype(data, dtype, expected) -> None:
    t = ac.tensor(np.array(data, dtype=dtype))
    result = t.min()
    assert result.dtype == dtype
    assert result.item() == expected
    np.testing.assert_array_equal(t.min(axis=0, keepdims=True).numpy(), [expected])


def test_min_gradient_goes_to_the_first_minimum() -> None:
    x = ac.tensor([[3.0, 1.0, 1.0], [2.0, 5.0, 2.0]], dtype=np.float64, requires_grad=True)
    x.min(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    assert ac.autograd.gradcheck(lambda t: t.min(axis=0), (ac.tensor(
        [[3.0, 1.0], [2.0, 5.0]], dtype=np.float64, requires_grad=True),))


def test_min_of_a_group_holding_nan_is_nan_with_its_gradient_there() -> None:
    x = ac.tensor([1.0, np.nan, 0.0], requires_grad=True)
    y = x.min()
    assert np.isnan(y.item())
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0])


def test_max_pool2d_pads_integer_input_with_the_type_minimum() -> None:
    for dtype in (np.int32, np.uint8, np.int64):
        x = np.arange(16).reshape(1, 1, 4, 4).astype(dtype)
        got = F.max_pool2d(ac.tensor(x), 2, stride=2, padding=1)
        ref = F.max_pool2d(ac.tensor(x.astype(np.float64)), 2, stride=2, padding=1)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got.numpy(), ref.numpy())
    negative = ac.tensor(-np.arange(1, 17, dtype=np.int32).reshape(1, 1, 4, 4))
    assert F.max_pool2d(negative, 2, stride=2, padding=1).numpy().max() == -1


# ---------------------------------------------------------------------- float16
def test_float16_mean_and_sum_accumulate_in_float32() -> None:
    tenths = ac.tensor(np.full(70_000, 0.1, dtype=np.float16))
    assert tenths.mean().dtype == np.float16
    assert abs(tenths.mean().item() - 0.1) < 1e-3
    ones = ac.tensor(np.ones(100_000, dtype=np.float16))
    assert ones.mean().item() == 1.0
    assert ones.var().item() == 0.0
    # a float16 sum is rounded once: 3000 ones give 3000, not float16's stuck 2048
    assert ac.tensor(np.ones(3000, dtype=np.float16)).sum().item() == 3000
    # and a true sum beyond float16's range is inf, as PyTorch's
    assert np.isinf(ones.sum().item())


@pytest.mark.torch
def test_float16_reductions_match_torch() -> None:
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).random((300, 40)).astype(np.float16)
    t, ref = ac.tensor(data), torch.from_numpy(data.copy())
    for ours, theirs in [(t.sum(axis=0), ref.sum(0)), (t.mean(), ref.mean()),
                         (t.mean(axis=1), ref.mean(1)), (t.softmax(axis=0), ref.softmax(0))]:
        assert ours.dtype == np.float16
        np.testing.assert_allclose(ours.numpy().astype(np.float64),
                                   theirs.numpy().astype(np.float64), rtol=2e-3, atol=1e-4)


def test_batchnorm1d_in_float16_normalises() -> None:
    rng = np.random.default_rng(1)
    x = ac.tensor((rng.standard_normal((4096, 3)) * 3 + 50).astype(np.float16))
    bn = nn.BatchNorm1d(3).to(np.float16)
    y = bn(x).numpy().astype(np.float64)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=2e-2)
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=2e-2)


def test_float16_mean_gradient_is_float16_and_exact() -> None:
    x = ac.tensor(np.ones(4, dtype=np.float16), requires_grad=True)
    x.mean().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_array_equal(x.grad.numpy(), [0.25] * 4)


# ---------------------------------------------------------------------- refused dtypes
REFUSED = {
    "complex": np.array([1 + 2j]),
    "datetime": np.array(["2024-01-01"], dtype="datetime64[D]"),
    "timedelta": np.array([3], dtype="timedelta64[s]"),
    "string": np.array(["a"]),
    "bytes": np.array([b"a"]),
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_tensor_refuses_non_real_arrays(kind: str) -> None:
    with pytest.raises(TypeError, match="tensor"):
        ac.tensor(REFUSED[kind])
    with pytest.raises(TypeError, match="Tensor"):
        ac.Tensor(REFUSED[kind])


@pytest.mark.parametrize("dtype", ["complex64", "complex128", "datetime64[s]",
                                   "timedelta64[s]", "U3", "S3"])
def test_non_real_dtypes_are_refused_everywhere(dtype: str) -> None:
    with pytest.raises(TypeError, match="astype"):
        ac.tensor([1.0]).astype(dtype)
    with pytest.raises(TypeError, match="tensor"):
        ac.tensor([1.0], dtype=dtype)
    with pytest.raises(TypeError, match="zeros"):
        ac.zeros(2, dtype=dtype)


def test_complex_scalars_and_python_complex_lists_are_refused() -> None:
    with pytest.raises(TypeError, match="complex"):
        ac.tensor([1.0]) * 1j
    with pytest.raises(TypeError, match="tensor"):
        ac.tensor([1 + 1j, 2])
    with pytest.raises(TypeError):
        ac.tensor(np.array([1 + 1j], dtype=object))


def test_only_floating_tensors_can_require_grad() -> None:
    t = ac.tensor([1, 2])
    with pytest.raises(TypeError, match="floating"):
        t.requires_grad = True
    with pytest.raises(TypeError, match="floating"):
        ac.tensor([True], requires_grad=True)


def test_in_place_ops_refuse_results_their_dtype_cannot_hold() -> None:
    counts = ac.tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+=: the result has dtype float\d+, which cannot"):
        counts += 1.5
    counts += 1
    np.testing.assert_array_equal(counts.numpy(), [2, 3])
    halves = ac.tensor(np.array([1.0], dtype=np.float16))
    halves += 1.5
    assert halves.dtype == np.float16 and halves.item() == 2.5
