"""Subcommands of the ``autocnn`` command, one module each.

A command module defines ``add_parser(subparsers)``, which registers its parser and sets
``run`` with ``parser.set_defaults(run=run)``; ``run(args)`` returns an exit code. Import
heavy modules inside ``run``, so that ``autocnn --help`` stays fast. Raise ``UserError`` for
mistakes the user can fix (unknown names, missing files): the dispatcher prints it as one
line and exits with code 2.
"""

from __future__ import annotations

import importlib.util


class UserError(Exception):
    """A mistake in the command's input, reported without a traceback."""


# the order in which `autocnn --help` lists them; a module that does not exist yet is skipped
_ALL = ("train", "evaluate", "report", "diagnose", "lr_find", "explain", "derive", "graph",
        "course")
COMMANDS = tuple(n for n in _ALL if importlib.util.find_spec(f"autocnn.commands.{n}"))
