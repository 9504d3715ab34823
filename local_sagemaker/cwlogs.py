"""A job's log: CloudWatch Logs under SageMaker's group and stream names, plus a local copy."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

_BATCH_LINES = 200
_FLUSH_SECONDS = 1.0


class JobLog:
    """Buffered writer; the provider's `print_log` reads these events back from CloudWatch."""

    def __init__(self, logs_client: Any, group: str, stream: str, local_file: Path) -> None:
        self.client = logs_client
        self.group = group
        self.stream = stream
        self.local_file = local_file
        self._pending: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()
        self._ensure_stream()

    def _ensure_stream(self) -> None:
        for create, kwargs in (
            (self.client.create_log_group, {"logGroupName": self.group}),
            (self.client.create_log_stream, {"logGroupName": self.group, "logStreamName": self.stream}),
        ):
            with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
                create(**kwargs)

    def write(self, message: str) -> None:
        with self._lock:
            stamp = int(time.time() * 1000)
            for line in message.rstrip("\n").split("\n"):
                # PutLogEvents refuses an empty message (min length 1); blank lines stay in the local copy only.
                if line:
                    self._pending.append({"timestamp": stamp, "message": line})
            with self.local_file.open("a", encoding="utf-8") as local:
                local.write(message.rstrip("\n") + "\n")
            if len(self._pending) >= _BATCH_LINES or time.monotonic() - self._last_flush > _FLUSH_SECONDS:
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._pending:
            self.client.put_log_events(
                logGroupName=self.group, logStreamName=self.stream, logEvents=self._pending
            )
            self._pending = []
        self._last_flush = time.monotonic()
