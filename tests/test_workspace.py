"""``autocnn.ops.workspace``: large arrays reuse memory nobody refers to any more.

The fast path must never change a result: a buffer still held (directly, through a view,
through a Tensor or a ``.grad``) is never handed out again, and the primitives that use it
(Unfold's columns, Fold's image, a 2-D MatMul's product) overwrite or zero every element of
memory that holds an earlier step's values. The conv tests lower ``MIN_BYTES`` to 0 so that
every array of a small float64 problem goes through the workspace, and compare with a
pixel-by-pixel convolution and with central finite differences.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn.ops import Fold, output_size, workspace


@pytest.fixture
def everything_pooled(monkeypatch):
    """Every array, however small, goes through the workspace; it starts and ends empty."""
    workspace.release()
    monkeypatch.setattr(workspace, "MIN_BYTES", 0)
    yield
    workspace.release()


def test_a_buffer_is_reused_only_when_nothing_refers_to_it(everything_pooled) -> None:
    a = workspace.empty((4, 8), np.float64)
    b = workspace.empty((4, 8), np.float64)
    assert not np.shares_memory(a, b)  # a is in use
    view = a[1:]
    del a
    c = workspace.empty((8, 4), np.float64)  # same size, other shape
    assert not np.shares_memory(c, view) and not np.shares_memory(c, b)  # a view holds a
    del view
    d = workspace.empty((32,), np.float64)
    assert d.shape == (32,) and d.flags.c_contiguous and d.dtype == np.float64
    assert workspace.kept_bytes() == 3 * 32 * 8  # a's buffer came back, nothing new


def test_small_and_object_arrays_bypass_the_workspace(monkeypatch) -> None:
    workspace.release()
    monkeypatch.setattr(workspace, "MIN_BYTES", 1024)
    small = workspace.empty((10,), np.float32)
    objects = workspace.empty((1000,), object)
    assert small.base is None and objects.base is None and workspace.kept_bytes() == 0


def test_at_most_max_bytes_are_kept(everything_pooled, monkeypatch) -> None:
    monkeypatch.setattr(workspace, "MAX_BYTES", 1000)
    held = workspace.empty((100,), np.float64)  # 800 bytes kept
    extra = workspace.empty((100,), np.float64)  # would pass the cap: plain np.empty
    assert extra.base is None and workspace.kept_bytes() == 800
    del held
    other = workspace.empty((50,), np.float32)  # 200 bytes: fits beside the 800
    assert other.base is not None and workspace.kept_bytes() == 1000
    again = workspace.empty((60,), np.float32)  # the unused 800-byte buffer is let go
    assert again.base is not None and workspace.kept_bytes() == 200 + 240
    del other, again
    assert workspace.release() == 0


def conv_reference(x, w, b, pad):
    """y[n,o,p,q] = b[o] + Σ_(c,i,j) w[o,c,i,j] · xpad[n,c,p+i,q+j], pixel by pixel."""
    N, C, H, W = x.shape
    _, _, kh, kw = w.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + W] = x
    Ho, Wo = H + 2 * pad - kh + 1, W + 2 * pad - kw + 1
    y = np.empty((N, w.shape[0], Ho, Wo))
    for n, o, p, q in itertools.product(range(N), range(w.shape[0]), range(Ho), range(Wo)):
        y[n, o, p, q] = b[o] + np.sum(w[o] * xp[n, :, p:p + kh, q:q + kw])
    return y


def test_conv2d_steps_match_the_pixel_loop_and_keep_earlier_results(everything_pooled) -> None:
    rng = np.random.default_rng(3)
    x = ac.tensor(rng.standard_normal((2, 3, 5, 5)), requires_grad=True)
    w = ac.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    b = ac.tensor(rng.standard_normal(4), requires_grad=True)
    kept = []
    for _ in range(3):  # later steps run on reused, dirty memory
        g = rng.standard_normal((2, 4, 5, 5))
        y = F.conv2d(x, w, b, padding=1)
        (y * ac.tensor(g)).sum().backward()
        np.testing.assert_allclose(y.data, conv_reference(x.data, w.data, b.data, 1),
                                   rtol=1e-12, atol=1e-12)
        # the gradients of sum(y · g), from the pixel loop's linearity
        eye_w = np.zeros_like(w.data)
        for idx in np.ndindex(w.shape):
            eye_w[idx] = 1
            expected = np.sum(conv_reference(x.data, eye_w, np.zeros(4), 1) * g)
            assert w.grad.data[idx] == pytest.approx(expected, rel=1e-10, abs=1e-10)
            eye_w[idx] = 0
        np.testing.assert_allclose(b.grad.data, g.sum(axis=(0, 2, 3)), rtol=1e-12)
        kept.append((y.data, y.data.copy(), x.grad.data, x.grad.data.copy()))
        x.grad = w.grad = b.grad = None
    for y_arr, y_copy, gx_arr, gx_copy in kept:  # nothing held was overwritten
        np.testing.assert_array_equal(y_arr, y_copy)
        np.testing.assert_array_equal(gx_arr, gx_copy)
    assert workspace.kept_bytes() > 0  # the fixture's setting really sent them through


def test_conv2d_and_max_pool_gradcheck_through_the_workspace(everything_pooled) -> None:
    rng = np.random.default_rng(4)
    x = ac.tensor(rng.standard_normal((2, 2, 5, 5)), requires_grad=True)
    w = ac.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = ac.tensor(rng.standard_normal(3), requires_grad=True)
    for _ in range(2):  # the second time on reused buffers
        assert ac.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
                                     (x, w, b))
        assert ac.autograd.gradcheck(lambda x: F.max_pool2d(x, 2, stride=1), (x,))


@pytest.mark.parametrize("ufunc", [np.add, np.multiply])
@pytest.mark.parametrize("b_kind", ["same", "broadcast", "bool", "int8", "float", "int"])
def test_elementwise_gives_what_numpy_gives(everything_pooled, ufunc, b_kind) -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((6, 5)).astype(np.float32)
    b = {"same": rng.standard_normal((6, 5)).astype(np.float32),
         "broadcast": rng.standard_normal((5,)).astype(np.float32),
         "bool": rng.standard_normal((6, 5)) > 0,
         "int8": rng.integers(-3, 3, (6, 5)).astype(np.int8),
         "float": 0.5, "int": 3}[b_kind]
    out = workspace.elementwise(ufunc, a, b)
    want = ufunc(a, b)
    assert out.dtype == want.dtype and out.shape == want.shape
    np.testing.assert_array_equal(out, want)
    assert workspace.kept_bytes() >= out.nbytes  # it came from the workspace


@pytest.mark.parametrize("b", [np.float64(2.0), np.array(2.0), 2.0 + 1j,
                               np.array([1, 2], dtype=object)], ids=repr)
def test_elementwise_leaves_odd_operands_to_numpy(everything_pooled, b) -> None:
    a = np.ones((3, 2), np.float32)
    out = workspace.elementwise(np.add, a, b)
    want = np.add(a, b)
    assert out.dtype == want.dtype
    np.testing.assert_array_equal(out, want)
    assert workspace.kept_bytes() == 0  # plain NumPy: nothing kept
    ints = workspace.elementwise(np.add, np.ones((3, 2), np.int32), 2.5)  # int + float
    assert ints.dtype == np.float64 and workspace.kept_bytes() == 0


def test_batch_norm_and_relu_through_the_workspace_match_the_formula(everything_pooled) -> None:
    """Every add and product of a batch-norm training step goes through reused memory
    (MIN_BYTES = 0), twice over: the output and the gradients still match the closed form
    dL/dx = (m·ĝ − Σĝ − x̂·Σ(ĝ·x̂)) / (m·σ), ĝ = γ·dL/dy (σ² biased, plus ε)."""
    rng = np.random.default_rng(6)
    x = ac.tensor(rng.standard_normal((4, 3, 5, 5)), requires_grad=True)
    bn = ac.nn.BatchNorm2d(3, dtype=np.float64)
    bn.weight.data[...] = [1.5, -0.5, 2.0]
    bn.bias.data[...] = [0.1, 0.2, -0.3]
    g = rng.standard_normal((4, 3, 5, 5))
    axes, m = (0, 2, 3), 4 * 5 * 5
    gamma, beta = bn.weight.data.reshape(1, 3, 1, 1), bn.bias.data.reshape(1, 3, 1, 1)
    sigma = np.sqrt(x.data.var(axis=axes, keepdims=True) + 1e-5)
    x_hat = (x.data - x.data.mean(axis=axes, keepdims=True)) / sigma
    g_relu = np.where(x_hat * gamma + beta > 0, g, 0.0)  # dL/d(bn output)
    g_hat = g_relu * gamma
    dx = (m * g_hat - g_hat.sum(axis=axes, keepdims=True)
          - x_hat * (g_hat * x_hat).sum(axis=axes, keepdims=True)) / (m * sigma)
    for _ in range(2):  # the second time on reused buffers
        x.grad = None
        bn.zero_grad()
        y = bn(x).relu()
        y.backward(ac.tensor(g))
        np.testing.assert_allclose(y.data, np.maximum(x_hat * gamma + beta, 0), atol=1e-12)
        np.testing.assert_allclose(x.grad.data, dx, atol=1e-10)
        np.testing.assert_allclose(bn.weight.grad.data, (g_relu * x_hat).sum(axis=axes),
                                   atol=1e-10)
        np.testing.assert_allclose(bn.bias.grad.data, g_relu.sum(axis=axes), atol=1e-10)
    assert workspace.kept_bytes() > 0


@pytest.mark.parametrize(("k", "s"), [((3, 3), (1, 1)), ((2, 2), (3, 3)), ((3, 3), (2, 2))],
                         ids=str)
def test_fold_on_dirty_memory_still_zeroes_what_it_must(everything_pooled, k, s) -> None:
    rng = np.random.default_rng(5)
    shape = (1, 2, 7, 7)
    L = output_size(7, k[0], s[0], 1) ** 2
    first = Fold.apply(ac.tensor(np.full((2 * k[0] * k[1], L), 1e6)), shape, k, s, (1, 1))
    del first  # its memory now holds 1e6 sums, and is reused below
    cols = rng.standard_normal((2 * k[0] * k[1], L))
    folded = Fold.apply(ac.tensor(cols), shape, k, s, (1, 1)).data
    reference = np.zeros(shape)
    Ho = output_size(7, k[0], s[0], 1)
    for c, i, j, p, q in itertools.product(range(2), range(k[0]), range(k[1]), range(Ho),
                                           range(Ho)):
        reference[0, c, p * s[0] + i, q * s[1] + j] += cols[(c * k[0] + i) * k[1] + j,
                                                            p * Ho + q]
    np.testing.assert_allclose(folded, reference, rtol=1e-12, atol=1e-12)


def test_a_free_buffer_serves_requests_down_to_a_third_of_its_size(everything_pooled) -> None:
    big = workspace.empty((300,), np.float64)  # 2400 bytes
    del big
    fits = workspace.empty((2, 50), np.float64)  # 800 bytes: served by the 2400-byte one
    assert workspace.kept_bytes() == 2400 and fits.shape == (2, 50)
    del fits
    small = workspace.empty((99,), np.float64)  # 792 bytes: under a third, one of its own
    assert workspace.kept_bytes() == 2400 + 792 and small.flags.c_contiguous


def test_a_miss_lets_go_of_the_unused_smaller_buffers(everything_pooled) -> None:
    held = workspace.empty((10,), np.float64)  # 80 bytes, in use
    free = workspace.empty((20,), np.float64)  # 160 bytes
    del free
    larger = workspace.empty((100,), np.float64)  # no buffer fits: the free 160 goes
    assert workspace.kept_bytes() == 80 + 800
    assert held.shape == (10,) and larger.shape == (100,)


def test_threads_never_get_the_same_buffer(everything_pooled) -> None:
    import threading

    held: list[np.ndarray] = []
    guard = threading.Lock()

    def grab() -> None:
        for _ in range(50):
            arr = workspace.empty((64,), np.float64)
            with guard:
                held.append(arr)

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(held) == 200
    for i, a in enumerate(held):  # all held at once: no two may share memory
        assert not any(np.shares_memory(a, b) for b in held[i + 1:])
