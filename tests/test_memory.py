"""Memory: saved values go back after backward, and graphs never form reference cycles."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np

import autocnn as ac


class _Tracked(np.ndarray):
    """An ndarray subclass, only so that a weak reference to one array can be held."""


def test_saved_intermediates_are_released_by_backward() -> None:
    x = ac.tensor(np.ones(1000), requires_grad=True)
    h = x.exp()                      # Exp saves its output h for backward
    ref = weakref.ref(h.grad_fn)
    y = (h * 2).sum()
    del h
    node = y.grad_fn.next_edges[0].next_edges[0]  # Sum <- Mul <- Exp
    assert node._saved  # still held before backward
    y.backward()
    assert node._saved is not None and not isinstance(node._saved, tuple)  # freed marker
    del node, y
    gc.collect()
    assert ref() is None


def test_a_large_intermediate_goes_back_after_backward() -> None:
    x = ac.tensor(np.ones((512, 512)), requires_grad=True)
    tracemalloc.start()
    y = (x.exp() * 3.0).tanh().sum()
    held = tracemalloc.get_traced_memory()[0]
    y.backward()
    del y
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    mib = 512 * 512 * 8
    assert held >= 2 * mib            # exp's and tanh's outputs were saved
    grad_bytes = x.grad.data.nbytes   # what backward legitimately leaves: x.grad
    assert after - grad_bytes <= held - 2 * mib + 64 * 1024  # the saved outputs are freed


def test_a_training_step_leaves_no_cyclic_garbage() -> None:
    w = ac.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    x = ac.tensor(np.random.default_rng(1).standard_normal((8, 4)))
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            logits = (x @ w).relu()
            loss = (logits.log_softmax(axis=1)[np.arange(8), np.zeros(8, dtype=int)]).mean()
            (-loss).backward()
            with ac.no_grad():
                w -= 0.1 * w.grad
            w.grad = None
        del logits, loss
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_retained_graph_with_create_graph_is_freed_without_the_cycle_collector() -> None:
    x = ac.tensor(np.ones(3), requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        y = (x**3).sum()
        (g,) = ac.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        del y, g
        x.grad = None
        assert gc.collect() == 0
    finally:
        gc.enable()
