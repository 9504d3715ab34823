"""The local service's own read-only pages: every job with its status, and one page per job.

GET /                              jobs of every kind (status, duration, final metrics, artifacts), models,
                                   model package groups
GET /jobs/<kind>/<name>            a job: description, metrics, log tail, artifacts (kind as in its ARN:
                                   training-job, processing-job, transform-job, hyper-parameter-tuning-job)
GET /models/<name>                 a model
GET /model-package-groups/<name>   a model package group and its versions
GET /pipelines[/<name>/executions/<id>]  pipelines and an execution's step graph (web_pipelines.py)

These are where the Airflow plugin's extra links point when the stack is local. They are unauthenticated
(like /health) and change nothing; the service binds 127.0.0.1 by default. Every value is HTML-escaped,
environment variable values are masked, and a log is read only for a job the store knows."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from local_sagemaker.jobs import ACTIVE_STATES, JOB_KINDS, TRAINING, TRANSFORM, TUNING, JobKind
from local_sagemaker.operations.context import ServiceContext
from local_sagemaker.supervisor import job_dir

Body = dict[str, Any]

LOG_TAIL_LINES = 200
_LOG_TAIL_BYTES = 256 * 1024
MODEL = "model"
GROUP = "model-package-group"
PACKAGE = "model-package"
_MASKED = "******"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #212121; }
h1 { font-size: 1.35rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; } th, td { border-bottom: 1px solid #ddd; padding: .3rem .6rem;
text-align: left; vertical-align: top; } th { background: #f5f5f5; }
pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; margin: 0; white-space: pre-wrap; }
.status-Completed { color: #2e7d32; } .status-Failed { color: #c62828; } .status-Stopped { color: #6d4c41; }
.status-InProgress, .status-Stopping { color: #1565c0; } .note { color: #616161; }
nav { margin-bottom: 1rem; }
"""


# --- formatting -------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _when(epoch: Any) -> str:
    if not isinstance(epoch, int | float):
        return "-"
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _seconds(total: float) -> str:
    total = max(0, round(total))
    minutes, seconds = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def duration(kind: JobKind, job: Body, at: float | None = None) -> str:
    """From start (creation for tuning jobs) to end, or to now while the job is still active."""
    start = job.get(kind.start_field)
    if not isinstance(start, int | float):
        return "-"
    end = job.get(kind.end_field)
    if not isinstance(end, int | float):
        if job.get(kind.status_field) not in ACTIVE_STATES:
            return "-"
        end = time.time() if at is None else at
    return _seconds(float(end) - float(start))


def job_href(kind: str, name: str) -> str:
    return f"/jobs/{quote(kind, safe='')}/{quote(name, safe='')}"


def _link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{_e(text)}</a>'


def _status(value: Any) -> str:
    text = str(value or "-")
    return f'<span class="status-{escape(text.replace(" ", ""))}">{escape(text)}</span>'


def _table(headers: Iterable[str] | None, rows: list[list[str]], empty: str) -> str:
    """Cells are HTML already (escaped by the caller); headers are text (None: no header row)."""
    if not rows:
        return f'<p class="note">{escape(empty)}</p>'
    head = "" if headers is None else "".join(f"<th>{escape(h)}</th>" for h in headers)
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def _page(title: str, body: str, refresh: bool = False) -> str:
    meta = '<meta http-equiv="refresh" content="5">' if refresh else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"{meta}<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f'<body><nav><a href="/">All jobs</a> · <a href="/pipelines">Pipelines</a></nav><h1>{escape(title)}</h1>\n{body}\n</body></html>\n'
    )


def _masked(value: Any) -> Any:
    """A copy with the values of every `Environment` map hidden (jobs, model containers): they may hold
    secrets."""
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: dict.fromkeys(item, _MASKED)
        if key == "Environment" and isinstance(item, dict)
        else _masked(item)
        for key, item in value.items()
    }


def _value_cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"<pre>{escape(json.dumps(value, indent=2, sort_keys=True, default=str))}</pre>"
    return _e(value)


def _description_table(job: Body) -> str:
    time_fields = {k for k, v in job.items() if k.endswith("Time") and isinstance(v, int | float)}
    rows = [
        [_e(key), _e(_when(value)) if key in time_fields else _value_cell(value)]
        for key, value in sorted(_masked(job).items())
    ]
    return _table(["field", "value"], rows, "No description.")


