"""xgboost's own messages (printed native lines, Python warnings) routed into the job's log."""

from __future__ import annotations

import contextlib
import io
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    pass


def xgboost_reason(error: Exception) -> str:
    """xgboost's message without its timestamp, source location and native stack trace."""
    text = str(error).split("Stack trace:")[0]
    text = re.sub(r"\[\d\d:\d\d:\d\d\]\s*", "", text)
    text = re.sub(r"\S+\.(?:cc|cu|h):\d+:\s*", "", text)
    return " ".join(text.split())


class _LineWriter(io.TextIOBase):
    """A text stream that hands each complete line to `log`."""

    def __init__(self, log: Callable[[str], None]) -> None:
        super().__init__()
        self._log = log
        self._pending = ""
        self._passthrough = sys.stdout
        self._busy = False

    def write(self, text: str) -> int:
        if self._busy:  # `log` itself prints: let that through rather than loop
            return self._passthrough.write(text)
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        self._emit(lines)
        return len(text)

    def flush(self) -> None:
        if not self._busy:
            pending, self._pending = self._pending, ""
            self._emit([pending])

    def _emit(self, lines: list[str]) -> None:
        self._busy = True
        try:
            for line in lines:
                if line.strip():
                    self._log(line.rstrip())
        finally:
            self._busy = False


@contextlib.contextmanager
def xgboost_messages_to(log: Callable[[str], None]) -> Iterator[None]:
    """xgboost print()s its native log lines and warns through Python: both belong in the job's log."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: IO[str] | None = None,
        line: str | None = None,
    ) -> None:
        text = xgboost_reason(Exception(str(message)))
        log(text if text.startswith("WARNING") else f"WARNING: {text}")

    writer = _LineWriter(log)
    with warnings.catch_warnings(), contextlib.redirect_stdout(writer):
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = show
        try:
            yield
        finally:
            writer.flush()
