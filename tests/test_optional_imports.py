"""The optional extras stay optional: ``import autocnn`` (with interop and onnx) loads
neither torch nor onnx; they are imported inside the functions that need them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_import_autocnn_loads_neither_torch_nor_onnx() -> None:
    code = ("import sys, autocnn, autocnn.nn, autocnn.models, autocnn.interop, autocnn.onnx; "
            "autocnn.interop.check_same, autocnn.onnx.export; "
            "print('torch' in sys.modules, 'onnx' in sys.modules)")
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, cwd=root, timeout=60)
    assert out.stdout.split() == ["False", "False"]
