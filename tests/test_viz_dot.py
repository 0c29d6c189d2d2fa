"""``viz.to_dot``: what the DOT text of a graph contains, option by option.

Every test checks the DOT text itself; ``dot_is_valid`` additionally feeds it to Graphviz's
``dot`` parser when that program is installed (the structural check always runs).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

import autocnn as ac
from autocnn import viz
from autocnn.autograd import graph_order

HAS_DOT = shutil.which("dot") is not None


# ---------------------------------------------------------------------- helpers
def balanced(source: str) -> bool:
    """A structural check of DOT text: quoted strings closed, HTML labels ``<...>`` nested
    and closed, braces balanced outside both, and nothing after the final ``}``."""
    depth = 0
    i, n = 0, len(source)
    closed = False
    while i < n:
        ch = source[i]
        if closed and not ch.isspace():
            return False
        if ch == '"':
            i += 1
            while i < n and source[i] != '"':
                i += 2 if source[i] == "\\" else 1
            if i >= n:
                return False
        elif ch == "<":
            level = 0
            while i < n:
                if source[i] == "<":
                    level += 1
                elif source[i] == ">":
                    level -= 1
                    if level == 0:
                        break
                i += 1
            if i >= n:
                return False
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
            closed = depth == 0
        i += 1
    return depth == 0 and closed


def dot_is_valid(source: str) -> bool:
    """``balanced``, and accepted by Graphviz's parser without a warning when installed."""
    if not balanced(source):
        return False
    if not HAS_DOT:
        return True
    result = subprocess.run(
        ["dot", "-Tcanon"], input=source.encode("utf-8"), capture_output=True, timeout=60
    )
    return result.returncode == 0 and not result.stderr.strip()


def node_lines(source: str) -> list[str]:
    return [ln.strip() for ln in source.splitlines() if re.match(r"\s*(op|leaf|module)\d+ \[", ln)]


def edge_lines(source: str) -> list[str]:
    return [ln.strip() for ln in source.splitlines() if " -> " in ln]


def scalar(value: float, name: str) -> ac.Tensor:
    return ac.tensor(np.float64(value), requires_grad=True, name=name)


def micrograd_expression():
    """The expression of micrograd's README picture: L = (a·b + c)·f."""
    a, b, c, f = scalar(2.0, "a"), scalar(-3.0, "b"), scalar(10.0, "c"), scalar(-2.0, "f")
    e = a * b
    d = e + c
    L = d * f
    return (a, b, c, f), e, d, L


# ---------------------------------------------------------------------- the structure
def test_known_expression_has_one_box_per_op_and_leaf_and_one_edge_per_input() -> None:
    _, _, _, L = micrograd_expression()
    source = viz.to_dot(L).source
    assert len([ln for ln in node_lines(source) if ln.startswith("op")]) == 3  # mul, add, mul
    assert len([ln for ln in node_lines(source) if ln.startswith("leaf")]) == 4
    assert len(edge_lines(source)) == 6
    assert dot_is_valid(source)


def test_to_dot_returns_a_graphviz_digraph() -> None:
    import graphviz

    _, _, _, L = micrograd_expression()
    assert isinstance(viz.to_dot(L), graphviz.Digraph)


def test_edges_follow_the_data_from_inputs_to_the_op() -> None:
    x = scalar(1.5, "x")
    y = x.exp()
    source = viz.to_dot(y).source
    assert edge_lines(source) == ["leaf0 -> op0"]
    assert "<B>Exp</B>" in source and "<B>x</B>" in source


def test_a_tensor_used_twice_gets_two_edges() -> None:
    x = scalar(3.0, "x")
    source = viz.to_dot(x * x).source
    assert edge_lines(source) == ["leaf0 -> op0", "leaf0 -> op0"]


@pytest.mark.parametrize("reduce", ["sum", "max"])
def test_a_reduction_over_every_axis_says_all_axes(reduce: str) -> None:
    a = ac.randn(2, 3, dtype=np.float64, requires_grad=True)
    b = ac.randn(2, 3, dtype=np.float64)
    everything = viz.to_dot(getattr(a * b, reduce)()).source
    assert "all axes, keepdims=False" in everything and "axis=" not in everything
    explicit = viz.to_dot(getattr(a * b, reduce)(axis=(-1, 0))).source
    assert "all axes" in explicit
    some = viz.to_dot(getattr(a * b, reduce)(axis=0)).source
    assert "axis=(0,), keepdims=False" in some and "all axes" not in some


def test_constants_and_inputs_without_grad_are_not_drawn() -> None:
    x = scalar(3.0, "x")
    k = ac.tensor(np.float64(2.0), name="k")  # requires_grad=False: no gradient flows there
    source = viz.to_dot(x * k + 1.0).source
    assert "<B>k</B>" not in source
    assert len(node_lines(source)) == 3  # x, mul, add


def test_op_boxes_show_their_parameters() -> None:
    x = ac.randn(2, 3, dtype=np.float64, requires_grad=True)
    source = viz.to_dot(x.sum(axis=1).reshape(1, 2)).source
    assert "axis=(1,), keepdims=False" in source and "shape=(1, 2)" in source


