"""``viz.backward_frames``: backpropagation as one picture per step, in the engine's order."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autocnn as ac
from autocnn import viz
from autocnn.autograd import graph_order
from tests.test_viz_dot import HAS_DOT, dot_is_valid, micrograd_expression, node_lines

GRAD_IN_BOX = re.compile(r"<FONT COLOR=\"#b03030\">grad ")


def grads_in_boxes(source: str) -> int:
    """How many boxes (not edges) show a gradient."""
    return sum(1 for ln in node_lines(source) if GRAD_IN_BOX.search(ln))


def highlighted(source: str) -> list[str]:
    return [ln.split(" ", 1)[0] for ln in node_lines(source) if "#ffb347" in ln]


def diamond():
    x = ac.tensor(np.array([0.5, -1.0]), requires_grad=True, name="x")
    w = ac.tensor(np.array([2.0, 3.0]), requires_grad=True, name="w")
    h = x * w
    y = (h.exp() + h.tanh()).sum()
    return x, w, y


def test_one_frame_per_gradient_plus_the_forward_picture() -> None:
    _, _, _, L = micrograd_expression()
    frames = viz.backward_frames(L)
    # the forward picture and one per op; each leaf is filled in on the picture of the
    # op whose backward completed its gradient, so picture k is op #k
    assert len(frames) == 1 + 3
    assert len(list(frames)) == len(frames)


def test_frame_k_shows_the_gradients_of_ops_1_to_k_and_the_leaves_they_completed() -> None:
    _, _, y = diamond()
    frames = viz.backward_frames(y)
    assert len(frames) == 6  # Sum, Add, Exp, Tanh, Mul
    for k in range(5):
        assert grads_in_boxes(frames[k].source) == k
    assert grads_in_boxes(frames[5].source) == 5 + 2  # x and w complete after the Mul


def test_frames_follow_the_engines_order_and_highlight_the_new_gradient() -> None:
    _, _, y = diamond()
    frames = viz.backward_frames(y)
    order = graph_order([y.grad_fn])
    node_steps = [item for kind, item in frames.steps if kind == "node"]
    assert [id(n) for n in node_steps] == [id(n) for n in order]
    assert highlighted(frames[0].source) == []
    for k in range(1, len(frames) - 1):
        assert highlighted(frames[k].source) == [f"op{k - 1}"]
        assert f"#{k} " in frames.caption(k) and frames.caption(k).startswith(f"step {k}/5")
    assert sorted(highlighted(frames[5].source)) == ["leaf0", "leaf1", "op4"]


def test_a_leaf_is_complete_only_after_its_last_consumer_ran() -> None:
    _, _, y = diamond()
    frames = viz.backward_frames(y)
    assert not any("<B>x</B>" in ln and GRAD_IN_BOX.search(ln)
                   for ln in node_lines(frames[4].source))
    assert "which completes x.grad, w.grad" in frames.caption(5)


def test_the_last_frame_shows_the_gradients_backward_gives() -> None:
    x, w, y = diamond()
    last = viz.backward_frames(y)[-1].source
    y.backward()
    for leaf in (x, w):
        box = next(ln for ln in node_lines(last) if f"<B>{leaf.name}</B>" in ln)
        shown = re.search(r"grad \[([^\]]*)\]", box).group(1)
        np.testing.assert_allclose([float(v) for v in shown.split(",")], leaf.grad.data,
                                   rtol=1e-3)


def test_frames_do_not_touch_grad_or_free_the_graph() -> None:
    x, _, y = diamond()
    viz.backward_frames(y)[-1]
    assert x.grad is None
    y.backward()
    assert x.grad is not None


def test_captions_say_what_each_step_computed() -> None:
    _, _, _, L = micrograd_expression()
    frames = viz.backward_frames(L)
    assert frames.caption(0).startswith("step 0/3: forward pass recorded")
    assert frames.caption(1).startswith("step 1/3: the gradient of #1 Mul is complete")
    assert frames.caption(1).endswith("which completes f.grad")
    assert "step 3/3" in frames[3].source


def test_every_frame_is_valid_dot() -> None:
    _, _, y = diamond()
    assert all(dot_is_valid(f.source) for f in viz.backward_frames(y, derivatives=True))


def test_frames_are_saved_as_a_numbered_sequence(tmp_path) -> None:
    _, _, y = diamond()
    frames = viz.backward_frames(y)
    paths = frames.save(tmp_path / "steps", format="dot")
    assert [p.name for p in paths] == [f"step_{k:03d}.dot" for k in range(len(frames))]
    assert paths[2].read_text() == frames[2].source


@pytest.mark.skipif(not HAS_DOT, reason="rendering needs Graphviz's dot program")
def test_frames_render_to_numbered_svg_files(tmp_path) -> None:
    _, _, y = diamond()
    paths = viz.backward_frames(y).save(tmp_path / "backprop.svg")
    assert paths[0].name == "backprop_000.svg"
    assert all(p.read_text().lstrip().startswith("<?xml") for p in paths)


def test_frame_index_out_of_range_says_the_range() -> None:
    _, _, y = diamond()
    frames = viz.backward_frames(y)
    with pytest.raises(IndexError, match=r"frame 99 out of range \(0\.\.5\)"):
        frames[99]


def test_a_freed_graph_cannot_be_replayed_and_says_why() -> None:
    _, _, y = diamond()
    y.backward()
    with pytest.raises(RuntimeError, match=r"already freed.*retain_graph=True"):
        viz.backward_frames(y)


def test_frames_of_a_plain_array_are_refused() -> None:
    with pytest.raises(TypeError, match="backward_frames: expected an autocnn Tensor"):
        viz.backward_frames(np.zeros(2))


def test_without_ipywidgets_frames_fall_back_to_stacked_pictures() -> None:
    _, _, y = diamond()
    html = viz.backward_frames(y)._stacked_html()
    assert html.count("<svg") == (6 if HAS_DOT else 0)
    assert HAS_DOT or html.count("step ") == 6


# ---------------------------------------------------------------------- Jupyter
class FakeWidgets:
    """Just enough of ipywidgets to see what the notebook display builds."""

    class IntSlider:
        def __init__(self, value, min, max, description):
            self.value, self.min, self.max = value, min, max
            self.observers = []

        def observe(self, fn, names):
            self.observers.append(fn)

        def move_to(self, value):
            self.value = value
            for fn in self.observers:
                fn({"new": value})

    class Output:
        def __init__(self):
            self.shown = []

        def clear_output(self, wait=False):
            self.shown.clear()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    class VBox:
        def __init__(self, children):
            self.children = children


def test_in_jupyter_frames_show_as_a_slider_over_the_steps(monkeypatch) -> None:
    import sys

    ipython_display = pytest.importorskip("IPython.display")  # dev extra: ipykernel
    _, _, y = diamond()
    frames = viz.backward_frames(y)
    shown = []
    monkeypatch.setitem(sys.modules, "ipywidgets", FakeWidgets)
    monkeypatch.setattr(ipython_display, "display", shown.append)
    frames._ipython_display_()
    box = shown[-1]
    slider, _ = box.children
    assert (slider.min, slider.max, slider.value) == (0, len(frames) - 1, 0)
    assert shown[0].source == frames[0].source  # the first frame, shown inside the Output
    slider.move_to(4)
    assert shown[-1].source == frames[4].source


def test_in_jupyter_without_ipywidgets_frames_show_one_below_the_other(monkeypatch) -> None:
    import sys

    ipython_display = pytest.importorskip("IPython.display")
    _, _, y = diamond()
    shown = []
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails
    monkeypatch.setattr(ipython_display, "display", shown.append)
    viz.backward_frames(y)._ipython_display_()
    assert len(shown) == 1 and "step 5/5" in shown[0].data


def test_an_unknown_suffix_is_named_like_render_names_it(tmp_path) -> None:
    _, _, y = diamond()
    frames = viz.backward_frames(y)
    with pytest.raises(ValueError, match="backward_frames: unknown format 'gif'; valid formats "
                       "are 'svg', 'png', 'pdf', 'dot'"):
        frames.save(tmp_path / "d" / "bp.gif")
    assert not (tmp_path / "d").exists()
