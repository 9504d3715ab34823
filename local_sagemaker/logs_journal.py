"""CloudWatch Logs that survive a restart: moto answers, and every change it accepted is journaled in SQLite.

moto keeps log groups, streams and events in memory with the whole Logs API; the journal records each
accepted change (CreateLogGroup, PutLogEvents, DeleteLogStream, ...) before the client gets its answer,
and at start-up replays them into a fresh moto, so a restart or a SIGKILL loses no acknowledged event."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from local_sagemaker.schema import open_versioned

TARGET_PREFIX = "Logs_20140328."
# Logs actions that change nothing lasting: answered by moto, not journaled.
_READ_ONLY = ("Describe", "Get", "List", "Filter", "Test", "StartQuery", "StopQuery", "StartLiveTail")
_REPLAYED_HEADERS = (
    "HTTP_AUTHORIZATION",
    "HTTP_X_AMZ_TARGET",
    "CONTENT_TYPE",
    "HTTP_HOST",
    "HTTP_X_AMZ_DATE",
)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LogsJournal:
    def __init__(self, path: Path, moto_app: WsgiApp) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.moto_app = moto_app
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # As the object index: survives any kill of the process; a power cut may lose the last events.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, headers TEXT NOT NULL, body BLOB NOT NULL)"
        )
        open_versioned(self._db, path)
        # One change at a time: the journal's order is the order moto applied them.
        self._lock = threading.Lock()

    def replay(self) -> int:
        """Apply every journaled change to moto, oldest first; returns how many."""
        count = 0
        for headers, body in self._db.execute("SELECT headers, body FROM changes ORDER BY id"):
            environ = {
                **json.loads(headers),
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/",
                "QUERY_STRING": "",
                "SERVER_NAME": "localhost",
                "SERVER_PORT": "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
                "wsgi.url_scheme": "http",
                "wsgi.errors": io.StringIO(),
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
                "wsgi.version": (1, 0),
            }
            b"".join(self.moto_app(environ, lambda *_: None))
            count += 1
        return count

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        action = environ.get("HTTP_X_AMZ_TARGET", "")[len(TARGET_PREFIX) :]
        if action.startswith(_READ_ONLY):
            return self.moto_app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda _data: None

        with self._lock:
            reply = b"".join(self.moto_app(environ, capture))
            if answer["status"].startswith("2"):
                kept = {name: environ[name] for name in _REPLAYED_HEADERS if name in environ}
                self._db.execute(
                    "INSERT INTO changes (headers, body) VALUES (?, ?)", (json.dumps(kept), body)
                )
        start_response(answer["status"], answer["headers"])
        return [reply]

    def size_bytes(self) -> int:
        row = self._db.execute("SELECT COALESCE(SUM(LENGTH(body)), 0) FROM changes").fetchone()
        return int(row[0])
