"""The ``autocnn`` command (also ``python -m autocnn``): a dispatcher over subcommands.

Each subcommand lives in its own module of ``autocnn/commands/`` and provides
``add_parser(subparsers)`` (cheap: no heavy imports) and ``run(args) -> int``. User errors
(bad names, missing files) are reported as one clear line on stderr with exit code 2,
without a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from autocnn.commands import COMMANDS, UserError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="autocnn",
        description="Train CNNs built from a readable autodiff engine, derive their "
        "gradients symbolically, and draw their computation graphs.",
    )
    from autocnn import __version__

    parser.add_argument("--version", action="version", version=f"autocnn {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"autocnn.commands.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except UserError as exc:
        print(f"autocnn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"autocnn {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
