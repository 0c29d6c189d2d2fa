"""Runs a student's code in a separate process (``python autocnn/course/runner.py``).

The grader starts this file as a child process (loaded from its path, so the child does
not import the autocnn package unless the student's code does) and writes one JSON request to its
standard input: the student's Python ``source``, the ``calls`` to make (part name,
function name, keyword arguments) and a per-call time limit. The source is executed in a
fresh namespace, then each call runs with its own alarm, so a part that loops forever
times out alone and the next part still runs. One JSON line per call is printed as soon as
it finishes (``{"part": ..., "ok": ..., "value": ..., "error": ...}``), so the grader keeps
what finished even if it has to kill the process. Nothing here imports the rest of autocnn
(the student's code may); values cross the pipe as JSON (nested lists of floats, strings).
"""

from __future__ import annotations

import json
import signal
import sys
import traceback
from typing import Any


class PartTimeoutError(BaseException):
    """The part ran past its time limit (a BaseException, so that a student's
    ``except Exception:`` cannot swallow it)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise PartTimeoutError()


def _alarm(seconds: float) -> None:
    """Arm (or, with 0, disarm) the per-part alarm; without ``setitimer`` (Windows) only the
    grader's time limit on the whole process applies."""
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, seconds)


def to_jsonable(value: Any) -> Any:
    """A student's return value as JSON: arrays and tensors as nested lists of floats."""
    import numpy as np

    if isinstance(value, str | bool) or value is None:
        return value
    if hasattr(value, "data") and hasattr(value, "grad_fn"):  # an autocnn Tensor
        value = value.data
    if isinstance(value, tuple | list) and any(isinstance(v, tuple | list) or hasattr(
            v, "shape") for v in value):
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return {"__ragged__": [to_jsonable(v) for v in value]}
    arr = np.asarray(value)
    if arr.dtype == object:
        arr = np.asarray([float(v) for v in arr.reshape(-1)]).reshape(arr.shape)
    arr = arr.astype(np.float64)
    flat = [None if not np.isfinite(v) else float(v) for v in arr.reshape(-1)]
    return {"__array__": flat, "shape": list(arr.shape)}


def _describe(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename == "<student>"]
    where = f" (line {frames[-1].lineno}: {frames[-1].line.strip()})" if frames and \
        frames[-1].line else (f" (line {frames[-1].lineno})" if frames else "")
    text = str(exc)
    return f"{type(exc).__name__}: {text[:300]}{where}"


def main() -> int:
    """Read the request, run each call, print one JSON line per call."""
    request = json.loads(sys.stdin.read())
    results = sys.stdout
    sys.stdout = sys.stderr  # the student's prints must not mix with the results
    limit = float(request.get("timeout", 5.0))
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _on_alarm)
    namespace: dict[str, Any] = {"__name__": "student"}
    source = request["source"]
    _lines = source.splitlines()

    import linecache

    linecache.cache["<student>"] = (len(source), None, [ln + "\n" for ln in _lines],
                                    "<student>")
    setup_error = ""
    # imports (numpy, autocnn) may take seconds on a loaded machine: the code outside the
    # functions gets a longer limit than each part
    setup_limit = max(limit, float(request.get("setup_timeout", 30.0)))
    try:
        _alarm(setup_limit)
        exec(compile(source, "<student>", "exec"), namespace)
    except PartTimeoutError:
        setup_error = f"the code outside the functions ran longer than {setup_limit:g} s"
    except BaseException as exc:
        setup_error = f"the code raised {_describe(exc)} before any part ran"
    finally:
        _alarm(0)
    for call in request["calls"]:
        out: dict[str, Any] = {"part": call["part"], "ok": False}
        fn = namespace.get(call["function"])
        if setup_error:
            out["error"] = setup_error
        elif not callable(fn):
            out["error"] = f"no function {call['function']}() defined"
        else:
            import numpy as np

            args = {k: (np.asarray(v["__array__"], dtype=np.float64).reshape(v["shape"])
                        if isinstance(v, dict) and "__array__" in v else v)
                    for k, v in call["args"].items()}
            try:
                _alarm(limit)
                value = fn(**args)
                _alarm(0)
                out["value"] = to_jsonable(value)
                out["ok"] = True
            except PartTimeoutError:
                out["error"] = f"timed out: {call['function']}() ran longer than {limit:g} s"
            except BaseException as exc:
                out["error"] = f"{call['function']}() raised {_describe(exc)}"
            finally:
                _alarm(0)
        results.write(json.dumps(out) + "\n")
        results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
