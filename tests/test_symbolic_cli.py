"""``autocnn derive`` and docs/derivations.md, which is generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocnn.cli import main
from autocnn.commands.derive import NAMES
from autocnn.symbolic.docs import generate

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize("fmt", ["text", "latex", "markdown"])
def test_derive_relu_prints_each_format(fmt: str, capsys) -> None:
    assert main(["derive", "relu", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "ReLU" in out
    marker = {"text": "Proof\n-----", "latex": "\\begin{align*}", "markdown": "### Proof"}[fmt]
    assert marker in out


def test_derive_batchnorm_text_shows_compact_form_and_proof(capsys) -> None:
    assert main(["derive", "batchnorm"]) == 0
    out = capsys.readouterr().out
    assert "N g_i − Σ_j g_j − x̂_i Σ_j g_j x̂_j" in out
    assert "all claims hold" in out


def test_unknown_op_lists_the_known_ones(capsys) -> None:
    assert main(["derive", "dropout"]) == 2
    err = capsys.readouterr().err
    assert "unknown op 'dropout'" in err
    assert "batchnorm, conv2d, relu, maxpool, softmax-ce" in err


def test_help_lists_derive(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "derive" in capsys.readouterr().out


def test_derivations_page_matches_the_command() -> None:
    page = (DOCS / "derivations.md").read_text(encoding="utf-8")
    assert page == generate(), (
        "docs/derivations.md is out of date: run `python -m autocnn.symbolic.docs`")


def test_derivations_page_covers_every_op() -> None:
    page = (DOCS / "derivations.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"<!-- autocnn derive {name} --format markdown -->" in page