# --- what a job shows -------------------------------------------------------------------------------------


def describe(ctx: ServiceContext, kind: JobKind, name: str) -> Body | None:
    """The job as DescribeXxxJob answers it (a tuning job with its live counters and best job)."""
    body = ctx.store.get(kind.kind, name)
    if body is None or kind is not TUNING:
        return body
    from local_sagemaker.operations.tuning import live_fields

    return {**body, **live_fields(ctx.store, body)}


def final_metrics(kind: JobKind, job: Body) -> list[tuple[str, float]]:
    if kind is TUNING:
        best = job.get("BestTrainingJob") or {}
        metric = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        return [(str(metric["MetricName"]), float(metric["Value"]))] if "MetricName" in metric else []
    return [(str(m["MetricName"]), float(m["Value"])) for m in job.get("FinalMetricDataList", [])]


def artifacts(kind: JobKind, job: Body) -> list[tuple[str, str]]:
    """(label, location) pairs: what the job wrote, or for a tuning job its best training job."""
    if kind is TRAINING:
        uri = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        return [("model", uri)] if uri else []
    if kind is TRANSFORM:
        uri = (job.get("TransformOutput") or {}).get("S3OutputPath")
        return [("output", uri)] if uri else []
    if kind is TUNING:
        best = (job.get("BestTrainingJob") or {}).get("TrainingJobName")
        return [("best training job", best)] if best else []
    outputs = (job.get("ProcessingOutputConfig") or {}).get("Outputs", [])
    return [(str(o.get("OutputName")), o["S3Output"]["S3Uri"]) for o in outputs if o.get("S3Output")]


def _artifact_cell(kind: JobKind, job: Body) -> str:
    parts = []
    for label, location in artifacts(kind, job):
        if kind is TUNING:
            parts.append(f"{_e(label)}: {_link(job_href(TRAINING.kind, location), location)}")
        else:
            parts.append(f"{_e(label)}: <code>{_e(location)}</code>")
    return "<br>".join(parts) or "-"


def _metrics_cell(kind: JobKind, job: Body) -> str:
    return "<br>".join(f"{_e(name)} = {value:.6g}" for name, value in final_metrics(kind, job)) or "-"


def log_tail(
    ctx: ServiceContext, kind: JobKind, name: str, lines: int = LOG_TAIL_LINES
) -> tuple[str, list[str]]:
    """(where from, last lines): the job's local log copy, else its CloudWatch Logs stream."""
    if not kind.log_group:
        return ("", [])
    local = job_dir(ctx.settings.state_dir, kind, name) / "job.log"
    if local.is_file():
        return (str(local), _tail_file(local, lines))
    try:
        return _tail_cloudwatch(ctx, kind, name, lines)
    except Exception as error:  # the page still shows everything else
        return (f"{kind.log_group} (unavailable: {type(error).__name__})", [])


def _tail_file(path: Path, lines: int) -> list[str]:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - _LOG_TAIL_BYTES))
        text = handle.read().decode("utf-8", errors="replace")
    kept = text.splitlines()
    if size > _LOG_TAIL_BYTES and kept:
        kept = kept[1:]  # the first line was cut by the seek
    return kept[-lines:]


def _tail_cloudwatch(ctx: ServiceContext, kind: JobKind, name: str, lines: int) -> tuple[str, list[str]]:
    import boto3
    from botocore.config import Config

    # A page must answer quickly even when Logs is down: short timeouts, no retries.
    logs = boto3.session.Session(
        aws_access_key_id=ctx.settings.access_key_id,
        aws_secret_access_key=ctx.settings.secret_access_key,
        region_name=ctx.settings.region,
    ).client(
        "logs",
        endpoint_url=ctx.settings.logs_endpoint_url,
        config=Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 1}),
    )
    streams = logs.describe_log_streams(logGroupName=kind.log_group, logStreamNamePrefix=f"{name}/")
    names = sorted(s["logStreamName"] for s in streams.get("logStreams", []))
    if not names:
        return (f"{kind.log_group} (no stream for this job)", [])
    events = logs.get_log_events(
        logGroupName=kind.log_group, logStreamName=names[-1], limit=lines, startFromHead=False
    )
    return (f"{kind.log_group}/{names[-1]}", [str(e["message"]) for e in events.get("events", [])])