def test_boxes_show_shape_and_dtype_and_show_shapes_false_hides_them() -> None:
    x = ac.randn(2, 3, dtype=np.float64, requires_grad=True, name="x")
    y = (x * 2.0).sum(axis=0)
    assert "(3,) float64" in viz.to_dot(y).source
    assert "(2, 3) float64" in viz.to_dot(y).source
    assert "float64" not in viz.to_dot(y, show_shapes=False).source


def test_the_output_box_is_marked() -> None:
    _, _, _, L = micrograd_expression()
    marked = [ln for ln in node_lines(viz.to_dot(L).source) if "peripheries=2" in ln]
    assert len(marked) == 1 and marked[0].startswith("op0 ")


# ---------------------------------------------------------------------- names
def test_leaves_and_intermediates_show_their_names() -> None:
    _, e, d, L = micrograd_expression()
    L.name = "L"
    source = viz.to_dot(L, params={"e": e, "d": d}).source
    for label in ("<B>a</B>", "<B>b</B>", "<B>c</B>", "<B>f</B>", "L = Mul", "d = Add",
                  "e = Mul"):
        assert label in source


def test_params_dict_names_leaves_over_their_own_names() -> None:
    w = ac.randn(3, dtype=np.float64, requires_grad=True, name="w")
    source = viz.to_dot((w * w).sum(), params={"layer.weight": w}).source
    assert "<B>layer.weight</B>" in source and "<B>w</B>" not in source


def test_unnamed_leaves_are_numbered() -> None:
    a = ac.randn(2, dtype=np.float64, requires_grad=True)
    source = viz.to_dot((a * 2.0).sum()).source
    assert "<B>leaf 0</B>" in source


def test_params_must_map_names_to_tensors() -> None:
    x = scalar(1.0, "x")
    with pytest.raises(TypeError, match=r"to_dot: params\['w'\] must be a Tensor, got ndarray"):
        viz.to_dot(x.exp(), params={"w": np.ones(2)})
    with pytest.raises(TypeError, match="to_dot: params must be a dict"):
        viz.to_dot(x.exp(), params=42)


# ---------------------------------------------------------------------- escaping
NASTY = [
    'say "hi"',
    "<script>alert(1)</script>",
    "{braces} [brackets]",
    "back\\slash \\N \\G \\l",
    "two\nlines",
    "tab\there & ampersand",
    "nul\x00 bell\x07",
    "unicode ∂L/∂w ✓",
    "-> -- ; = digraph",
]


@pytest.mark.parametrize("name", NASTY)
def test_any_name_gives_valid_dot(name: str) -> None:
    x = ac.randn(2, dtype=np.float64, requires_grad=True, name=name)
    y = (x * x).sum()
    y.name = name
    source = viz.to_dot(y, params={name + "!": x}, show_values=True, derivatives=True).source
    assert dot_is_valid(source)
    assert "<script>" not in source and "\x00" not in source


@pytest.mark.skipif(not HAS_DOT, reason="rendering needs Graphviz's dot program")
def test_escaped_names_come_out_of_dot_as_written() -> None:
    name = 'w<"{x}">&'
    x = ac.randn(2, dtype=np.float64, requires_grad=True, name=name)
    svg = viz.to_dot((x * x).sum()).pipe(format="svg", encoding="utf-8")
    assert "w&lt;&quot;{x}&quot;&gt;&amp;" in svg


# ---------------------------------------------------------------------- values and grads
def test_show_values_prints_leaf_data_and_the_values_the_graph_saved() -> None:
    _, e, _, L = micrograd_expression()
    source = viz.to_dot(L, show_values=True).source
    for text in ("data 2", "data -3", "data 10", "data -2", "data -8", "data 4"):
        assert re.search(re.escape(text) + "[<>]", source)  # d = 4 was saved by the last Mul
    assert "grad" not in source
    e_box = next(ln for ln in node_lines(source) if ln.startswith("op2 "))
    assert "data" not in e_box  # Add saved nothing, so a·b is not kept by the graph...
    named = viz.to_dot(L, params={"e": e}, show_values=True).source
    assert "data -6>" in next(ln for ln in node_lines(named) if ln.startswith("op2 "))  # ...


def test_show_grads_gives_the_gradients_backward_gives() -> None:
    (a, b, c, f), _, _, L = micrograd_expression()
    source = viz.to_dot(L, show_grads=True).source
    L.backward()
    for leaf in (a, b, c, f):
        line = next(ln for ln in node_lines(source) if f"<B>{leaf.name}</B>" in ln)
        assert f"grad {leaf.grad.item():.4g}<" in line
    assert a.grad.item() == 6.0 and f.grad.item() == 4.0  # micrograd's README values


def test_show_grads_leaves_grad_attributes_untouched() -> None:
    (a, *_), _, _, L = micrograd_expression()
    viz.to_dot(L, show_grads=True)
    assert a.grad is None
    L.backward()  # the graph was not freed by the picture
    assert a.grad.item() == 6.0


