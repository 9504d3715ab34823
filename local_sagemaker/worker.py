"""What runs inside one job's worker process: detach, redirect output, run the kind's runner."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import select
import signal
import sys
import threading
import time
from pathlib import Path

from local_sagemaker.config import ServiceSettings
from local_sagemaker.jobs import JOB_KINDS
from local_sagemaker.store import Store

# Shown in `ps` and /proc/<pid>/cmdline, so a restarted service (and a test) can tell its workers apart.
TITLE_PREFIX = "local_sagemaker.worker"


def title(state_dir: str | Path, kind_name: str, name: str) -> str:
    """`local_sagemaker.worker <kind> <job> @<service>`: the tag tells apart services that run jobs of the
    same name (tests, benchmarks), so a restarted service never mistakes another service's worker for its own."""
    service = hashlib.sha256(str(Path(state_dir).resolve()).encode()).hexdigest()[:8]
    return f"{TITLE_PREFIX} {kind_name} {name} @{service}"


def _end_with(owner_pid: int) -> None:
    """Kill this worker's process group as soon as the process that started it is gone.

    If the service is killed its workers go too, and a restart marks their jobs Failed instead of
    finding them half-way. (PR_SET_PDEATHSIG would watch the fork server, which outlives the service
    while any worker holds its pipe, and in a threaded parent only the forking thread.)"""
    try:
        handle: int | None = os.pidfd_open(owner_pid) if hasattr(os, "pidfd_open") else None
    except ProcessLookupError:
        os._exit(1)

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while _alive(owner_pid):
                time.sleep(1)
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_job(
    owner_pid: int, state_dir: str, kind_name: str, name: str, log_path: str, env: dict[str, str]
) -> None:
    """A worker process's target: one job, from its stored description to its terminal state."""
    # Its own process group, so a stop reaches the processing script this worker may start as well.
    with contextlib.suppress(PermissionError):
        os.setsid()
    _end_with(owner_pid)
    with contextlib.suppress(ImportError):
        import setproctitle

        setproctitle.setproctitle(title(state_dir, kind_name, name))
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    os.environ.update(env)

    settings = ServiceSettings.load(Path(state_dir))
    store = Store(Path(state_dir) / "state.db")
    kind = JOB_KINDS[kind_name]
    module_name, class_name = kind.runner.split(":")
    runner_class = getattr(importlib.import_module(module_name), class_name)
    runner = runner_class(settings, store, name)
    runner.install_signal_handlers()
    runner.run()
