"""The Python examples in the docs run as written.

Every fenced block whose info string is exactly ``python`` is executed, in order, in one
namespace per page (so a page can build on its earlier blocks). Blocks marked
``python no-run`` are illustrations (fragments of library code, placeholders such as
``model``) and are skipped. Every page under docs/ with a runnable block is collected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parent.parent / "docs"

_BLOCK = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```", re.S | re.M)


def python_blocks(text: str) -> list[str]:
    return [m["code"] for m in _BLOCK.finditer(text) if m["info"].strip() == "python"]


PAGES = sorted(
    str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if python_blocks(p.read_text())
)


def test_the_guides_with_code_are_collected() -> None:
    assert {"autograd.md", "api/functional.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_of_the_page_run(page: str) -> None:
    blocks = python_blocks((DOCS / page).read_text())
    assert blocks, f"{page} has no runnable python block"
    namespace: dict = {"__name__": f"docs.{page}"}
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"{page}[block {i}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            raise AssertionError(f"{page}, block {i} failed: {exc!r}\n{code}") from exc
