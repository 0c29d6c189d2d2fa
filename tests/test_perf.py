"""``autocnn.perf.tune_allocator``: what it reports, its argument checks, and its effect.

Calling it changes the whole process, so every call that may apply it runs in a child
interpreter; the test process itself keeps glibc's default malloc.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import autocnn.perf as perf

IS_GLIBC = perf._glibc() is not None

# Three 8 MiB arrays written and freed per step: with glibc's defaults the freed memory
# goes back to the kernel and every step faults its pages in again.
FAULTS_PER_STEP = textwrap.dedent(
    """
    import json, resource, sys
    import numpy as np
    result = None
    if sys.argv[1] == "tuned":
        import autocnn.perf
        result = autocnn.perf.tune_allocator()
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    def step():
        a = np.ones(1 << 21, np.float32)
        b = np.ones(1 << 21, np.float32)
        return float((a + b)[0])
    for _ in range(3):
        step()
    before = faults()
    for _ in range(10):
        step()
    print(json.dumps({"result": result, "faults": (faults() - before) / 10}))
    """
)


def _child(variant: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", FAULTS_PER_STEP, variant], capture_output=True, text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(not IS_GLIBC, reason="tune_allocator only acts on glibc (Linux)")
def test_tune_allocator_removes_the_page_faults_of_repeated_large_arrays() -> None:
    default, tuned = _child("default"), _child("tuned")
    assert tuned["result"]["applied"] is True
    assert default["faults"] > 500  # the cost the setting exists to remove
    assert tuned["faults"] < 0.05 * default["faults"]


@pytest.mark.skipif(not IS_GLIBC, reason="tune_allocator only acts on glibc (Linux)")
def test_tune_allocator_reports_the_thresholds_it_set() -> None:
    result = _child("tuned")["result"]
    assert result == {
        "applied": True,
        "reason": result["reason"],
        "mmap_threshold": perf.MAX_MMAP_THRESHOLD,
        "trim_threshold": 256 * 1024 * 1024,
        "libc": result["libc"],
    }
    assert result["libc"].startswith("glibc ")


def test_tune_allocator_changes_nothing_without_glibc(monkeypatch) -> None:
    monkeypatch.setattr(perf.sys, "platform", "darwin")
    result = perf.tune_allocator()
    assert result["applied"] is False
    assert "nothing changed" in result["reason"]
    assert result["mmap_threshold"] is None and result["trim_threshold"] is None


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"mmap_threshold": 1.5}, TypeError, ["tune_allocator", "mmap_threshold", "float"]),
        ({"trim_threshold": True}, TypeError, ["tune_allocator", "trim_threshold", "bool"]),
        ({"mmap_threshold": -1}, ValueError, ["tune_allocator", "mmap_threshold", "-1"]),
        ({"mmap_threshold": 2**26}, ValueError, ["mmap_threshold", str(2**25), str(2**26)]),
        ({"trim_threshold": 2**31}, ValueError, ["trim_threshold", str(2**31 - 1)]),
    ],
    ids=["float", "bool", "negative", "above-glibc-ceiling", "above-c-int"],
)
def test_tune_allocator_rejects_bad_thresholds(kwargs, error, words) -> None:
    with pytest.raises(error) as info:
        perf.tune_allocator(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_importing_the_library_does_not_tune_the_allocator() -> None:
    code = (
        "import sys, autocnn, autocnn.functional, autocnn.ops; "
        "print('autocnn.perf' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
