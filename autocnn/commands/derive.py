"""``autocnn derive NAME [--format text|latex|markdown] [--standalone]``: print a derivation.

NAME is one of batchnorm, conv2d, relu, maxpool, softmax-ce. The derivation is proved (its
``check()`` runs) before it is printed, and the proof is part of the output. The rendering
itself lives in ``autocnn.symbolic.rendering``; this module only parses the command line.
"""

from __future__ import annotations

import argparse

from autocnn.commands import UserError

#: kept here too so that ``autocnn --help`` need not import SymPy (a test checks that it
#: equals ``autocnn.symbolic.rendering.NAMES``)
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
    parser.add_argument("--standalone", action="store_true",
                        help="with --format latex: a complete document for pdflatex "
                        "(default: a fragment to \\input)")
    parser.set_defaults(run=run)


def render(name: str, fmt: str = "text", standalone: bool = False) -> str:
    """The derivation ``name`` rendered in ``fmt`` (``UserError`` for an unknown name)."""
    from autocnn.symbolic.rendering import render as render_derivation

    try:
        return render_derivation(name, fmt, standalone=standalone)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Print the derivation; exit code 1 if its proof fails (it never should)."""
    text = render(args.name, args.format, standalone=args.standalone)
    print(text, end="" if text.endswith("\n") else "\n")
    return 0 if "SOME CLAIMS FAIL" not in text and "FAILED" not in text else 1
