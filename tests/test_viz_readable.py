"""Graph pictures a student can read: one-line values, readable indices and constants,
indicator derivatives, collapsed CNN pictures with parameter gradients, formulas drawn
from text that is parsed, never evaluated, and the viz package's import layering."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import nn, viz
from autocnn.cli import main
from autocnn.viz.labels import index_text, value_text

HAS_DOT = shutil.which("dot") is not None


def test_values_are_one_line_whatever_the_shape() -> None:
    assert value_text(np.array([0.123456, -0.3, 2.0])) == "[0.1235, -0.3, 2]"
    assert value_text(np.arange(8.0).reshape(2, 2, 2)) == "[0, 1, 2, 3, 4, 5, 6, 7] (2, 2, 2)"
    big = np.linspace(-1, 3, 2 * 8 * 12 * 12).reshape(2, 8, 12, 12)
    assert value_text(big) == "min -1 / mean 1 / max 3  (2, 8, 12, 12)"
    assert "\n" not in value_text(np.ones((3, 3, 3, 3)))


def test_getitem_shows_the_indices_it_picks() -> None:
    assert index_text((np.array([0, 1]), np.array([3, 2]))) == "x[[0, 1], [3, 2]]"
    assert index_text((slice(None), slice(1, 3))) == "x[:, 1:3]"
    logits = ac.tensor(np.zeros((2, 4)), requires_grad=True)
    loss = F.cross_entropy(logits, ac.tensor(np.array([3, 2])))
    assert "x[[0, 1], [3, 2]]" in viz.to_dot(loss).source


def test_constant_operands_are_small_grey_boxes() -> None:
    x = ac.tensor(np.arange(6.0), requires_grad=True)
    source = viz.to_dot(x.mean()).source  # Sum, then Div by the constant N = 6
    div = next(ln for ln in source.splitlines() if "<B>Div</B>" in ln).split()[0]
    const = [ln for ln in source.splitlines() if ln.strip().startswith(f"{div}c")]
    assert any("label=<6>" in ln and "#eeeeee" in ln for ln in const)
    assert f"{div}c1 -> {div}" in source  # Div shows both of its inputs


def test_step_function_derivatives_read_as_indicators() -> None:
    x = ac.tensor(np.array([1.0, -2.0]), requires_grad=True, name="x")
    source = viz.to_dot(F.relu(x).sum(), derivatives=True).source
    assert "1[x &gt; c]" in source and "Heaviside" not in source


def _seed_loss():
    from autocnn.models import build_model

    ac.manual_seed(0)
    model = build_model("seed", image_size=12, num_classes=5)
    x = ac.tensor(np.random.default_rng(0).random((2, 1, 12, 12)))
    loss = nn.CrossEntropyLoss()(model(x), ac.tensor(np.array([0, 3])))
    return model, loss


def test_collapsed_pictures_and_frames_show_parameter_gradients() -> None:
    model, loss = _seed_loss()
    params = dict(model.named_parameters())
    source = viz.to_dot(loss, params, show_grads=True, collapse=True).source
    assert source.count("grad weight") == 5 and source.count("grad bias") == 5
    frames = viz.backward_frames(loss, params, collapse=True)
    assert len(frames) < 20  # one picture per module visit, not one per primitive
    last = frames[-1].source
    assert last.count("grad weight") == 5
    # every caption's op numbers are the numbers in the boxes
    for k in range(1, len(frames)):
        ops = re.search(r"\(ops? #(\d+)", frames.caption(k)).group(1)
        assert f"#{ops}" in frames[k].source


def test_a_formula_is_parsed_never_evaluated() -> None:
    out, tensors = viz.expression_graph("tanh(a*b + c)")
    assert out.item() == pytest.approx(np.tanh(2 * -3 + 10))
    assert [t.name for t in tensors[:3]] == ["a", "b", "c"]
    for text in ('__import__("os").system("echo hi")', "a.__class__", "a[0]",
                 "(lambda: 1)()", "open('x')", "a if b else c", "2 + 3"):
        with pytest.raises(ValueError, match="expression_graph: cannot draw"):
            viz.expression_graph(text)
    with pytest.raises(ValueError, match=r"nested too deeply|not a formula"):
        viz.expression_graph("(" * 240 + "a" + ")" * 240)


def test_autocnn_graph_collapses_a_sequential_and_draws_formulas(tmp_path: Path,
                                                                 capsys) -> None:
    assert main(["graph", "--out", str(tmp_path / "g.dot")]) == 0
    assert "11 boxes, one box per layer" in capsys.readouterr().out
    collapsed = (tmp_path / "g.dot").read_text()
    assert "0: Conv2d" in collapsed and "(2, 8, 12, 12)" in collapsed  # 12×12 like train
    assert "(2, 5)" in collapsed  # five classes
    assert main(["graph", "--full", "--out", str(tmp_path / "f.dot")]) == 0
    assert "every primitive" in capsys.readouterr().out
    assert main(["graph", "--expr", "tanh(a*b + c)", "--at", "a=1,b=-5",
                 "--out", str(tmp_path / "e.dot")]) == 0
    text = (tmp_path / "e.dot").read_text()
    assert "rankdir=LR" in text and "data 0.9999" in text  # tanh(1·(-5) + 10)
    assert main(["graph", "--expr", "exec('1')", "--out", str(tmp_path / "x.dot")]) == 2
    assert "not an allowed function" in capsys.readouterr().err


@pytest.mark.skipif(not HAS_DOT, reason="measuring the picture needs Graphviz's dot program")
def test_the_seed_cnn_with_values_and_grads_is_a_readable_size(tmp_path: Path) -> None:
    assert main(["graph", "--values", "--grads", "--out", str(tmp_path / "g.svg")]) == 0
    svg = (tmp_path / "g.svg").read_text()
    w, h = (float(v) * 96 / 72 for v in re.search(
        r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    assert w < 1000 and h < 2000  # it was 1344 × 16687 px with multi-line reprs


def test_the_viz_package_has_no_import_cycle() -> None:
    folder = Path(viz.__file__).parent
    deps: dict[str, set[str]] = {}
    for f in folder.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "autocnn.viz."):
                found.add(node.module.rsplit(".", 1)[1])
        deps[f.stem] = found

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for d in deps.get(start, ()):
            if d == goal or (d not in seen and reaches(d, goal, seen | {d})):
                return True
        return False

    assert [m for m in deps if m != "__init__" and reaches(m, m, {m})] == []


def test_frames_of_a_large_graph_can_show_the_neighbourhood_of_each_step() -> None:
    model, loss = _seed_loss()
    params = dict(model.named_parameters())
    whole = viz.backward_frames(loss, params)
    near = viz.backward_frames(loss, params, around=2)
    assert len(near) == len(whole)
    assert near[0].source == whole[0].source  # the forward picture is the whole graph
    k = 25
    boxes = [ln for ln in near[k].source.splitlines() if " [label=" in ln and "->" not in ln]
    assert 2 < len(boxes) < 15 < whole[k].source.count(" [label=")
    assert f"#{k} " in near[k].source and "#ffb347" in near[k].source  # the step, highlighted
    with pytest.raises(ValueError, match="around must be None or an int >= 0"):
        viz.backward_frames(loss, around=-1)
