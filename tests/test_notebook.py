"""The notebooks in examples/ are stored without outputs and run top to bottom without an error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).parent.parent
# each notebook with the texts its outputs must hold and the least number of pictures
NOTEBOOKS = {
    "lesson-2.1-cnn.ipynb": (["test accuracy", "dL/dfilter"], 0),
    "look-inside.ipynb": (["test accuracy", "matches: True", "exactly: True", "equal: True",
                           "fix: nn.Linear(100, 5)"], 8),
}


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_the_notebook_is_stored_with_outputs_cleared(name: str) -> None:
    nb = nbformat.read(ROOT / "examples" / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_the_notebook_runs_top_to_bottom(name: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # the kernel inherits this environment: the checkout first, small settings, no windows
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("AUTOCNN_EXAMPLE_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(ROOT / "examples" / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError naming the cell that failed
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    text = "".join(out.get("text", "") for out in outputs)
    expected, pictures = NOTEBOOKS[name]
    for words in expected:
        assert words in text, words
    assert sum("image/png" in out.get("data", {}) for out in outputs) >= pictures
