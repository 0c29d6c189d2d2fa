"""``viz.render``, the Jupyter display, and the ``autocnn graph`` command."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn import viz
from autocnn.cli import main
from autocnn.viz.jupyter import MAX_HEIGHT, MAX_WIDTH, readable_svg_html
from tests.test_viz_dot import HAS_DOT, balanced

MAGIC = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}

needs_dot = pytest.mark.skipif(not HAS_DOT, reason="rendering needs Graphviz's dot program")


def small_graph():
    x = ac.tensor(np.array([1.0, -2.0]), requires_grad=True, name="x")
    return (x.tanh() * x).sum()


# ---------------------------------------------------------------------- render
@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_render_writes_a_file_of_the_format(tmp_path, fmt: str) -> None:
    path = viz.render(small_graph(), tmp_path / f"graph.{fmt}", format=fmt)
    assert path == tmp_path / f"graph.{fmt}"
    assert path.read_bytes().startswith(MAGIC[fmt])


@needs_dot
def test_render_adds_the_suffix_and_passes_options_on(tmp_path) -> None:
    path = viz.render(small_graph(), tmp_path / "graph", show_values=True)
    assert path.name == "graph.svg"
    assert "data [1, &#45;2]" in path.read_text()  # dot writes "-" as &#45;


def test_render_to_dot_needs_no_graphviz(tmp_path) -> None:
    y = small_graph()
    path = viz.render(y, tmp_path / "graph.dot", format="dot")
    assert path.read_text() == viz.to_dot(y).source


def test_unknown_format_lists_the_valid_ones(tmp_path) -> None:
    with pytest.raises(ValueError, match="render: unknown format 'gif'; valid formats are "
                       "'svg', 'png', 'pdf', 'dot'"):
        viz.render(small_graph(), tmp_path / "g.gif", format="gif")


def test_a_suffix_that_contradicts_the_format_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"ends in \.png but format='svg'"):
        viz.render(small_graph(), tmp_path / "g.png", format="svg")


def test_render_takes_the_format_from_the_suffix_by_default(tmp_path) -> None:
    y = small_graph()
    path = viz.render(y, tmp_path / "g.dot")  # no Graphviz needed for DOT text
    assert path == tmp_path / "g.dot"
    assert path.read_text() == viz.to_dot(y).source


@needs_dot
def test_render_to_a_png_name_writes_a_png_by_default(tmp_path) -> None:
    path = viz.render(small_graph(), tmp_path / "g.png")
    assert path == tmp_path / "g.png" and path.read_bytes().startswith(MAGIC["png"])


def test_an_unknown_suffix_is_named_without_its_dot(tmp_path) -> None:
    with pytest.raises(ValueError, match="render: unknown format 'gif'; valid formats are "):
        viz.render(small_graph(), tmp_path / "g.gif")
    with pytest.raises(ValueError, match="save: unknown format 'gif'; valid formats are "):
        viz.save(viz.to_dot(small_graph()), tmp_path / "g.gif")
    assert list(tmp_path.iterdir()) == []


def test_without_dot_render_writes_the_source_and_says_how_to_install(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` program anywhere
    y = small_graph()
    path = viz.render(y, tmp_path / "graph.svg")
    assert path == tmp_path / "graph.dot"
    assert path.read_text() == viz.to_dot(y).source
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert f"dot -Tsvg {path} -o {tmp_path / 'graph.svg'}" in err


def test_render_refuses_a_plain_array(tmp_path) -> None:
    with pytest.raises(TypeError, match="to_dot: expected an autocnn Tensor"):
        viz.render(np.zeros(3), tmp_path / "g.svg")


# ---------------------------------------------------------------------- Jupyter
def test_notebook_svg_keeps_its_natural_size_in_a_scrolling_box() -> None:
    svg = ('<?xml version="1.0"?>\n<svg width="1440pt" height="72pt" viewBox="0 0 1440 72">'
           "<g/></svg>")
    html = readable_svg_html(svg)
    assert "<?xml" not in html
    assert 'width="1920px" height="96px"' in html  # 1 pt = 96/72 px, not shrunk to fit
    assert "max-width:none" in html and "overflow:auto" in html
    assert f"max-width:{MAX_WIDTH + 20}px" in html and "max-height:116px" in html
    assert MAX_HEIGHT >= 400


@needs_dot
def test_a_picture_shows_in_jupyter_as_readable_svg() -> None:
    bundle = viz.to_dot(small_graph())._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "max-width:none" in bundle["text/html"]
    assert set(viz.to_dot(small_graph())._repr_mimebundle_(include=["image/svg+xml"])) == {
        "image/svg+xml"
    }


def test_without_dot_jupyter_shows_the_source_and_the_install_hint(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    picture = viz.to_dot(small_graph())
    bundle = picture._repr_mimebundle_()
    assert bundle["text/plain"] == picture.source
    assert "apt-get install graphviz" in bundle["text/html"]


# ---------------------------------------------------------------------- autocnn graph
def test_autocnn_help_lists_the_graph_command(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "graph" in capsys.readouterr().out


def test_autocnn_graph_writes_the_seed_models_graph(tmp_path, capsys) -> None:
    out = tmp_path / "seed.dot"
    assert main(["graph", "--full", "--out", str(out), "--image-size", "8"]) == 0
    source = out.read_text()
    assert "0: Conv2d" in source and "CrossEntropyLoss" in source and "loss = " in source
    assert balanced(source)
    assert "wrote the graph of the seed model's loss" in capsys.readouterr().out


@needs_dot
def test_autocnn_graph_collapse_renders_lenet(tmp_path) -> None:
    out = tmp_path / "lenet.svg"
    assert main(["graph", "--model", "lenet", "--collapse", "--out", str(out)]) == 0
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "7: Linear" in svg


def test_autocnn_graph_steps_writes_one_file_per_step(tmp_path) -> None:
    out = tmp_path / "steps" / "bp.dot"
    assert main(["graph", "--steps", "--collapse", "--image-size", "6", "--out", str(out)]) == 0
    files = sorted((tmp_path / "steps").iterdir())
    # forward, then one picture per module the backward pass enters: 10 layers, the loss,
    # and a second visit to the 4 modules whose weights' reshapes run last
    assert files[0].name == "bp_000.dot" and len(files) == 16
    assert "step 15/15 (op #" in files[-1].read_text()


def test_autocnn_graph_unknown_model_is_a_user_error(tmp_path, capsys) -> None:
    assert main(["graph", "--model", "resnet", "--out", str(tmp_path / "g.svg")]) == 2
    assert ("unknown model 'resnet'; valid models: lenet, resnet_small, seed, vgg_small"
            in capsys.readouterr().err)


def test_autocnn_graph_unknown_format_is_a_user_error(tmp_path, capsys) -> None:
    assert main(["graph", "--out", str(tmp_path / "g.gif")]) == 2
    assert "unknown format 'gif'; valid formats: svg, png, pdf, dot" in capsys.readouterr().err


def test_autocnn_graph_too_small_an_image_is_a_user_error(tmp_path, capsys) -> None:
    assert main(["graph", "--image-size", "2", "--out", str(tmp_path / "g.dot")]) == 2
    assert "needs images of at least 4×4" in capsys.readouterr().err


def test_autocnn_graph_values_and_grads_fill_the_boxes(tmp_path) -> None:
    out = tmp_path / "g.dot"
    assert main(["graph", "--collapse", "--values", "--grads", "--image-size", "6",
                 "--out", str(out)]) == 0
    source = out.read_text()
    assert "data " in source and "grad 1<" in source  # dL/dloss = 1 on the loss box
