"""The host's side of the model servers: start them in the sandbox, send them payloads, stop them.

Each server is a long-lived process (inference_server) wrapped in bubblewrap like a training program; its
output goes to the job's log line by line, and its last lines are kept for a failure reason.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from local_sagemaker.containers.inference_protocol import read_message, write_message

_CLOSE_GRACE_SECONDS = 5


class ServerFailure(Exception):
    """A server answered with an error status, or died; `status` is the HTTP status it stands for."""

    def __init__(self, status: int, message: str, trace: str = "") -> None:
        self.status = status
        self.trace = trace  # the traceback the server printed, when it answered with one
        super().__init__(message)


class ServerStopped(Exception):
    """The job was stopped while a server started or answered: the job ends Stopped, not Failed."""


@dataclass(frozen=True)
class ServerCommand:
    """How to start one server: the program (before fd arguments), how to wrap it, its environment."""

    program: list[str]
    wrap: Callable[[list[str]], list[str]]  # bubblewrap's command around the program, or the program itself
    env: dict[str, str]
    cwd: str | None = None


class ModelServerProcess:
    """One model server: requests go in one pipe, answers come back in another."""

    def __init__(self, command: ServerCommand, write_log: Callable[[str], None], tail: deque[str]) -> None:
        request_read, self._request_write = os.pipe()
        self._response_read, response_write = os.pipe()
        program = [
            *command.program,
            "--requests-fd", str(request_read),
            "--responses-fd", str(response_write),
        ]  # fmt: skip
        try:
            self.proc = subprocess.Popen(
                command.wrap(program),
                env=command.env,
                cwd=command.cwd,
                pass_fds=(request_read, response_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,  # its own process group: closing reaches every process it started
            )
        finally:
            os.close(request_read)
            os.close(response_write)
        self.requests: IO[bytes] = os.fdopen(self._request_write, "wb")
        self.responses: IO[bytes] = os.fdopen(self._response_read, "rb")
        self._tail = tail
        self._pump = threading.Thread(target=self._copy_output, args=(write_log,), daemon=True)
        self._pump.start()

    def _copy_output(self, write_log: Callable[[str], None]) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._tail.append(line.rstrip())
            write_log(line)

    def wait_ready(self, timeout_seconds: float, should_stop: Callable[[], bool]) -> None:
        """Until the server says model_fn returned; ServerFailure when it failed to start."""
        deadline = time.monotonic() + timeout_seconds
        while not select.select([self.responses], [], [], 0.2)[0]:
            if should_stop():
                raise ServerStopped
            if time.monotonic() > deadline:
                raise ServerFailure(
                    504,
                    f"the model server did not start within {timeout_seconds:.0f} s (SAGEMAKER_STARTUP_TIMEOUT)",
                )
        header, _ = self._answer()
        if header.get("status") != 200:
            raise ServerFailure(
                int(header.get("status", 500)),
                str(header.get("error", "the server failed")),
                str(header.get("trace", "")),
            )

    def invoke(self, payload: bytes, content_type: str, accept: str | None) -> tuple[bytes, str]:
        try:
            write_message(self.requests, {"content_type": content_type, "accept": accept}, payload)
        except (BrokenPipeError, ValueError):
            raise self._died() from None
        header, body = self._answer()
        if header.get("status") != 200:
            raise ServerFailure(
                int(header.get("status", 500)), str(header.get("error", "")), str(header.get("trace", ""))
            )
        return body, str(header.get("content_type", ""))

    def _answer(self) -> tuple[dict[str, Any], bytes]:
        message = read_message(self.responses)
        if message is None:
            raise self._died()
        return message

    def _died(self) -> ServerFailure:
        try:
            code = self.proc.wait(timeout=_CLOSE_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        self._pump.join(timeout=1)
        return ServerFailure(500, f"the model server exited (exit code {code}) while answering a request")

    def kill(self) -> None:
        """What stopping a container does to the server: its processes end, a pending answer with them."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def close(self) -> None:
        """Closing its request pipe ends the server's loop; one that does not exit in time is killed."""
        with contextlib.suppress(OSError):
            self.requests.close()
        try:
            self.proc.wait(timeout=_CLOSE_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._pump.join(timeout=1)
        with contextlib.suppress(OSError):
            self.responses.close()


class ModelServerPool:
    """Several servers (gunicorn's workers); each request takes an idle one, so answers run in parallel."""

    def __init__(self, command: ServerCommand, workers: int, write_log: Callable[[str], None]) -> None:
        self.tail: deque[str] = deque(maxlen=20)
        self._servers: list[ModelServerProcess] = []
        self._idle: queue.Queue[ModelServerProcess] = queue.Queue()
        try:
            for _ in range(workers):
                self._servers.append(ModelServerProcess(command, write_log, self.tail))
        except OSError:
            self.close()
            raise

    def wait_ready(self, timeout_seconds: float, should_stop: Callable[[], bool]) -> None:
        for server in self._servers:
            server.wait_ready(timeout_seconds, should_stop)
            self._idle.put(server)

    def invoke(self, payload: bytes, content_type: str, accept: str | None) -> tuple[bytes, str]:
        server = self._idle.get()
        try:
            return server.invoke(payload, content_type, accept)
        finally:
            self._idle.put(server)

    def kill(self) -> None:
        for server in self._servers:
            server.kill()

    def close(self) -> None:
        for server in self._servers:
            server.close()