# --- pages ------------------------------------------------------------------------------------------------


def index_page(ctx: ServiceContext) -> str:
    now = time.time()
    jobs: list[tuple[float, list[str]]] = []
    any_active = False
    for kind in JOB_KINDS.values():
        for stored in ctx.store.all(kind.kind):
            job = describe(ctx, kind, stored[kind.name_field]) if kind is TUNING else stored
            if job is None:
                continue
            name = str(job[kind.name_field])
            any_active = any_active or job.get(kind.status_field) in ACTIVE_STATES
            row = [
                _e(kind.kind),
                _link(job_href(kind.kind, name), name),
                _status(job.get(kind.status_field)),
                _e(_when(job.get("CreationTime"))),
                _e(duration(kind, job, now)),
                _metrics_cell(kind, job),
                _artifact_cell(kind, job),
            ]
            jobs.append((float(job.get("CreationTime") or 0), row))
    jobs.sort(key=lambda item: item[0], reverse=True)
    job_table = _table(
        ["kind", "name", "status", "created", "duration", "final metrics", "artifacts"],
        [row for _, row in jobs],
        "No jobs yet.",
    )
    models = [
        [
            _link(f"/models/{quote(str(m['ModelName']), safe='')}", str(m["ModelName"])),
            _e(_when(m.get("CreationTime"))),
            f"<code>{_e(_container(m).get('ModelDataUrl', '-'))}</code>",
        ]
        for m in reversed(ctx.store.all(MODEL))
    ]
    packages = ctx.store.all(PACKAGE)
    groups = []
    for group in ctx.store.all(GROUP):
        name = str(group["ModelPackageGroupName"])
        versions = [p for p in packages if p.get("ModelPackageGroupName") == name]
        latest = max(versions, key=lambda p: int(p["ModelPackageVersion"]), default=None)
        groups.append(
            [
                _link(f"/model-package-groups/{quote(name, safe='')}", name),
                _e(len(versions)),
                _status(latest["ModelApprovalStatus"]) if latest else "-",
            ]
        )
    body = (
        f'<p class="note">Local SageMaker-compatible service, region {_e(ctx.settings.region)}. '
        "Read-only pages; the API is POST /.</p>"
        f"<h2>Jobs</h2>{job_table}"
        f"<h2>Models</h2>{_table(['name', 'created', 'model data'], models, 'No models yet.')}"
        "<h2>Model package groups</h2>"
        f"{_table(['group', 'versions', 'latest version status'], groups, 'No model package groups yet.')}"
    )
    return _page("Local SageMaker jobs", body, refresh=any_active)


def _container(model: Body) -> Body:
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    return container if isinstance(container, dict) else {}


def job_page(ctx: ServiceContext, kind: JobKind, name: str) -> str | None:
    job = describe(ctx, kind, name)
    if job is None:
        return None
    status = job.get(kind.status_field)
    facts = [
        ["status", _status(status)],
        ["secondary status", _e(job.get("SecondaryStatus", "-"))],
        ["created", _e(_when(job.get("CreationTime")))],
        ["duration", _e(duration(kind, job))],
    ]
    if job.get("FailureReason"):
        facts.append(["failure reason", _e(job["FailureReason"])])
    metrics = [[_e(n), _e(f"{v:.6g}")] for n, v in final_metrics(kind, job)]
    parts = [
        _table(None, facts, ""),
        "<h2>Final metrics</h2>",
        _table(["metric", "value"], metrics, "No final metrics (yet)."),
        "<h2>Artifacts</h2>",
        _artifact_cell(kind, job),
    ]
    if kind is TUNING:
        from local_sagemaker.operations.tuning import child_names

        children = []
        for child in child_names(ctx.store, name):
            child_job = ctx.store.get(TRAINING.kind, child) or {}
            children.append(
                [
                    _link(job_href(TRAINING.kind, child), child),
                    _status(child_job.get(TRAINING.status_field)),
                    _metrics_cell(TRAINING, child_job),
                ]
            )
        parts += [
            "<h2>Training jobs</h2>",
            _table(["name", "status", "final metrics"], children, "None yet."),
        ]
    else:
        source, lines = log_tail(ctx, kind, name)
        log = "\n".join(lines) if lines else "(no log lines yet)"
        parts += [
            f"<h2>Log (last {LOG_TAIL_LINES} lines)</h2>",
            f'<p class="note">from {_e(source)}</p>',
            f"<pre>{escape(log)}</pre>",
        ]
    parts += ["<h2>Description</h2>", _description_table(job)]
    title = f"{kind.noun} {name}"
    return _page(title, "\n".join(parts), refresh=status in ACTIVE_STATES)


