"""A derivation by name, rendered as text, LaTeX or Markdown.

Used by ``autocnn derive`` (``autocnn.commands.derive``) and by ``autocnn.symbolic.docs``,
which regenerates docs/derivations.md; the command line depends on this module, never the
other way round.
"""

from __future__ import annotations

from autocnn.symbolic import DERIVATIONS, derive

#: the derivation names, in the order the docs list them
NAMES = tuple(DERIVATIONS)
FORMATS = ("text", "latex", "markdown")


def render(name: str, fmt: str = "text", standalone: bool = False) -> str:
    """The derivation ``name`` (one of :data:`NAMES`) rendered in ``fmt``.

    ``standalone=True`` (LaTeX only) gives a complete document instead of a fragment.
    Raises ``ValueError`` naming the known names or formats.
    """
    key = name.lower().replace("_", "-")
    if key not in NAMES:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(NAMES)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    if standalone and fmt != "latex":
        raise ValueError(f"--standalone is for --format latex, not {fmt!r}")
    derivation = derive(key)
    if fmt == "latex":
        return derivation.to_latex(standalone=standalone)
    if fmt == "markdown":
        return derivation.to_markdown()
    return str(derivation)
