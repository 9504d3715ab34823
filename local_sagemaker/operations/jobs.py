"""Create, Describe, Stop and List for every job kind: one mechanism, declared per kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_sagemaker import quotas
from local_sagemaker.errors import ValidationException, not_found
from local_sagemaker.jobs import ACTIVE_STATES, IN_PROGRESS, STOPPING, JobKind
from local_sagemaker.operations.context import ServiceContext, now, paginate

Body = dict[str, Any]
# Checks the service makes beyond the model (supported images, S3 URIs, ...); may add fields to the body.
Preparer = Callable[[ServiceContext, Body], None]

_SORT_KEYS: dict[str, Callable[[JobKind, Body], Any]] = {
    "Name": lambda kind, body: body[kind.name_field],
    "CreationTime": lambda kind, body: body["CreationTime"],
    "Status": lambda kind, body: body[kind.status_field],
}


def create_job(ctx: ServiceContext, kind: JobKind, params: Body, prepare: Preparer, initial: Body) -> Body:
    name = params[kind.name_field]
    body = {k: v for k, v in params.items() if k != "Tags"}
    prepare(ctx, body)
    created = now()
    arn = ctx.arn(kind.arn_resource, name)
    body.update(
        {
            kind.arn_field: arn,
            kind.status_field: IN_PROGRESS,
            "CreationTime": created,
            "LastModifiedTime": created,
            **initial,
        }
    )
    with quotas.creation_lock:
        quotas.check(ctx.settings.instance_quotas, kind, body, ctx.store.all(kind.kind))
        ctx.store.create(kind.kind, name, arn, body)
    if params.get("Tags"):
        ctx.store.add_tags(arn, params["Tags"])
    ctx.supervisor.start(kind, name)
    return {kind.arn_field: arn}


def describe_job(ctx: ServiceContext, kind: JobKind, params: Body) -> Body:
    name = params[kind.name_field]
    body = ctx.store.get(kind.kind, name)
    if body is None:
        raise not_found(kind.noun, name)
    return body


def stop_job(ctx: ServiceContext, kind: JobKind, params: Body, stopping_changes: Body | None = None) -> Body:
    name = params[kind.name_field]
    body = ctx.store.get(kind.kind, name)
    if body is None:
        raise not_found(kind.noun, name)
    status = body[kind.status_field]
    if status == STOPPING:
        return {}
    if status not in ACTIVE_STATES:
        raise ValidationException(
            f"The request was rejected because the {kind.noun} {name!r} is in status {status}."
        )

    def mark_stopping(job: Body, runtime: Body) -> None:
        if job[kind.status_field] == IN_PROGRESS:
            job[kind.status_field] = STOPPING
            job["LastModifiedTime"] = now()
            job.update(stopping_changes or {})
            runtime["stop_requested"] = True

    ctx.store.update(kind.kind, name, mark_stopping)
    ctx.supervisor.request_stop(kind, name)
    return {}


def list_jobs(ctx: ServiceContext, kind: JobKind, params: Body) -> Body:
    jobs = ctx.store.all(kind.kind)
    jobs = [job for job in jobs if _matches(kind, job, params)]
    sort_by = params.get("SortBy", "CreationTime")
    jobs.sort(key=lambda job: _SORT_KEYS[sort_by](kind, job), reverse=params.get("SortOrder") == "Descending")
    page, token = paginate(jobs, params)
    summaries = [{f: job[f] for f in kind.summary_fields if f in job} for job in page]
    answer: Body = {kind.summaries_key: summaries}
    if token:
        answer["NextToken"] = token
    return answer


def _matches(kind: JobKind, job: Body, params: Body) -> bool:
    if "NameContains" in params and params["NameContains"].lower() not in job[kind.name_field].lower():
        return False
    if "StatusEquals" in params and job[kind.status_field] != params["StatusEquals"]:
        return False
    bounds = (
        ("CreationTimeAfter", "CreationTime", 1),
        ("CreationTimeBefore", "CreationTime", -1),
        ("LastModifiedTimeAfter", "LastModifiedTime", 1),
        ("LastModifiedTimeBefore", "LastModifiedTime", -1),
    )
    for param, field, direction in bounds:
        if param in params and (job[field] - _epoch(params[param])) * direction <= 0:
            return False
    return True


def _epoch(value: Any) -> float:
    # JSON 1.1 sends timestamps as epoch seconds; be lenient with ISO strings from hand-made requests.
    if isinstance(value, int | float):
        return float(value)
    from datetime import datetime

    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def job_operations(
    kind: JobKind, prepare: Preparer, initial: Callable[[], Body], stopping_changes: Body | None = None
) -> dict[str, Callable[[ServiceContext, Body], Body]]:
    """The four handlers of one job kind, keyed by operation name."""
    return {
        f"Create{kind.noun}": lambda ctx, p: create_job(ctx, kind, p, prepare, initial()),
        f"Describe{kind.noun}": lambda ctx, p: describe_job(ctx, kind, p),
        f"Stop{kind.noun}": lambda ctx, p: stop_job(ctx, kind, p, stopping_changes),
        f"List{kind.noun}s": lambda ctx, p: list_jobs(ctx, kind, p),
    }
