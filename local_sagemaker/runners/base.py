"""The lifecycle every job shares: start, run the kind's work, end in exactly one terminal state."""

from __future__ import annotations

import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from local_sagemaker import faults, workdirs
from local_sagemaker.config import ServiceSettings, aws_client
from local_sagemaker.cwlogs import JobLog
from local_sagemaker.job_errors import AlgorithmError
from local_sagemaker.jobs import COMPLETED, FAILED, STOPPED, JobKind
from local_sagemaker.runners import lifecycle
from local_sagemaker.s3io import DataError
from local_sagemaker.store import Store
from local_sagemaker.supervisor import job_dir


class StopRequested(Exception):
    """Raised at a safe point once StopXxxJob (or MaxRuntimeInSeconds) asked the job to end."""


def open_job(
    settings: ServiceSettings, store: Store, kind: JobKind, name: str
) -> tuple[dict[str, Any], Path]:
    """A worker's starting point: the job's stored description and its (created) working folder."""
    body = store.get(kind.kind, name)
    if body is None:
        raise KeyError(f"{kind.noun} {name} is not in the store")
    workdir = job_dir(settings.state_dir, kind, name)
    workdir.mkdir(parents=True, exist_ok=True)
    return body, workdir


class JobRunner:
    """Subclasses set `kind` and implement `execute`, returning fields to add to the description."""

    kind: ClassVar[JobKind]

    def __init__(self, settings: ServiceSettings, store: Store, name: str) -> None:
        self.settings = settings
        self.store = store
        self.name = name
        self.job, self.workdir = open_job(settings, store, self.kind, name)
        self._stop = threading.Event()
        self.s3 = aws_client(settings, "s3")
        self.faults = faults.installed(settings.state_dir)  # None unless a fault plan is on
        if self.faults:
            self.faults.instrument_s3(self.s3, self.kind.kind, name)
        self.log = JobLog(
            aws_client(settings, "logs"), self.kind.log_group, self.log_stream(), self.workdir / "job.log"
        )

    def log_stream(self) -> str:
        return f"{self.name}/algo-1-{int(time.time())}"

    def host_logs(self, hosts: Sequence[str], log_file: Callable[[str], Path]) -> dict[str, JobLog]:
        """One log stream per host, `<job>/<host>-<ts>`: the first host's is the job's own log, and every
        stream carries the same timestamp, as SageMaker's do."""
        stamp = self.log.stream.rsplit("-", 1)[1]
        logs = {hosts[0]: self.log}
        for host in hosts[1:]:
            logs[host] = JobLog(
                aws_client(self.settings, "logs"),
                self.kind.log_group,
                f"{self.name}/{host}-{stamp}",
                log_file(host),
            )
        return logs

    # stop handling
    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, lambda signum, frame: self._stop.set())

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def check_stop(self) -> None:
        if self._stop.is_set():
            raise StopRequested

    def secondary(self, status: str, message: str) -> None:
        lifecycle.set_secondary(self.store, self.kind, self.name, status, message)

    # the lifecycle
    def run(self) -> None:
        lifecycle.mark_started(self.store, self.kind, self.name)
        try:
            if self.faults:
                self.faults.run_job_fault(self)
            fields = self.execute()
        except StopRequested:
            self._end(STOPPED, None, self.fields_when_stopped())
        except (AlgorithmError, DataError) as exc:
            prefix = "AlgorithmError" if isinstance(exc, AlgorithmError) else "ClientError"
            self.log.write(f"{prefix}: {exc}")
            self._end(FAILED, f"{prefix}: {exc}", self.fields_when_failed())
        except Exception as exc:
            self.log.write(traceback.format_exc())
            self._end(FAILED, f"InternalServerError: the local service failed to run the job: {exc}")
        else:
            self._end(STOPPED if self.should_stop() else COMPLETED, None, fields)

    def _end(self, status: str, reason: str | None, fields: dict[str, Any] | None = None) -> None:
        try:
            self.log.flush()
        finally:
            runtime = self.store.runtime(self.kind.kind, self.name)
            lifecycle.finish(
                self.store,
                self.kind,
                self.name,
                status,
                reason,
                fields,
                max_runtime=status == STOPPED and bool(runtime.get("max_runtime_exceeded")),
            )
            workdirs.job_ended(self.workdir, status == COMPLETED)

    def execute(self) -> dict[str, Any]:
        raise NotImplementedError

    def fields_when_stopped(self) -> dict[str, Any]:
        return {}

    def fields_when_failed(self) -> dict[str, Any]:
        return {}

    def sandbox(self, *parts: str) -> Path:
        path = self.workdir.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path
