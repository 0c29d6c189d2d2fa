"""``benchmarks/models_step.py`` times the same thing in both libraries.

Its ratios mean something only if autocnn and PyTorch run the same model with the same
weights on the same data: here two steps of the seed CNN (batch norm in training mode)
must give the same losses in both. Skips without PyTorch; no timing is checked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import models_step  # benchmarks/ is a folder of scripts, not a package


def test_both_steps_of_the_seed_cnn_give_the_same_losses() -> None:
    torch = pytest.importorskip("torch")
    ac_step, model, ac_losses = models_step.autocnn_step("seed")
    t_step, t_losses = models_step.torch_step(torch, model, "seed")
    for _ in range(2):
        ac_step()
        t_step()
    assert len(ac_losses) == 2
    np.testing.assert_allclose(ac_losses, t_losses, rtol=1e-4)
    assert ac_losses[1] != ac_losses[0]  # the SGD step changed the weights


def test_the_cases_are_the_ones_issue_18_names() -> None:
    seed = models_step.CASES["seed"]
    vgg = models_step.CASES["vgg224"]
    assert seed[0] == "seed" and seed[5] == 1.15
    assert vgg[2:5] == (8, 3, 224) and vgg[5] == 1.5 and models_step.TARGET_PROCESS_MIB == 2048
