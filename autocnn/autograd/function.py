"""Where ``Function`` and ``Saved`` used to live; they are in ``engine.py`` now.

The engine — recording a node (``Function.apply``) and running the graph backward
(``run_backward``) — reads in one file. This module keeps the older import path
``from autocnn.autograd.function import Function`` working.
"""

from autocnn.autograd.engine import FREED, OUTPUT, Function, Saved

__all__ = ["FREED", "OUTPUT", "Function", "Saved"]
