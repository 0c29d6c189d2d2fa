"""Shared test set-up: a fixed seed for every test, and the ``torch`` oracle marker."""

from __future__ import annotations

import importlib.util

import pytest

import autocnn as ac

HAS_TORCH = importlib.util.find_spec("torch") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAS_TORCH:
        return
    skip = pytest.mark.skip(reason="PyTorch (torch==2.13.0, CPU) is not installed")
    for item in items:
        if "torch" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same random state."""
    ac.manual_seed(0)
