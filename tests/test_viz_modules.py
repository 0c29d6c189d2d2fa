"""Module clusters and collapsed modules in ``viz.to_dot`` (real ``autocnn.nn`` layers)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autocnn as ac
from autocnn import nn, viz
from autocnn.models import build_model
from tests.test_viz_dot import dot_is_valid, edge_lines, node_lines


def cluster_titles(source: str) -> list[str]:
    return re.findall(r"subgraph cluster_\d+ \{\s*label=<([^>]*)>", source)


def clusters_with_ops(source: str) -> dict[str, list[str]]:
    """Cluster title -> the op names drawn directly inside it (not in a sub-cluster)."""
    found: dict[str, list[str]] = {}
    stack: list[str] = []
    for line in source.splitlines():
        m = re.match(r"\s*subgraph cluster_\d+ \{", line)
        if m:
            stack.append("?")
            continue
        m = re.match(r"\s*label=<([^>]*)> labeljust", line)
        if m and stack and stack[-1] == "?":
            stack[-1] = m.group(1)
            found.setdefault(m.group(1), [])
            continue
        if line.strip() == "}" and stack:
            stack.pop()
            continue
        m = re.match(r"\s*op\d+ \[label=<<B>(?:#\d+ )?([^<]+)</B>", line)
        if m and stack:
            found[stack[-1]].append(m.group(1))
    return found


def two_layer_net():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(2, 3, 3, padding=1)).double()
    x = ac.randn(1, 1, 5, 5, dtype=np.float64)
    return model, model(x).sum()


def test_clusters_are_labelled_with_module_path_and_type() -> None:
    model, y = two_layer_net()
    titles = cluster_titles(viz.to_dot(y, dict(model.named_parameters())).source)
    assert sorted(titles) == ["0: Conv2d", "1: ReLU", "2: Conv2d", "Sequential"]


def test_a_conv2d_cluster_holds_its_pad_unfold_matmul_add() -> None:
    _, y = two_layer_net()
    ops = clusters_with_ops(viz.to_dot(y).source)
    # the second conv's input needs a gradient, so its pad and unfold were recorded
    assert {"Pad", "Unfold", "MatMul", "Add"} <= set(ops["2: Conv2d"])
    # the first conv's input (the image) needs none: only the weight side was recorded
    assert "Unfold" not in ops["0: Conv2d"] and "MatMul" in ops["0: Conv2d"]
    assert ops["1: ReLU"] == ["Maximum"]


def test_parameters_are_named_and_drawn_in_their_modules_cluster() -> None:
    _, y = two_layer_net()
    source = viz.to_dot(y).source  # names come from the modules, no params needed
    block = source.split("label=<2: Conv2d>")[1].split("}")[0]
    assert "<B>2.weight</B>" in block and "<B>2.bias</B>" in block


def test_cluster_modules_false_draws_no_clusters() -> None:
    _, y = two_layer_net()
    source = viz.to_dot(y, cluster_modules=False).source
    assert "subgraph" not in source
    assert len(node_lines(source)) == len(node_lines(viz.to_dot(y).source))


def test_collapse_draws_each_layer_as_one_box_listing_its_parameters() -> None:
    _, y = two_layer_net()
    source = viz.to_dot(y, collapse=True).source
    boxes = [ln for ln in node_lines(source) if ln.startswith("module")]
    assert len(boxes) == 3
    conv = next(b for b in boxes if "2: Conv2d" in b)
    assert "weight (3, 2, 3, 3)" in conv and "bias (3,)" in conv
    assert "→ (1, 3, 5, 5) float64" in conv
    assert not any(ln.startswith("leaf") for ln in node_lines(source))  # params are inside
    assert len(edge_lines(source)) == 3  # conv → relu → conv → sum
    assert dot_is_valid(source)


def test_collapse_depth_one_draws_the_whole_model_as_one_box() -> None:
    _, y = two_layer_net()
    source = viz.to_dot(y, collapse=1).source
    boxes = [ln for ln in node_lines(source) if ln.startswith("module")]
    assert len(boxes) == 1 and "Sequential" in boxes[0]
    assert edge_lines(source) == ["module0 -> op0"]  # the model, then the sum


def test_seed_model_loss_graph_has_a_cluster_per_layer_and_is_valid_dot() -> None:
    model = build_model("seed", image_size=6)
    loss = nn.CrossEntropyLoss()(model(ac.randn(2, 1, 6, 6)), ac.tensor([1, 2]))
    source = viz.to_dot(loss, dict(model.named_parameters())).source
    titles = cluster_titles(source)
    for title in ("0: Conv2d", "1: BatchNorm2d", "2: ReLU", "3: MaxPool2d", "9: Linear",
                  "CrossEntropyLoss", "Sequential"):
        assert title in titles
    assert dot_is_valid(source)


@pytest.mark.parametrize("name", ["seed", "lenet"])
def test_collapsed_built_in_models_show_one_box_per_layer(name: str) -> None:
    model = build_model(name)
    loss = nn.CrossEntropyLoss()(model(ac.randn(1, 1, 28, 28)), ac.tensor([3]))
    source = viz.to_dot(loss, collapse=True).source
    boxes = [ln for ln in node_lines(source) if ln.startswith("module")]
    assert len(boxes) == len(list(model.children())) + 1  # + the loss module
