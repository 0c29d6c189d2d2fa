"""docs/outgrowing.md's example: autocnn → to_torch → DistributedDataParallel on 2 CPU
processes (gloo, localhost) → from_torch, with the accuracy carried over. A short version
(a few steps); skipped without PyTorch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "examples" / "50_outgrowing_to_pytorch_ddp.py"


@pytest.mark.torch
def test_train_convert_ddp_on_two_processes_and_back(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, AUTOCNN_EXAMPLE_SMALL="1", PYTHONPATH=path)
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    accuracies = [float(line.rsplit("test accuracy", 1)[1].split()[0])
                  for line in lines if "test accuracy" in line]
    assert len(accuracies) == 4, result.stdout
    autocnn_acc, torch_acc, ddp_acc, back_acc = accuracies
    assert torch_acc == autocnn_acc and back_acc == ddp_acc
    assert "DDP steps on 2 processes" in result.stdout
    assert "check_same: same" in result.stdout
    assert list(tmp_path.iterdir()) == []  # the DDP weights went to a temporary folder
