"""Runs each job in its own worker process and watches it: stop requests, max runtime, crashes, restarts."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from local_sagemaker import faults, worker
from local_sagemaker.config import ServiceSettings
from local_sagemaker.jobs import ACTIVE_STATES, FAILED, JOB_KINDS, STOPPED, STOPPING, TERMINAL_STATES, JobKind
from local_sagemaker.processes import command_line
from local_sagemaker.store import Store
from local_sagemaker.worker_pool import WorkerPool

log = logging.getLogger(__name__)

RESTART_REASON = (
    "The local SageMaker service stopped while this job was running (restart or crash); "
    "the job was not finished. Start it again under a new name."
)


def job_dir(state_dir: Path, kind: JobKind, name: str) -> Path:
    return state_dir / "jobs" / kind.kind / name


class Supervisor:
    """Owns the worker processes of one service instance."""

    def __init__(self, settings: ServiceSettings, store: Store, poll_seconds: float = 0.25) -> None:
        self.settings = settings
        self.store = store
        self.poll_seconds = poll_seconds
        self.pool = WorkerPool(settings.worker_start)
        self._workers: dict[tuple[str, str], BaseProcess] = {}
        self._kill_at: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="job-supervisor", daemon=True)

    # lifecycle of the supervisor itself
    def start_watching(self) -> None:
        self.recover()
        self.pool.warm_up()
        self._thread.start()

    def shutdown(self) -> None:
        self._stop.set()
        with self._lock:
            workers = list(self._workers.items())
        for _, proc in workers:
            _signal(proc, signal.SIGKILL)
        for key, proc in workers:
            proc.join(timeout=10)
            self._finish_if_active(JOB_KINDS[key[0]], key[1], RESTART_REASON)

    def recover(self) -> None:
        """Jobs that were running when the service died cannot be resumed: end them with a reason."""
        for kind in JOB_KINDS.values():
            for name, body, runtime in self.store.names_with_runtime(kind.kind):
                if body[kind.status_field] not in ACTIVE_STATES:
                    continue
                pid = runtime.get("pid")
                if pid and _is_worker_of(pid, worker.title(self.settings.state_dir, kind.kind, name)):
                    os.kill(pid, signal.SIGKILL)
                self._finish_if_active(kind, name, RESTART_REASON)

    # requests from the API
    def start(self, kind: JobKind, name: str) -> None:
        workdir = job_dir(self.settings.state_dir, kind, name)
        workdir.mkdir(parents=True, exist_ok=True)
        proc = self.pool.start(
            self.settings.state_dir, kind.kind, name, workdir / "worker.log", self.settings.aws_client_env()
        )
        with self._lock:
            self._workers[(kind.kind, name)] = proc
        self.store.update(kind.kind, name, lambda body, runtime: runtime.update(pid=proc.pid))

    def request_stop(self, kind: JobKind, name: str) -> None:
        with self._lock:
            proc = self._workers.get((kind.kind, name))
            if proc is None:
                return
            self._kill_at.setdefault((kind.kind, name), time.monotonic() + self.settings.stop_grace_seconds)
        _signal(proc, signal.SIGTERM)

    def active_count(self) -> int:
        with self._lock:
            return len(self._workers)

    # the watch loop
    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self._check_workers()
            except Exception:  # the loop must survive anything a single job does
                log.exception("supervisor check failed")

    def _check_workers(self) -> None:
        with self._lock:
            workers = list(self._workers.items())
        for (kind_name, name), proc in workers:
            kind = JOB_KINDS[kind_name]
            code = proc.exitcode
            if code is not None:
                with self._lock:
                    self._workers.pop((kind_name, name), None)
                    self._kill_at.pop((kind_name, name), None)
                self._finish_if_active(kind, name, _vanished_worker_reason(code))
                continue
            self._enforce_max_runtime(kind, name, proc)
            kill_at = self._kill_at.get((kind_name, name))
            if kill_at is not None and time.monotonic() > kill_at:
                _signal(proc, signal.SIGKILL)

    def _enforce_max_runtime(self, kind: JobKind, name: str, proc: BaseProcess) -> None:
        body = self.store.get(kind.kind, name)
        if body is None or body[kind.status_field] in TERMINAL_STATES:
            return
        limit = (body.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
        limit = faults.effective_max_runtime(limit, self.store.runtime(kind.kind, name))
        # The limit counts from the job's start, as SageMaker's does (provisioning is not run time).
        started = body.get(kind.start_field)
        if limit is None or started is None or time.time() - started <= limit:
            return
        if self.store.runtime(kind.kind, name).get("max_runtime_exceeded"):
            return

        def mark(job: dict[str, Any], runtime: dict[str, Any]) -> None:
            runtime["max_runtime_exceeded"] = True
            runtime["stop_requested"] = True
            job[kind.status_field] = STOPPING
            if "SecondaryStatus" in job:
                job["SecondaryStatus"] = "Stopping"

        self.store.update(kind.kind, name, mark)
        self.request_stop(kind, name)

    def _finish_if_active(self, kind: JobKind, name: str, reason: str) -> None:
        """A worker that vanished without a final state: Stopped if a stop was asked for, else Failed."""
        from local_sagemaker.runners.lifecycle import finish

        body = self.store.get(kind.kind, name)
        if body is None or body[kind.status_field] in TERMINAL_STATES:
            return
        runtime = self.store.runtime(kind.kind, name)
        if runtime.get("stop_requested"):
            finish(
                self.store, kind, name, STOPPED, None, max_runtime=bool(runtime.get("max_runtime_exceeded"))
            )
        else:
            finish(self.store, kind, name, FAILED, reason)
        if body[kind.status_field] == STOPPING and not runtime.get("stop_requested"):
            log.warning("%s %s was Stopping without a recorded request", kind.noun, name)


def _vanished_worker_reason(code: int) -> str:
    if code < 0:  # killed by a signal: SIGKILL is what the kernel's out-of-memory killer sends
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return (
            f"The job's worker process was killed ({name}) before the job ended, e.g. for lack of memory; "
            "its log says how far it got."
        )
    return f"The job's worker process exited unexpectedly (code {code})."


def _signal(proc: BaseProcess, sig: signal.Signals) -> None:
    """SIGTERM asks the worker, which stops what it started (a script, a tuning job's training jobs);
    SIGKILL takes its whole process group, scripts included."""
    if proc.pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        if sig == signal.SIGKILL:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:  # it has not reached its setsid() yet
                os.kill(proc.pid, sig)
        else:
            # Not the group: a tuning worker's own fork server is in it, and must outlive the stop to
            # report how its training jobs ended.
            os.kill(proc.pid, sig)


def _is_worker_of(pid: int, title: str) -> bool:
    """Whether `pid` is still the worker of that job (and not a process that reused its number)."""
    return command_line(pid) == title
