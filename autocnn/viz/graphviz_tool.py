"""Graphviz's ``dot`` program: whether it is installed, and how to install it.

The ``graphviz`` Python package only writes DOT text; drawing it needs the ``dot``
program. Every picture function asks here, and says the same one sentence when it is
missing. Imports nothing from ``autocnn``.
"""

from __future__ import annotations

import shutil

INSTALL_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz` (conda), or see "
    "https://graphviz.org/download/"
)


def dot_available() -> bool:
    """True when Graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None
