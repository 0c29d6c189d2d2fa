"""The one-line progress bar ``fit`` shows per epoch, written without a progress-bar library."""

from __future__ import annotations

import shutil
import sys
import time
from typing import IO, Any


class ProgressBar:
    """A one-line progress bar: ``epoch 2/5 [#######-------] 17/40 loss 0.41 acc 88.1% ...``.

    On a terminal the line is redrawn in place (at most every ``min_interval`` seconds);
    on anything else (a file, a pipe, a notebook's captured output) only the final line is
    written, so logs stay clean. ``update(n, **values)`` advances by n steps and shows the
    given values; ``close(**values)`` writes the final line and a newline.
    """

    def __init__(self, total: int, description: str = "", stream: IO[str] | None = None,
                 width: int = 24, min_interval: float = 0.1) -> None:
        self.total = max(int(total), 0)
        self.description = description
        self.stream = stream if stream is not None else sys.stdout
        self.width = width
        self.min_interval = min_interval
        self.count = 0
        self.values: dict[str, Any] = {}
        self._last_draw = 0.0
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty())

    def render(self) -> str:
        """The current line of text (without a carriage return)."""
        done = min(self.count, self.total)
        filled = self.width * done // self.total if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        parts = [p for p in (self.description, f"[{bar}] {self.count}/{self.total}") if p]
        parts += [f"{k} {_format_value(k, v)}" for k, v in self.values.items()]
        return " ".join(parts)

    def update(self, n: int = 1, **values: Any) -> None:
        """Advance by ``n`` steps and show ``values`` (e.g. ``loss=0.3, acc=0.9``)."""
        self.count += n
        self.values.update(values)
        now = time.perf_counter()
        if self.live and (now - self._last_draw >= self.min_interval or self.count >= self.total):
            self._last_draw = now
            # a line longer than the terminal would wrap, and "\r" would then only go back
            # to the start of its last row: cut it to the width (the final line is whole)
            columns = shutil.get_terminal_size().columns
            self.stream.write("\r" + self.render()[: max(columns - 1, 20)])
            self.stream.flush()

    def close(self, **values: Any) -> None:
        """Show ``values`` and end the line."""
        self.values.update(values)
        # on a terminal: back to the start and clear the cut line before the whole one
        self.stream.write(("\r\033[K" if self.live else "") + self.render() + "\n")
        self.stream.flush()


def _format_value(key: str, value: Any) -> str:
    if isinstance(value, float):
        if key in ("acc", "test_acc", "accuracy"):
            return f"{100 * value:.1f}%"
        if key == "img/s":
            return f"{value:,.0f}"
        if key == "time":
            return f"{value:.1f}s"
        return f"{value:.4f}"
    return str(value)
