"""Plain text as LaTeX that pdflatex compiles: Unicode math symbols become math macros.

The derivations' labels, summaries and proof lines are written for the terminal, with
``γ``, ``∂``, ``x̂``, ``σ²``, ``−``, ``→`` … in them. pdflatex rejects those characters in
text (and lualatex silently drops them from its default font), so :func:`latex_text` turns
each one into ``$\\gamma$``, ``$\\partial$``, ``$\\hat{x}$``, ``$\\sigma^{2}$``, … and
escapes LaTeX's special characters; the result is pure ASCII. :func:`standalone` wraps a
fragment into a complete document.
"""

from __future__ import annotations

import unicodedata

#: a character → its math-mode LaTeX (characters not listed use their Unicode name, below)
_MATH = {
    "∂": r"\partial", "Σ": r"\Sigma", "∑": r"\sum", "√": r"\surd", "·": r"\cdot",
    "×": r"\times", "…": r"\ldots", "→": r"\to", "←": r"\leftarrow", "⇒": r"\Rightarrow",
    "−": "-", "±": r"\pm", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx",
    "∞": r"\infty", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil",
    "°": r"^{\circ}", "²": "^{2}", "³": "^{3}", "¹": "^{1}", "⁻": "^{-}", "½": r"\tfrac{1}{2}",
    "∈": r"\in", "∘": r"\circ", "⊙": r"\odot", "ε": r"\epsilon", "ϵ": r"\epsilon",
    "₀": "_{0}", "₁": "_{1}", "₂": "_{2}", "ᵢ": "_{i}", "ⱼ": "_{j}", "ₙ": "_{n}",
    "ℓ": r"\ell", "∇": r"\nabla", "∀": r"\forall",
}
#: text-mode replacements (no math needed)
_TEXT = {"“": "``", "”": "''", "‘": "`", "’": "'", "–": "--", "—": "---", "\u00a0": "~",
         "é": r"\'e", "è": r"\`e", "ü": r"\"u", "ö": r"\"o", "ä": r"\"a"}
_SPECIAL = {"_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "{": r"\{",
            "}": r"\}", "\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}",
            "<": r"\textless{}", ">": r"\textgreater{}"}
_HAT, _TILDE, _BAR = "\u0302", "\u0303", "\u0304"
_ACCENTS = {_HAT: r"\hat", _TILDE: r"\tilde", _BAR: r"\bar"}


def _math_of(ch: str) -> str | None:
    """The math-mode LaTeX of one non-ASCII character, or None when it has none."""
    if ch in _MATH:
        return _MATH[ch]
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK SMALL LETTER ") or name.startswith("GREEK CAPITAL LETTER "):
        letter = name.split()[-1].lower()
        if name.startswith("GREEK CAPITAL"):
            letter = letter.capitalize()
        return "\\" + letter
    return None


def latex_text(text: str) -> str:
    """``text`` as LaTeX text mode, pure ASCII: math symbols as ``$...$`` macros.

    A combining accent (``x̂``) becomes ``\\hat{x}``; runs of math characters share one
    ``$...$``; any character without a known form is written as its Unicode name in
    brackets rather than passed through (so the output always compiles).
    """
    pieces: list[tuple[bool, str]] = []  # (is math, LaTeX)
    chars = list(text)
    i = 0
    while i < len(chars):
        ch = chars[i]
        accent = chars[i + 1] if i + 1 < len(chars) and chars[i + 1] in _ACCENTS else None
        if accent:
            inner = _math_of(ch) or (_SPECIAL.get(ch, ch) if ch.isascii() else "?")
            pieces.append((True, f"{_ACCENTS[accent]}{{{inner}}}"))
            i += 2
            continue
        if ch.isascii():
            pieces.append((False, _SPECIAL.get(ch, ch)))
        elif ch in _TEXT:
            pieces.append((False, _TEXT[ch]))
        elif (math := _math_of(ch)) is not None:
            pieces.append((True, math if math[0] in "^_" or math == "-" else "{" + math + "}"))
        else:
            decomposed = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            if decomposed:
                pieces.append((False, _SPECIAL.get(decomposed, decomposed)))
            else:
                name = unicodedata.name(ch, f"U+{ord(ch):04X}").lower()
                pieces.append((False, f"[{name}]"))
        i += 1
    out: list[str] = []
    in_math = False
    for is_math, tex in pieces:
        if is_math != in_math:
            out.append("$")
            in_math = is_math
        out.append(tex)
    if in_math:
        out.append("$")
    return "".join(out)


def standalone(body: str, title: str = "") -> str:
    """A complete LaTeX document around the fragment ``body`` (amsmath, amssymb)."""
    head = [r"\documentclass[11pt]{article}", r"\usepackage[T1]{fontenc}",
            r"\usepackage{amsmath}", r"\usepackage{amssymb}",
            r"\usepackage[margin=2cm]{geometry}", r"\setlength{\parindent}{0pt}",
            r"\allowdisplaybreaks"]
    if title:
        head.append(f"\\title{{{latex_text(title)}}}\\date{{}}")
    head.append(r"\begin{document}")
    if title:
        head.append(r"\maketitle")
    return "\n".join(head) + "\n" + body.rstrip("\n") + "\n\\end{document}\n"
