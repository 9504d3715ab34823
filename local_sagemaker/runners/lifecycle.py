"""State changes of a job as SageMaker shows them: statuses, secondary statuses, times."""

from __future__ import annotations

from typing import Any

from local_sagemaker.clock import now
from local_sagemaker.jobs import COMPLETED, FAILED, STOPPED, TERMINAL_STATES, JobKind
from local_sagemaker.store import Store

# Secondary status (training jobs only) that each terminal status shows, with its message.
_FINAL_SECONDARY = {
    COMPLETED: ("Completed", "Training job completed"),
    FAILED: ("Failed", "Training job failed"),
    STOPPED: ("Stopped", "Training job stopped"),
}


def _close_transitions(job: dict[str, Any], at: float) -> None:
    transitions = job.get("SecondaryStatusTransitions")
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1]["EndTime"] = at


def set_secondary(store: Store, kind: JobKind, name: str, status: str, message: str) -> None:
    """Move a training job to a new secondary status, closing the previous transition."""

    def change(job: dict[str, Any], runtime: dict[str, Any]) -> None:
        if job[kind.status_field] in TERMINAL_STATES or "SecondaryStatus" not in job:
            return
        at = now()
        _close_transitions(job, at)
        job["SecondaryStatus"] = status
        job["SecondaryStatusTransitions"].append(
            {"Status": status, "StartTime": at, "StatusMessage": message}
        )
        job["LastModifiedTime"] = at

    store.update(kind.kind, name, change)


def mark_started(store: Store, kind: JobKind, name: str) -> None:
    def change(job: dict[str, Any], runtime: dict[str, Any]) -> None:
        job.setdefault(kind.start_field, now())
        job["LastModifiedTime"] = now()

    store.update(kind.kind, name, change)


def finish(
    store: Store,
    kind: JobKind,
    name: str,
    status: str,
    reason: str | None,
    fields: dict[str, Any] | None = None,
    max_runtime: bool = False,
) -> None:
    """Put a job in its terminal state once; later calls do nothing."""

    def change(job: dict[str, Any], runtime: dict[str, Any]) -> None:
        if job[kind.status_field] in TERMINAL_STATES:
            return
        at = now()
        job.update(fields or {})
        job[kind.status_field] = status
        job["LastModifiedTime"] = at
        if kind.start_field in job:
            job[kind.end_field] = at
        if reason:
            job["FailureReason"] = reason[:1024]
        if "SecondaryStatus" in job:
            secondary, message = _FINAL_SECONDARY[status]
            if max_runtime:
                secondary, message = (
                    "MaxRuntimeExceeded",
                    "Job stopped because it exceeded MaxRuntimeInSeconds",
                )
            _close_transitions(job, at)
            job["SecondaryStatus"] = secondary
            job["SecondaryStatusTransitions"].append(
                {"Status": secondary, "StartTime": at, "EndTime": at, "StatusMessage": reason or message}
            )
        if kind.start_field in job:
            seconds = max(1, round(at - job[kind.start_field]))
            if kind.noun == "TrainingJob":
                job["TrainingTimeInSeconds"] = seconds
                job["BillableTimeInSeconds"] = seconds

    store.update(kind.kind, name, change)
