"""``autocnn derive NAME [--format text|latex|markdown]``: print a textbook derivation.

NAME is one of batchnorm, conv2d, relu, maxpool, softmax-ce. The derivation is proved (its
``check()`` runs) before it is printed, and the proof is part of the output.
"""

from __future__ import annotations

import argparse

from autocnn.commands import UserError

#: kept here too so that ``autocnn --help`` need not import SymPy
NAMES = ("batchnorm", "conv2d", "relu", "maxpool", "softmax-ce")
FORMATS = ("text", "latex", "markdown")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``autocnn derive``."""
    parser = subparsers.add_parser(
        "derive", help="print a gradient derivation (" + ", ".join(NAMES) + "), proved",
        description="Print the forward steps and closed-form gradients of an op, proved "
        "equal to the engine's backward and to sympy.diff.")
    parser.add_argument("name", metavar="NAME", help="one of: " + ", ".join(NAMES))
    parser.add_argument("--format", default="text", choices=FORMATS,
                        help="output format (default: text)")
    parser.set_defaults(run=run)


def render(name: str, fmt: str = "text") -> str:
    """The derivation ``name`` rendered in ``fmt``."""
    key = name.lower().replace("_", "-")
    if key not in NAMES:
        raise UserError(f"unknown op {name!r}; known ops: {', '.join(NAMES)}")
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    from autocnn import symbolic

    derivation = symbolic.derive(key)
    if fmt == "latex":
        return derivation.to_latex()
    if fmt == "markdown":
        return derivation.to_markdown()
    return str(derivation)


def run(args: argparse.Namespace) -> int:
    """Print the derivation; exit code 1 if its proof fails (it never should)."""
    text = render(args.name, args.format)
    print(text, end="" if text.endswith("\n") else "\n")
    return 0 if "SOME CLAIMS FAIL" not in text and "FAILED" not in text else 1
