"""The timing helpers of ``benchmarks/common.py``: interleaving, repeats, ratios.

The benchmark figures quoted in docs/performance.md rest on these; they run without PyTorch.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import common  # benchmarks/ is a folder of scripts, not a package


def test_interleave_calls_every_case_once_per_repeat_in_rotating_order() -> None:
    calls: list[str] = []
    cases = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b"), "none": None}
    samples = common.interleave(cases, repeats=4, warmup=1, collect=False)
    assert set(samples) == {"a", "b"}  # a None case is skipped
    assert all(len(s.seconds) == 4 and len(s.faults) == 4 for s in samples.values())
    warmup, timed = calls[:2], calls[2:]
    assert warmup == ["a", "b"] and timed == ["a", "b", "b", "a", "a", "b", "b", "a"]


def test_min_seconds_adds_repeats_for_fast_cases_and_caps_them(monkeypatch) -> None:
    # a fake clock: each call of fast() takes exactly 2 ms, whatever the machine is doing
    clock = [0.0]
    monkeypatch.setattr(common.time, "perf_counter", lambda: clock[0])

    def fast() -> None:
        clock[0] += 0.002

    samples = common.interleave({"x": fast, "y": fast}, repeats=3, warmup=2, collect=False,
                                min_seconds=0.05)
    n = len(samples["x"].seconds)
    assert n == len(samples["y"].seconds)
    assert 10 <= n <= 30  # about 0.05 s / 2 ms, never fewer than asked
    capped = common.interleave({"x": fast}, repeats=3, warmup=1, collect=False,
                               min_seconds=10.0, max_repeats=7)
    assert len(capped["x"].seconds) == 7
    plain = common.interleave({"x": fast}, repeats=3, warmup=1, collect=False)
    assert len(plain["x"].seconds) == 3


def test_ratio_is_the_median_of_per_repeat_ratios() -> None:
    a, b = common.Samples(seconds=[2.0, 9.0, 3.0]), common.Samples(seconds=[1.0, 3.0, 3.0])
    assert common.ratio(a, b) == 2.0  # ratios 2, 3, 1 — not 9/3 or a ratio of medians
    assert math.isnan(common.ratio(a, None))


def test_geomean_and_formatting() -> None:
    assert common.geomean([1.0, 4.0]) == pytest.approx(2.0)
    assert math.isnan(common.geomean([1.0, math.nan]))
    assert math.isnan(common.geomean([]))
    assert common.fmt(math.nan) == "-" and common.fmt(1.234, ".1f", "×") == "1.2×"
    assert common.verdict(True) == "PASS" and common.verdict(None) == "n/a"


def test_interleave_leaves_the_collector_as_it_found_it() -> None:
    import gc

    seen: list[int] = []
    samples = common.interleave({"a": lambda: seen.append(gc.get_freeze_count())}, repeats=2,
                                warmup=0)
    assert len(samples["a"].seconds) == 2
    assert all(count > 0 for count in seen)  # frozen while timing: collections stay short
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_survivors_frozen_unfreezes_after_an_error_and_can_be_switched_off() -> None:
    import gc

    try:
        with common.survivors_frozen():
            assert gc.get_freeze_count() > 0
            raise RuntimeError("a case failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0
    with common.survivors_frozen(False):
        assert gc.get_freeze_count() == 0


def test_interleave_settles_before_each_call_without_timing_the_pause() -> None:

    start = time.perf_counter()
    samples = common.interleave({"x": lambda: None, "y": lambda: None}, repeats=3, warmup=0,
                                collect=False, settle=0.02)
    assert time.perf_counter() - start >= 6 * 0.02  # one pause per timed call
    assert max(samples["x"].seconds + samples["y"].seconds) < 0.02


def test_conv_gemm_flops_and_the_sgemm_case_of_equal_work() -> None:
    import conv  # benchmarks/conv.py; importing it runs nothing
    import numpy as np

    # shape (b): O=32, C·kh·kw=144, N·Ho·Wo=64·14·14, three products of 2·M·K·N flops each
    flops = conv.conv_gemm_flops(conv.CONV_SHAPES["conv (b)"])
    assert flops == 3 * 2 * 32 * 144 * 64 * 14 * 14
    run, sgemm_flops = conv.sgemm_case(flops, np.random.default_rng(0))
    n = round((sgemm_flops / 2) ** (1 / 3))
    assert 2 * n**3 == sgemm_flops
    assert abs(sgemm_flops - flops) / flops < 0.01  # equal work, up to rounding n
    run()  # one matmul into a preallocated output: no error, nothing returned
