"""Hyperparameter tuning jobs: the worker that asks the search for hyperparameters and runs the children.

The tuning job's worker process owns its child training jobs: it creates them in the store as
CreateTrainingJob would (named `<tuning-job>-<NNN>-<8 hex>`, with `TuningJobArn`) and runs each in its
own worker process through a supervisor of its own, so children obey their MaxRuntimeInSeconds and
crashes are noticed. At most min(MaxParallelTrainingJobs, CPUs) children run at once.

Every poll it reads each running child's state and log: the objective after each boosting round goes to
the search (early stopping, Hyperband), a finished child's final objective is told to the search, and a
StopTrainingJob sent to a child through the API is passed on to its process. The tuning job ends:
- Completed when MaxNumberOfTrainingJobs children have run (or a TuningJobCompletionCriteria, or
  ResourceLimits.MaxRuntimeInSeconds, ended it early) and at least one reported the objective;
- Failed when no child reports the objective: after min(MaxNumberOfTrainingJobs, max(3, parallel))
  children without one and none with one, the rest are not started, and FailureReason says why;
- Stopped after StopHyperParameterTuningJob, once the running children are stopped.

If the service dies, this worker dies with it and its children with it; on restart the service marks
them all Failed, saying why.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from local_sagemaker.clock import now
from local_sagemaker.config import ServiceSettings
from local_sagemaker.errors import ServiceError, ValidationException
from local_sagemaker.jobs import COMPLETED, FAILED, STOPPED, TERMINAL_STATES, TRAINING, TUNING, JobKind
from local_sagemaker.operations.context import ServiceContext
from local_sagemaker.operations.jobs import create_job, stop_job
from local_sagemaker.operations.training import initial_training, prepare_training
from local_sagemaker.operations.tuning import (
    CONFIG,
    DEFINITION,
    HYPERBAND,
    child_bodies,
    child_request,
    hyperband_resources,
    not_improving,
    objective,
    objective_value,
    ranges_of,
    static_hyperparameters,
)
from local_sagemaker.runners import lifecycle
from local_sagemaker.runners.base import StopRequested, open_job
from local_sagemaker.store import Store
from local_sagemaker.supervisor import Supervisor, job_dir
from local_sagemaker.tuning_search import GRID, TuningSearch, objective_rounds

POLL_SECONDS = 0.3


def _cpus() -> int:
    """CPUs this process may use: the bound on children running at once."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class TuningFailed(Exception):
    """The tuning job cannot produce a best training job; the message is its FailureReason."""