def test_show_grads_after_a_freeing_backward_shows_leaf_grads_and_says_why() -> None:
    _, _, _, L = micrograd_expression()
    L.backward()
    source = viz.to_dot(L, show_grads=True).source
    assert "already freed the graph" in source
    leaf_a = next(ln for ln in node_lines(source) if "<B>a</B>" in ln)
    assert "grad 6<" in leaf_a


def test_large_tensors_are_summarised_by_min_mean_max() -> None:
    x = ac.tensor(np.arange(100, dtype=np.float64), requires_grad=True, name="x")
    source = viz.to_dot((x * 2.0).sum(), show_values=True).source
    assert "data min 0 / mean 49.5 / max 99  (100,)" in source


def test_small_tensors_are_printed_in_full() -> None:
    x = ac.tensor(np.array([1.0, 2.5, -3.0]), requires_grad=True, name="x")
    source = viz.to_dot((x * 2.0).sum(), show_values=True).source
    assert "data [1, 2.5, -3]" in source
    y = ac.tensor(np.array([[0.123456, -2e-5], [3.0, 4.0]]), requires_grad=True, name="y")
    source = viz.to_dot((y * 2.0).sum(), show_values=True).source
    assert "data [0.1235, -2e-05, 3, 4] (2, 2)" in source  # one line, 4 significant digits


def test_grad_output_seeds_the_gradients_shown() -> None:
    x = ac.tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    y = x * 3.0
    source = viz.to_dot(y, show_grads=True, grad_output=np.array([1.0, -1.0])).source
    leaf = next(ln for ln in node_lines(source) if "<B>x</B>" in ln)
    assert "grad [3, -3]" in leaf


# ---------------------------------------------------------------------- backward order
def test_number_steps_numbers_ops_in_the_engines_order() -> None:
    x = ac.randn(3, dtype=np.float64, requires_grad=True, name="x")
    h = x.exp()
    y = (h * h + h.tanh()).sum()
    source = viz.to_dot(y, number_steps=True).source
    order = graph_order([y.grad_fn])
    numbered = re.findall(r"<B>#(\d+) (\w+)</B>", source)
    by_number = {int(k): name for k, name in numbered}
    assert [by_number[k + 1] for k in range(len(order))] == [n.name for n in order]


def test_numbering_is_off_by_default() -> None:
    _, _, _, L = micrograd_expression()
    assert "#1" not in viz.to_dot(L).source


# ---------------------------------------------------------------------- determinism
def test_the_same_graph_gives_the_same_dot_text() -> None:
    texts = []
    for _ in range(2):
        ac.manual_seed(0)
        _, e, _, L = micrograd_expression()
        texts.append(viz.to_dot(L, {"e": e}, show_values=True, show_grads=True,
                                derivatives=True, number_steps=True).source)
    assert texts[0] == texts[1]


def test_node_ids_do_not_depend_on_memory_addresses() -> None:
    _, _, _, L = micrograd_expression()
    ids = set(re.findall(r"^\s*(\w+) \[", viz.to_dot(L).source, re.M))
    assert ids == {"op0", "op1", "op2", "leaf0", "leaf1", "leaf2", "leaf3", "node", "edge"}


# ---------------------------------------------------------------------- big graphs
def test_a_100000_node_chain_exports_without_recursion_error() -> None:
    x = ac.tensor(np.float64(1.0), requires_grad=True, name="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    source = viz.to_dot(y).source
    # each Mul has a small grey box for its constant 1.0
    assert source.count(" -> ") == 200_000
    assert source.count("[label=") == 200_001
    assert balanced(source)


# ---------------------------------------------------------------------- bad input
def test_a_numpy_array_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"to_dot: expected an autocnn Tensor.*NumPy array"):
        viz.to_dot(np.ones(3))


def test_a_tensor_without_history_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"to_dot: .*no history to draw.*leaf"):
        viz.to_dot(ac.randn(3, requires_grad=True))
    with pytest.raises(ValueError, match=r"no history to draw.*no_grad"):
        viz.to_dot(ac.randn(3) * 2)


def test_a_bad_option_is_refused() -> None:
    _, _, _, L = micrograd_expression()
    with pytest.raises(ValueError, match="to_dot: rankdir must be one of"):
        viz.to_dot(L, rankdir="up")
    with pytest.raises(ValueError, match="to_dot: collapse must be"):
        viz.to_dot(L, collapse=0)


def test_rankdir_sets_the_layout_direction() -> None:
    _, _, _, L = micrograd_expression()
    assert "rankdir=LR" in viz.to_dot(L, rankdir="LR").source


def test_intermediate_tensors_passed_as_a_list_show_their_own_names() -> None:
    x = scalar(2.0, "x")
    h = x * 3.0
    h.name = "h"
    source = viz.to_dot(h.exp(), params=[h], show_values=True).source
    assert "h = Mul" in source and "data 6>" in source
