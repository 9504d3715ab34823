"""The local service's pages of SageMaker Pipelines: the pipelines with their executions, and one execution
as its graph of steps (one column per depth of dependencies) with status, times and links to their jobs.

GET /pipelines                                   every pipeline and its latest executions
GET /pipelines/<pipeline>/executions/<id>        one execution's step graph (where the Airflow link points)"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from local_sagemaker.operations.context import ServiceContext
from local_sagemaker.operations.pipelines import EXECUTION, PIPELINE, execution_steps
from local_sagemaker.pipelines.definition import parse_definition
from local_sagemaker.web import _e, _link, _page, _status, _table, _when, job_href

_GRAPH_STYLE = """
<style>
.graph { display: flex; gap: 1.2rem; align-items: flex-start; }
.level { display: flex; flex-direction: column; gap: .8rem; }
.step { border: 1px solid #bbb; border-radius: 6px; padding: .5rem .7rem; min-width: 12rem; }
.step.Succeeded { border-color: #2e7d32; } .step.Failed { border-color: #c62828; }
.step.Executing, .step.Retrying { border-color: #1565c0; } .step.NotRun { color: #9e9e9e; border-style: dashed; }
.step small { display: block; color: #616161; }
</style>
"""
_METADATA_KINDS = {
    "TrainingJob": "training-job",
    "ProcessingJob": "processing-job",
    "TransformJob": "transform-job",
    "TuningJob": "hyper-parameter-tuning-job",
}


def execution_href(pipeline: str, execution_id: str) -> str:
    return f"/pipelines/{quote(pipeline, safe='')}/executions/{quote(execution_id, safe='')}"


def _resource_link(metadata: dict[str, Any]) -> str:
    for key, kind in _METADATA_KINDS.items():
        if key in metadata:
            name = str(metadata[key]["Arn"]).rsplit("/", 1)[1]
            return _link(job_href(kind, name), name)
    if "Model" in metadata:
        name = str(metadata["Model"]["Arn"]).rsplit("/", 1)[1]
        return _link(f"/models/{quote(name, safe='')}", name)
    if "RegisterModel" in metadata:
        return _e(metadata["RegisterModel"]["Arn"])
    if "Condition" in metadata:
        return f"outcome: {_e(metadata['Condition']['Outcome'])}"
    if "Fail" in metadata:
        return _e(metadata["Fail"]["ErrorMessage"])
    return ""


def _levels(dependencies: dict[str, set[str]]) -> list[list[str]]:
    depth: dict[str, int] = {}

    def of(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((of(d) for d in dependencies[name]), default=-1)
        return depth[name]

    for name in dependencies:
        of(name)
    levels: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in dependencies:
        levels[depth[name]].append(name)
    return levels


def execution_page(ctx: ServiceContext, pipeline: str, execution_id: str) -> str | None:
    # Links name the pipeline as its ARN does (lower case): find the execution by ARN.
    body = ctx.store.get_by_arn(EXECUTION, f"{ctx.arn('pipeline', pipeline)}/execution/{execution_id}")
    if body is None:
        return None
    owner = ctx.store.get_by_arn(PIPELINE, body["PipelineArn"])
    pipeline = str(owner["PipelineName"]) if owner else pipeline
    key = f"{pipeline}/{execution_id}"
    definition = parse_definition(ctx.store.runtime(EXECUTION, key)["definition"])
    records = {step["StepName"]: step for step in execution_steps(ctx, key)}
    boxes = []
    for level in _levels({name: step.depends_on for name, step in definition.steps.items()}):
        cells = []
        for name in level:
            step = definition.steps[name]
            record = records.get(name)
            status = str(record["StepStatus"]) if record else "NotRun"
            after = ", ".join(sorted(step.depends_on)) or "-"
            details = ""
            if record:
                details = (
                    f"<small>{_when(record.get('StartTime'))} - {_when(record.get('EndTime'))}, "
                    f"attempt {_e(record.get('AttemptCount', 1))}"
                    f"{', cached' if record.get('CacheHitResult') else ''}</small>"
                    f"<small>{_resource_link(record.get('Metadata') or {})}</small>"
                )
                if record.get("FailureReason"):
                    details += f"<small>{_e(record['FailureReason'])}</small>"
            cells.append(
                f'<div class="step {_e(status)}" id="step-{_e(name)}"><b>{_e(name)}</b> '
                f"<small>{_e(step.type)} · {_status(status if record else 'not run')} · after {_e(after)}</small>"
                f"{details}</div>"
            )
        boxes.append(f'<div class="level">{"".join(cells)}</div>')
    summary = _table(
        None,
        [
            ["Status", _status(body["PipelineExecutionStatus"])],
            ["Display name", _e(body.get("PipelineExecutionDisplayName"))],
            ["Started", _e(_when(body.get("CreationTime")))],
            ["Last modified", _e(_when(body.get("LastModifiedTime")))],
            ["Failure reason", _e(body.get("FailureReason", "-"))],
            ["ARN", _e(body["PipelineExecutionArn"])],
        ],
        "",
    )
    active = body["PipelineExecutionStatus"] in ("Executing", "Stopping")
    graph = f'{_GRAPH_STYLE}<h2>Steps</h2><div class="graph">{"".join(boxes)}</div>'
    return _page(f"Pipeline execution {pipeline} / {execution_id}", summary + graph, refresh=active)


def pipelines_page(ctx: ServiceContext) -> str:
    rows = []
    for pipeline in ctx.store.all(PIPELINE):
        name = str(pipeline["PipelineName"])
        executions = sorted(
            ctx.store.all(EXECUTION, f"{name}/"), key=lambda e: e["CreationTime"], reverse=True
        )
        latest = [
            f"{_link(execution_href(name, str(e['PipelineExecutionArn']).rsplit('/', 1)[1]), str(e['PipelineExecutionDisplayName']))} "
            f"{_status(e['PipelineExecutionStatus'])}"
            for e in executions[:10]
        ]
        rows.append([_e(name), _e(_when(pipeline.get("LastRunTime"))), "<br>".join(latest) or "-"])
    return _page(
        "Pipelines", _table(["Pipeline", "Last run", "Latest executions"], rows, "No pipelines yet.")
    )
