"""The "Read the engine" table of docs/autograd.md still points at the right lines.

Each row names a file, a function and a line range; the test finds the function with
``inspect`` and checks that its source (decorators and docstring included) spans exactly
that range, and that the whole reading path stays within its budget (issue 12: at most 250
lines). When code moves, the failure message gives the new range to copy into the table.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGE = ROOT / "docs" / "autograd.md"
_ROW = re.compile(
    r"^\| (?P<n>\d+) \| `(?P<file>[^`]+)` \| `(?P<name>[^`]+)` \| (?P<a>\d+)–(?P<b>\d+) \|", re.M
)


def _rows() -> list[re.Match]:
    section = PAGE.read_text().split("## Read the engine", 1)[1].split("\n## ", 1)[0]
    return list(_ROW.finditer(section))


def _resolve(file: str, name: str):
    module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
    obj = module
    for part in name.split("."):
        obj = inspect.getattr_static(obj, part) if inspect.isclass(obj) else getattr(obj, part)
    if isinstance(obj, (classmethod, staticmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    return obj


def test_the_table_lists_the_path_in_order() -> None:
    rows = _rows()
    assert len(rows) >= 10
    assert [int(r["n"]) for r in rows] == list(range(1, len(rows) + 1))
    names = [r["name"] for r in rows]
    for needed in ("tensor", "Function.apply", "graph_order", "run_backward", "_sum_to"):
        assert needed in names


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["name"])
def test_each_row_holds_its_function(row: re.Match) -> None:
    obj = _resolve(row["file"], row["name"])
    lines, start = inspect.getsourcelines(obj)
    got = f"{start}–{start + len(lines) - 1}"
    assert inspect.getsourcefile(obj).endswith(row["file"])
    assert got == f"{row['a']}–{row['b']}", (
        f"docs/autograd.md 'Read the engine': {row['name']} in {row['file']} is now at "
        f"lines {got}, the table says {row['a']}–{row['b']}"
    )


def test_the_reading_path_fits_in_250_lines() -> None:
    total = sum(int(r["b"]) - int(r["a"]) + 1 for r in _rows())
    assert total <= 250
    stated = re.search(r"(\d+) lines in \d+ files", PAGE.read_text())
    assert stated and int(stated[1]) == total


def test_the_reading_path_spans_at_most_3_files() -> None:
    files = {r["file"] for r in _rows()}
    assert len(files) <= 3, sorted(files)
    stated = re.search(r"lines in (\d+) files", PAGE.read_text())
    assert stated and int(stated[1]) == len(files)