class _LocalLog:
    """The orchestration's own log, in the job's folder (SageMaker keeps no CloudWatch log for tuning)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self.path.open("a", encoding="utf-8") as out:
            out.write(f"{stamp} {message.rstrip()}\n")


class _ChildSupervisor(Supervisor):
    """The tuning job's own supervisor: its worker processes are the tuning job's training jobs."""

    def recover(self) -> None:
        return None  # the service's supervisor recovers the store when it starts; nothing here ran before


@dataclass
class _Child:
    name: str
    trial: int
    log_path: Path
    offset: int = 0
    stop_sent: bool = False


class TuningRunner:
    kind: ClassVar[JobKind] = TUNING

    def __init__(self, settings: ServiceSettings, store: Store, name: str) -> None:
        self.settings = settings
        self.store = store
        self.name = name
        self.job, self.workdir = open_job(settings, store, self.kind, name)
        self.log = _LocalLog(self.workdir / "job.log")
        self._stop = threading.Event()
        self.children = _ChildSupervisor(settings, store)
        self.ctx = ServiceContext(settings=settings, store=store, supervisor=self.children)
        self.running: dict[str, _Child] = {}
        self.values: list[float] = []  # objective values of finished children, in the order they finished
        self.without_objective: list[tuple[str, str]] = []  # (child, why) for children with no objective
        self.metric, self.minimize = objective(self.job)
        self.search: TuningSearch | None = None

    # stop handling, as every job worker does it
    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, lambda signum, frame: self._stop.set())

    def should_stop(self) -> bool:
        return self._stop.is_set()

    # the lifecycle
    def run(self) -> None:
        lifecycle.mark_started(self.store, self.kind, self.name)
        try:
            self.execute()
        except StopRequested:
            self.log.write("Stopped on request; running training jobs were stopped")
            self._finish(STOPPED, None)
        except TuningFailed as exc:
            self.log.write(f"Failed: {exc}")
            self._stop_children("the tuning job failed")
            self._finish(FAILED, str(exc))
        except Exception as exc:
            self.log.write(traceback.format_exc())
            self._stop_children("the tuning job failed")
            self._finish(
                FAILED, f"InternalServerError: the local service failed to run the tuning job: {exc}"
            )
        else:
            self._finish(COMPLETED, None)

    def _finish(self, status: str, reason: str | None) -> None:
        lifecycle.finish(self.store, self.kind, self.name, status, reason)

    def execute(self) -> None:
        config = self.job[CONFIG]
        limits = config["ResourceLimits"]
        strategy = config["Strategy"]
        budget = int(limits["MaxNumberOfTrainingJobs"])
        parallel = max(1, min(int(limits["MaxParallelTrainingJobs"]), _cpus()))
        low, high = (
            hyperband_resources(config, static_hyperparameters(self.job))
            if strategy == HYPERBAND
            else (1, None)
        )
        self.search = TuningSearch(
            ranges_of(self.job),
            strategy,
            self.minimize,
            budget,
            seed=config.get("RandomSeed"),
            early_stopping=config.get("TrainingJobEarlyStoppingType") == "Auto",
            min_resource=low,
            max_resource=high,
        )
        self.log.write(
            f"Tuning {self.metric} ({'minimize' if self.minimize else 'maximize'}) with the {strategy} "
            f"strategy: {budget} training job(s), {parallel} at a time"
        )
        self._warm_start(strategy)
        self.children.start_watching()
        limit = limits.get("MaxRuntimeInSeconds")
        deadline = self.job["CreationTime"] + limit if limit else math.inf
        give_up_after = min(budget, max(3, parallel))
        launched = 0
        closing: str | None = None
        while True:
            self._poll()
            if self.should_stop():
                self._stop_children("the tuning job was stopped")
                raise StopRequested
            if closing is None:
                closing = self._reason_to_end(give_up_after, deadline)
                if closing is not None:
                    self.log.write(f"Ending early: {closing}")
                    self._stop_children(closing)
            while closing is None and len(self.running) < parallel and launched < budget:
                launched += 1
                self._launch(launched)
            if not self.running and (closing is not None or launched >= budget):
                break
            time.sleep(POLL_SECONDS)
        if not self.values:
            raise TuningFailed(self._failure_reason())
        self.log.write(f"Done: {len(self.values)} training job(s) reported {self.metric}")

    # warm start
    def _warm_start(self, strategy: str) -> None:
        warm = self.job.get("WarmStartConfig")
        if not warm:
            return
        assert self.search is not None
        if strategy == GRID:
            self.log.write("Warm start: a Grid search runs every combination; parents' results are not used")
            return
        seeded = skipped = 0
        parents = [p["HyperParameterTuningJobName"] for p in warm["ParentHyperParameterTuningJobs"]]
        for parent in parents:
            for child in child_bodies(self.store, parent):
                value = objective_value(child, self.metric)
                if child["TrainingJobStatus"] != COMPLETED or value is None:
                    continue
                if self.search.add_evaluated(child.get("HyperParameters", {}), value):
                    seeded += 1
                else:
                    skipped += 1
        self.log.write(
            f"Warm start ({warm['WarmStartType']}): {seeded} evaluated point(s) from {len(parents)} parent "
            f"job(s) seed the search; {skipped} lie outside this job's ranges"
        )
        self.store.update(
            self.kind.kind, self.name, lambda body, runtime: runtime.update(warm_start_points=seeded)
        )

    # children
    def _launch(self, index: int) -> None:
        assert self.search is not None
        trial, tuned = self.search.ask()
        child = f"{self.name}-{index:03d}-{secrets.token_hex(4)}"

        def register(body: dict[str, Any], runtime: dict[str, Any]) -> None:
            runtime.setdefault("children", []).append(child)
            body["LastModifiedTime"] = now()

        # Listed before it exists, so a Describe never misses a child that is already running.
        self.store.update(self.kind.kind, self.name, register)
        try:
            create_job(
                self.ctx,
                TRAINING,
                child_request(self.job, child, tuned),
                prepare_training,
                initial_training(),
            )
        except ServiceError as exc:
            self.search.tell(trial, None)
            self.without_objective.append((child, f"could not be created: {exc.message}"))
            self.log.write(f"{child}: could not be created: {exc.message}")
            return
        self.running[child] = _Child(
            child, trial, job_dir(self.settings.state_dir, TRAINING, child) / "job.log"
        )
        self.log.write(f"{child}: started with {tuned}")

    def _poll(self) -> None:
        assert self.search is not None
        for name, child in list(self.running.items()):
            body = self.store.get(TRAINING.kind, name)
            if body is None:  # cannot happen: children are never deleted
                del self.running[name]
                continue
            status = body["TrainingJobStatus"]
            if status in TERMINAL_STATES:
                self._ended(child, body)
                continue
            if status == "Stopping" and not child.stop_sent:
                # Stopped through the API (StopTrainingJob) or for MaxRuntimeInSeconds: signal its process.
                self.children.request_stop(TRAINING, name)
                child.stop_sent = True
            if self.search.uses_intermediate_values and not child.stop_sent:
                self.search.report(child.trial, self._new_rounds(child))
                if self.search.should_stop(child.trial):
                    self.log.write(f"{name}: stopped early, its {self.metric} trails the other training jobs")
                    self._stop_child(name)
                    child.stop_sent = True

    def _ended(self, child: _Child, body: dict[str, Any]) -> None:
        assert self.search is not None
        status = body["TrainingJobStatus"]
        if self.search.uses_intermediate_values:
            self.search.report(child.trial, self._new_rounds(child))
        value = objective_value(body, self.metric)
        self.search.tell(child.trial, value if status != FAILED else None, stopped=status == STOPPED)
        if value is not None and status != FAILED:
            self.values.append(value)
        else:
            why = body.get("FailureReason") or f"ended {status} without reporting {self.metric}"
            self.without_objective.append((child.name, why))
        del self.running[child.name]
        self.log.write(f"{child.name}: {status}, {self.metric} = {value}")

        def touch(job: dict[str, Any], runtime: dict[str, Any]) -> None:
            job["LastModifiedTime"] = now()

        self.store.update(self.kind.kind, self.name, touch)

    def _new_rounds(self, child: _Child) -> list[tuple[int, float]]:
        """The objective after each round the child logged since the last look: [(round from 1, value)]."""
        try:
            with child.log_path.open("rb") as log:
                log.seek(child.offset)
                data = log.read()
        except FileNotFoundError:
            return []
        complete = data.rfind(b"\n") + 1  # a line still being written waits for the next look
        child.offset += complete
        return objective_rounds(data[:complete].decode("utf-8", errors="replace").splitlines(), self.metric)

    def _stop_child(self, name: str) -> None:
        with contextlib.suppress(ValidationException):  # it may have ended meanwhile
            stop_job(self.ctx, TRAINING, {"TrainingJobName": name}, {"SecondaryStatus": "Stopping"})

    def _stop_children(self, why: str) -> None:
        """Stop every running child and wait for them, within the time the service gives this worker."""
        if not self.running:
            return
        self.log.write(f"Stopping {len(self.running)} running training job(s): {why}")
        for name in list(self.running):
            self._stop_child(name)
        # The service kills this worker stop_grace_seconds after asking it to stop: finish before that.
        deadline = time.monotonic() + max(2.0, self.settings.stop_grace_seconds * 0.6)
        while self.running and time.monotonic() < deadline:
            time.sleep(0.2)
            for name, child in list(self.running.items()):
                body = self.store.get(TRAINING.kind, name)
                if body is None or body["TrainingJobStatus"] in TERMINAL_STATES:
                    if body is not None and self.search is not None:
                        self._ended(child, body)
                    else:
                        del self.running[name]
        for name in list(self.running):
            pid = self.store.runtime(TRAINING.kind, name).get("pid")
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            lifecycle.finish(self.store, TRAINING, name, STOPPED, None)
            del self.running[name]

    # ending
    def _reason_to_end(self, give_up_after: int, deadline: float) -> str | None:
        if not self.values and len(self.without_objective) >= give_up_after:
            raise TuningFailed(self._failure_reason())
        criteria = self.job[CONFIG].get("TuningJobCompletionCriteria") or {}
        target = criteria.get("TargetObjectiveMetricValue")
        if target is not None and self.values:
            best = min(self.values) if self.minimize else max(self.values)
            if (best <= target) if self.minimize else (best >= target):
                return f"{self.metric} reached TargetObjectiveMetricValue {target} ({best})"
        patience = (criteria.get("BestObjectiveNotImproving") or {}).get(
            "MaxNumberOfTrainingJobsNotImproving"
        )
        if patience and not_improving(self.values, self.minimize) >= patience:
            return f"the best {self.metric} did not improve in {patience} training jobs"
        if time.time() > deadline:
            return "ResourceLimits.MaxRuntimeInSeconds was reached"
        return None

    def _failure_reason(self) -> str:
        if not self.without_objective:
            return f"No training job reported the objective metric {self.metric}."
        failed = [(name, why) for name, why in self.without_objective if not why.startswith("ended ")]
        if failed:
            name, why = failed[0]
            return (
                f"All training jobs failed ({len(self.without_objective)} without the objective metric "
                f"{self.metric}). First failure, {name}: {why}"
            )
        hint = ""
        channel = self.metric.partition(":")[0]
        channels = {c["ChannelName"] for c in self.job[DEFINITION].get("InputDataConfig", [])}
        if channel not in channels:
            hint = f" The XGBoost algorithm emits {channel}:* metrics only when the job has a {channel!r} channel."
        return (
            f"No training job reported the objective metric {self.metric} "
            f"({len(self.without_objective)} ended without it).{hint}"
        )
