"""``autocnn derive ... --format latex``: pure ASCII, math macros, compiles under pdflatex."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from autocnn.cli import main
from autocnn.commands.derive import NAMES
from autocnn.symbolic.latex import latex_text, standalone
from autocnn.symbolic.rendering import NAMES as RENDER_NAMES
from autocnn.symbolic.rendering import render


def test_the_command_knows_the_same_names_as_the_library() -> None:
    assert NAMES == RENDER_NAMES


@pytest.mark.parametrize("name", NAMES)
def test_latex_output_is_pure_ascii(name: str) -> None:
    text = render(name, "latex", standalone=True)
    bad = sorted({ch for ch in text if not ch.isascii()})
    assert not bad, f"{name}: raw Unicode in LaTeX output: {bad}"


def test_batchnorm_latex_uses_math_macros_and_lists_the_proof() -> None:
    text = render("batchnorm", "latex")
    for macro in (r"\partial", r"\gamma", r"\hat{x}", r"\sigma", r"\mu", r"\epsilon"):
        assert macro in text
    assert r"\begin{itemize}" in text and text.count(r"\item[OK]") >= 6
    assert r"\documentclass" not in text


def test_standalone_wraps_a_full_document(capsys) -> None:
    assert main(["derive", "relu", "--format", "latex", "--standalone"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(r"\documentclass") and out.rstrip().endswith(r"\end{document}")
    assert r"\usepackage{amsmath}" in out and r"\begin{document}" in out


def test_standalone_is_refused_for_other_formats(capsys) -> None:
    assert main(["derive", "relu", "--standalone"]) == 2
    assert "--standalone is for --format latex" in capsys.readouterr().err


@pytest.mark.parametrize("text,expected", [
    ("∂L/∂y", r"${\partial}$L/${\partial}$y"),
    ("x̂_i", r"$\hat{x}$\_i"),
    ("σ² + ε", r"${\sigma}^{2}$ + ${\epsilon}$"),
    ("a − b → c", r"a $-$ b ${\to}$ c"),
    ("50% & #1", r"50\% \& \#1"),
])
def test_latex_text_turns_unicode_into_macros(text: str, expected: str) -> None:
    assert latex_text(text) == expected


def test_latex_text_never_passes_unknown_unicode_through() -> None:
    out = latex_text("snow ☃")
    assert out.isascii() and "snowman" in out


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("name", NAMES)
def test_standalone_latex_compiles_with_pdflatex(name: str, tmp_path) -> None:
    source = tmp_path / f"{name}.tex"
    source.write_text(render(name, "latex", standalone=True), encoding="ascii")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "-no-shell-escape", source.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / f"{name}.pdf").stat().st_size > 1000
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert "Missing character" not in log


def test_standalone_title_is_ascii_too() -> None:
    doc = standalone("Hello $x$.", title="Batch norm: μ and σ²")
    assert doc.isascii() and r"\maketitle" in doc
