"""Runs a container's program: its output into the job log, a stop as SIGTERM, the last lines kept."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# SageMaker stops a container with SIGTERM and kills it if it has not exited after a grace period.
STOP_GRACE_SECONDS = 30


@dataclass(frozen=True)
class ProgramResult:
    returncode: int
    tail: list[str]  # the last lines the program printed
    stopped: bool  # ended because a stop was requested


def run_program(
    command: list[str],
    env: dict[str, str],
    write_log: Callable[[str], None],
    should_stop: Callable[[], bool],
    cwd: str | None = None,
    tail_lines: int = 10,
    abort: Callable[[], bool] = lambda: False,
) -> ProgramResult:
    """Run `command` to its end (or a stop), streaming stdout and stderr into `write_log`.

    `abort` ends it at once (SIGKILL, no grace): another host of its job failed, so the job has failed and
    a program blocked on that host (a collective operation) would never see a SIGTERM."""
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group: a stop reaches every process it started
    )
    tail: deque[str] = deque(maxlen=tail_lines)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip())
            write_log(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    stopped = False
    while proc.poll() is None:
        if abort():
            stopped = True
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
            break
        if should_stop():
            stopped = True
            _signal_program(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
            break
        reader.join(timeout=0.2)
    reader.join(timeout=5)
    return ProgramResult(proc.returncode, list(tail), stopped)


def _signal_group(proc: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def _signal_program(proc: subprocess.Popen[str], signum: int) -> None:
    """Signal the program's processes but not a bubblewrap wrapper: bwrap dies of SIGTERM and takes its
    namespace with it at once, so the program would be killed before its handler could save anything."""
    for pid in _group_members(proc.pid):
        if _command_name(pid) != "bwrap":
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # Fields after the command name (which may hold spaces): state, ppid, pgrp, ...
        if int(stat.rpartition(")")[2].split()[2]) == pgid:
            members.append(int(entry.name))
    return members


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
