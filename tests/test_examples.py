"""Every script in examples/ runs to the end (with small settings) and exits with code 0.

Examples read ``AUTOCNN_EXAMPLE_SMALL=1`` from the environment and then use tiny datasets,
few epochs and no files outside a temporary folder, so this stays quick.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").rglob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[str(p.name) for p in EXAMPLES])
def test_example_runs_to_completion(script: Path, tmp_path: Path) -> None:
    # The checkout under test comes first on the path, whatever else is installed.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, AUTOCNN_EXAMPLE_SMALL="1", MPLBACKEND="Agg", PYTHONPATH=path)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.strip(), f"{script.name} printed nothing"