def model_page(ctx: ServiceContext, name: str) -> str | None:
    model = ctx.store.get(MODEL, name)
    if model is None:
        return None
    return _page(f"Model {name}", f"<h2>Description</h2>{_description_table(model)}")


def group_page(ctx: ServiceContext, name: str) -> str | None:
    group = ctx.store.get(GROUP, name) or next(
        (g for g in ctx.store.all(GROUP) if str(g["ModelPackageGroupName"]).lower() == name.lower()), None
    )
    if group is None:
        return None
    group_name = str(group["ModelPackageGroupName"])
    versions = sorted(
        (p for p in ctx.store.all(PACKAGE) if p.get("ModelPackageGroupName") == group_name),
        key=lambda p: int(p["ModelPackageVersion"]),
    )
    rows = []
    for package in versions:
        containers = (package.get("InferenceSpecification") or {}).get("Containers") or [{}]
        metadata = package.get("CustomerMetadataProperties") or {}
        version = _e(package["ModelPackageVersion"])
        rows.append(
            [
                f'<span id="version-{version}">{version}</span>',
                _status(package.get("ModelApprovalStatus")),
                _e(_when(package.get("CreationTime"))),
                _e(package.get("ModelPackageDescription", "")),
                f"<code>{_e(containers[0].get('ModelDataUrl', '-'))}</code>",
                "<br>".join(f"{_e(k)} = {_e(v)}" for k, v in sorted(metadata.items())) or "-",
            ]
        )
    table = _table(
        ["version", "approval", "created", "description", "model data", "metadata"], rows, "No versions yet."
    )
    body = f"{table}<h2>Group</h2>{_description_table(group)}"
    return _page(f"Model package group {group_name}", body)


# --- routes -----------------------------------------------------------------------------------------------


def _not_found(what: str) -> Response:
    return HTMLResponse(_page("Not found", f"<p>{escape(what)} is not known to this service.</p>"), 404)


def routes(ctx: ServiceContext) -> list[Route]:
    """GET routes for app.py; the store reads run in a worker thread."""

    async def index(request: Request) -> Response:
        return HTMLResponse(await run_in_threadpool(index_page, ctx))

    async def job(request: Request) -> Response:
        kind = JOB_KINDS.get(request.path_params["kind"])
        name = request.path_params["name"]
        if kind is None:
            return _not_found(f"Job kind {request.path_params['kind']!r}")
        page = await run_in_threadpool(job_page, ctx, kind, name)
        return HTMLResponse(page) if page is not None else _not_found(f"{kind.noun} {name!r}")

    async def model(request: Request) -> Response:
        name = request.path_params["name"]
        page = await run_in_threadpool(model_page, ctx, name)
        return HTMLResponse(page) if page is not None else _not_found(f"Model {name!r}")

    async def group(request: Request) -> Response:
        name = request.path_params["name"]
        page = await run_in_threadpool(group_page, ctx, name)
        return HTMLResponse(page) if page is not None else _not_found(f"Model package group {name!r}")

    from local_sagemaker import web_pipelines  # it builds on this module's helpers

    async def pipelines(request: Request) -> Response:
        return HTMLResponse(await run_in_threadpool(web_pipelines.pipelines_page, ctx))

    async def execution(request: Request) -> Response:
        pipeline, execution_id = request.path_params["pipeline"], request.path_params["execution"]
        page = await run_in_threadpool(web_pipelines.execution_page, ctx, pipeline, execution_id)
        return HTMLResponse(page) if page is not None else _not_found(f"Pipeline execution {execution_id!r}")

    return [
        Route("/", index, methods=["GET"]),
        Route("/pipelines", pipelines, methods=["GET"]),
        Route("/pipelines/{pipeline}/executions/{execution}", execution, methods=["GET"]),
        Route("/jobs/{kind}/{name}", job, methods=["GET"]),
        Route("/models/{name}", model, methods=["GET"]),
        Route("/model-package-groups/{name}", group, methods=["GET"]),
    ]
