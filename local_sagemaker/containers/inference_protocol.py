"""The pipe protocol between the transform runner and the model server in the sandbox: a JSON header, a body.

A pipe, not HTTP on a port, because the server may run with no network at all (network isolation) and
its stdout belongs to the user's code (it goes to the job's log). Each message is one JSON line naming
the body's length, then the body's bytes.
"""

from __future__ import annotations

import json
from typing import IO, Any

READY = "ready"  # the server's first message: model_fn returned (or not: then status is an error)


def write_message(stream: IO[bytes], header: dict[str, Any], body: bytes = b"") -> None:
    stream.write(json.dumps({**header, "length": len(body)}).encode() + b"\n")
    stream.write(body)
    stream.flush()


def read_message(stream: IO[bytes]) -> tuple[dict[str, Any], bytes] | None:
    """The next message, or None when the other side closed the pipe."""
    line = stream.readline()
    if not line:
        return None
    header: dict[str, Any] = json.loads(line)
    length = int(header.pop("length"))
    body = stream.read(length) if length else b""
    if len(body) != length:
        return None  # the writer died mid-message
    return header, body
