"""SageMaker Pipelines: pipelines and their versions, executions and their steps (the engine runs them)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from local_sagemaker.config import aws_client
from local_sagemaker.errors import ConflictException, ResourceNotFound, ValidationException
from local_sagemaker.operations.context import ServiceContext, now, paginate
from local_sagemaker.operations.jobs import _epoch
from local_sagemaker.pipelines import engine
from local_sagemaker.pipelines.definition import parse_definition
from local_sagemaker.pipelines.steps import EXECUTING, STOPPING

PIPELINE = "pipeline"
EXECUTION = engine.EXECUTION
Body = dict[str, Any]
_PRIVATE_PREFIX = "_"


def _pipeline_name(name_or_arn: str) -> str:
    # PipelineName accepts a name or an ARN (arn:aws:sagemaker:<region>:<account>:pipeline/<name>).
    return name_or_arn.rsplit(":pipeline/", 1)[1] if ":pipeline/" in name_or_arn else name_or_arn


def _pipeline(ctx: ServiceContext, name_or_arn: str) -> Body:
    name = _pipeline_name(name_or_arn)
    body = ctx.store.get(PIPELINE, name) or ctx.store.get_by_arn(PIPELINE, ctx.arn("pipeline", name))
    if body is None:
        raise ResourceNotFound(f"Pipeline '{ctx.arn('pipeline', name)}' does not exist.")
    return body


def _execution_key(ctx: ServiceContext, arn: str) -> str:
    body = ctx.store.get_by_arn(EXECUTION, arn.lower())
    if body is None:
        raise ResourceNotFound(f"Pipeline execution '{arn}' does not exist.")
    pipeline_name, execution_id = _split_execution_arn(arn)
    return f"{_pipeline(ctx, pipeline_name)['PipelineName']}/{execution_id}"


def _split_execution_arn(arn: str) -> tuple[str, str]:
    pipeline_part, _, execution_id = arn.partition("/execution/")
    return pipeline_part.rsplit("/", 1)[-1], execution_id


def _definition_text(ctx: ServiceContext, params: Body, required: bool) -> str | None:
    text = params.get("PipelineDefinition")
    location = params.get("PipelineDefinitionS3Location")
    if text is not None and location is not None:
        raise ValidationException("Give either PipelineDefinition or PipelineDefinitionS3Location, not both")
    if location is not None:
        s3 = aws_client(ctx.settings, "s3")
        extra = {"VersionId": location["VersionId"]} if location.get("VersionId") else {}
        try:
            text = (
                s3.get_object(Bucket=location["Bucket"], Key=location["ObjectKey"], **extra)["Body"]
                .read()
                .decode()
            )
        except Exception as exc:
            raise ValidationException(
                f"PipelineDefinitionS3Location: cannot read s3://{location['Bucket']}/{location['ObjectKey']}: {exc}"
            ) from exc
    if text is None and required:
        raise ValidationException("Give the pipeline's PipelineDefinition or PipelineDefinitionS3Location")
    if text is not None:
        parse_definition(text)  # refuse what the engine could not run, now rather than at start
    return text


def create_pipeline(ctx: ServiceContext, params: Body) -> Body:
    name = params["PipelineName"]
    arn = ctx.arn("pipeline", name)
    existing = ctx.store.get(PIPELINE, name)
    if existing is not None:
        if ctx.store.runtime(PIPELINE, name).get("token") == params["ClientRequestToken"]:
            return {"PipelineArn": existing["PipelineArn"]}  # the same request again: idempotent
        raise ValidationException(
            f"Pipeline names must be unique within an AWS account and region. Pipeline with name ({name}) already exists."
        )
    text = _definition_text(ctx, params, required=True)
    at = now()
    body: Body = {
        "PipelineArn": arn,
        "PipelineName": name,
        "PipelineDisplayName": params.get("PipelineDisplayName", name),
        "PipelineDefinition": text,
        "RoleArn": params["RoleArn"],
        "PipelineStatus": "Active",
        "CreationTime": at,
        "LastModifiedTime": at,
    }
    for field in ("PipelineDescription", "ParallelismConfiguration"):
        if field in params:
            body[field] = params[field]
    version = {"PipelineVersionId": 1, "CreationTime": at, "PipelineDefinition": text}
    ctx.store.create(
        PIPELINE, name, arn, body, {"token": params["ClientRequestToken"], "versions": [version]}
    )
    if params.get("Tags"):
        ctx.store.add_tags(arn, params["Tags"])
    return {"PipelineArn": arn}


def update_pipeline(ctx: ServiceContext, params: Body) -> Body:
    name = _pipeline(ctx, params["PipelineName"])["PipelineName"]
    text = _definition_text(ctx, params, required=False)
    changes: Body = {
        k: params[k]
        for k in ("PipelineDisplayName", "PipelineDescription", "RoleArn", "ParallelismConfiguration")
        if k in params
    }
    answer: Body = {}

    def change(body: Body, runtime: Body) -> None:
        body.update(changes)
        body["LastModifiedTime"] = now()
        if text is not None:
            body["PipelineDefinition"] = text
        versions = runtime.setdefault("versions", [])
        versions.append(
            {
                "PipelineVersionId": len(versions) + 1,
                "CreationTime": now(),
                "PipelineDefinition": body["PipelineDefinition"],
            }
        )
        answer.update(PipelineArn=body["PipelineArn"], PipelineVersionId=len(versions))

    ctx.store.update(PIPELINE, name, change)
    return answer


def describe_pipeline(ctx: ServiceContext, params: Body) -> Body:
    body = _pipeline(ctx, params["PipelineName"])
    if "PipelineVersionId" in params:
        body = {
            **body,
            "PipelineDefinition": _version(ctx, body["PipelineName"], params["PipelineVersionId"]),
        }
    return body


def _version(ctx: ServiceContext, name: str, version_id: int) -> str:
    versions = ctx.store.runtime(PIPELINE, name).get("versions", [])
    for version in versions:
        if version["PipelineVersionId"] == version_id:
            return str(version["PipelineDefinition"])
    raise ResourceNotFound(
        f"Pipeline '{ctx.arn('pipeline', name)}' has no version {version_id} (it has 1..{len(versions)})."
    )


def delete_pipeline(ctx: ServiceContext, params: Body) -> Body:
    body = _pipeline(ctx, params["PipelineName"])
    name = body["PipelineName"]
    running = [
        e["PipelineExecutionArn"]
        for e in ctx.store.all(EXECUTION, f"{name}/")
        if e["PipelineExecutionStatus"] in (EXECUTING, STOPPING)
    ]
    if running:
        raise ConflictException(
            f"Pipeline {name!r} has executions that are still running ({', '.join(running)}); stop them first"
        )
    for execution in ctx.store.all(EXECUTION, f"{name}/"):
        ctx.store.delete(EXECUTION, f"{name}/{_split_execution_arn(execution['PipelineExecutionArn'])[1]}")
    ctx.store.delete(PIPELINE, name)
    return {"PipelineArn": body["PipelineArn"]}


def _within(body: Body, params: Body, field: str) -> bool:
    after, before = params.get("CreatedAfter"), params.get("CreatedBefore")
    return (after is None or body[field] > _epoch(after)) and (before is None or body[field] < _epoch(before))


def list_pipelines(ctx: ServiceContext, params: Body) -> Body:
    pipelines = [
        p
        for p in ctx.store.all(PIPELINE)
        if p["PipelineName"].startswith(params.get("PipelineNamePrefix", ""))
        and _within(p, params, "CreationTime")
    ]
    key = "PipelineName" if params.get("SortBy") == "Name" else "CreationTime"
    pipelines.sort(key=lambda p: p[key], reverse=params.get("SortOrder", "Descending") == "Descending")
    page, token = paginate(pipelines, params)
    fields = (
        "PipelineArn",
        "PipelineName",
        "PipelineDisplayName",
        "PipelineDescription",
        "RoleArn",
        "CreationTime",
        "LastModifiedTime",
        "LastRunTime",
    )
    answer: Body = {"PipelineSummaries": [{f: p[f] for f in fields if f in p} for p in page]}
    if token:
        answer["NextToken"] = token
    return answer


def list_pipeline_versions(ctx: ServiceContext, params: Body) -> Body:
    body = _pipeline(ctx, params["PipelineName"])
    versions = [
        v
        for v in ctx.store.runtime(PIPELINE, body["PipelineName"]).get("versions", [])
        if _within(v, params, "CreationTime")
    ]
    versions.sort(
        key=lambda v: v["PipelineVersionId"], reverse=params.get("SortOrder", "Descending") == "Descending"
    )
    page, token = paginate(versions, params)
    answer: Body = {
        "PipelineVersionSummaries": [
            {
                "PipelineArn": body["PipelineArn"],
                "PipelineVersionId": v["PipelineVersionId"],
                "CreationTime": v["CreationTime"],
            }
            for v in page
        ]
    }
    if token:
        answer["NextToken"] = token
    return answer


def start_pipeline_execution(ctx: ServiceContext, params: Body) -> Body:
    if params.get("SelectiveExecutionConfig"):
        raise ValidationException(
            "SelectiveExecutionConfig: selective execution is not supported by the local service; "
            "start the whole pipeline (CacheConfig on its steps reuses their earlier jobs)"
        )
    if params.get("MlflowExperimentName"):
        raise ValidationException(
            "MlflowExperimentName: the local service has no MLflow tracking server; leave it out"
        )
    pipeline = _pipeline(ctx, params["PipelineName"])
    name = pipeline["PipelineName"]
    token = params["ClientRequestToken"]
    for execution in ctx.store.names_with_runtime(EXECUTION):
        if execution[0].startswith(f"{name}/") and execution[2].get("token") == token:
            return {"PipelineExecutionArn": execution[1]["PipelineExecutionArn"]}  # the same request again
    text = pipeline["PipelineDefinition"]
    version_id = len(ctx.store.runtime(PIPELINE, name).get("versions", [])) or 1
    if "PipelineVersionId" in params:
        version_id = params["PipelineVersionId"]
        text = _version(ctx, name, version_id)
    definition = parse_definition(text)
    parameters = definition.resolve_parameters(params.get("PipelineParameters", []))
    execution_id = secrets.token_hex(6)
    arn = f"{pipeline['PipelineArn']}/execution/{execution_id}"
    at = now()
    body: Body = {
        "PipelineArn": pipeline["PipelineArn"],
        "PipelineExecutionArn": arn,
        "PipelineExecutionDisplayName": params.get(
            "PipelineExecutionDisplayName", f"execution-{int(at * 1000)}"
        ),
        "PipelineExecutionStatus": EXECUTING,
        "PipelineExperimentConfig": {"ExperimentName": name, "TrialName": execution_id},
        "CreationTime": at,
        "LastModifiedTime": at,
        "PipelineVersionId": version_id,
    }
    if "PipelineExecutionDescription" in params:
        body["PipelineExecutionDescription"] = params["PipelineExecutionDescription"]
    parallelism = params.get("ParallelismConfiguration") or pipeline.get("ParallelismConfiguration")
    if parallelism:
        body["ParallelismConfiguration"] = parallelism
    runtime = {
        "definition": text,
        "parameters": parameters,
        "given_parameters": params.get("PipelineParameters", []),
        "execution_id": execution_id,
        "pipeline_name": name,
        "token": token,
        "steps": {},
    }
    key = f"{name}/{execution_id}"
    ctx.store.create(EXECUTION, key, arn, body, runtime)
    ctx.store.update(PIPELINE, name, lambda b, r: b.update(LastRunTime=at))
    engine.launch(ctx, key)
    return {"PipelineExecutionArn": arn}


def describe_pipeline_execution(ctx: ServiceContext, params: Body) -> Body:
    key = _execution_key(ctx, params["PipelineExecutionArn"])
    return ctx.store.get(EXECUTION, key) or {}


def list_pipeline_executions(ctx: ServiceContext, params: Body) -> Body:
    name = _pipeline(ctx, params["PipelineName"])["PipelineName"]
    executions = [e for e in ctx.store.all(EXECUTION, f"{name}/") if _within(e, params, "CreationTime")]
    sort_key = "PipelineExecutionArn" if params.get("SortBy") == "PipelineExecutionArn" else "CreationTime"
    executions.sort(key=lambda e: e[sort_key], reverse=params.get("SortOrder", "Descending") == "Descending")
    page, token = paginate(executions, params)
    summaries = []
    for e in page:
        summary = {
            "PipelineExecutionArn": e["PipelineExecutionArn"],
            "StartTime": e["CreationTime"],
            "PipelineExecutionStatus": e["PipelineExecutionStatus"],
            "PipelineExecutionDisplayName": e["PipelineExecutionDisplayName"],
        }
        if "PipelineExecutionDescription" in e:
            summary["PipelineExecutionDescription"] = e["PipelineExecutionDescription"]
        if "FailureReason" in e:
            summary["PipelineExecutionFailureReason"] = e["FailureReason"]
        summaries.append(summary)
    answer: Body = {"PipelineExecutionSummaries": summaries}
    if token:
        answer["NextToken"] = token
    return answer


def stop_pipeline_execution(ctx: ServiceContext, params: Body) -> Body:
    arn = params["PipelineExecutionArn"]
    key = _execution_key(ctx, arn)
    status = (ctx.store.get(EXECUTION, key) or {}).get("PipelineExecutionStatus")
    if status not in (EXECUTING, STOPPING):
        raise ConflictException(
            f"Pipeline execution '{arn}' is in status {status}; only an Executing execution can be stopped"
        )

    def change(body: Body, runtime: Body) -> None:
        if body["PipelineExecutionStatus"] == EXECUTING:
            body["PipelineExecutionStatus"] = STOPPING
            body["LastModifiedTime"] = now()
        runtime["stop_requested"] = True

    ctx.store.update(EXECUTION, key, change)
    return {"PipelineExecutionArn": arn}


def retry_pipeline_execution(ctx: ServiceContext, params: Body) -> Body:
    """Run a Failed or Stopped execution's unfinished steps again; the steps that succeeded stay."""
    arn = params["PipelineExecutionArn"]
    key = _execution_key(ctx, arn)
    status = (ctx.store.get(EXECUTION, key) or {}).get("PipelineExecutionStatus")
    if status not in ("Failed", "Stopped"):
        raise ConflictException(
            f"Pipeline execution '{arn}' is in status {status}; only a Failed or Stopped execution can be retried"
        )

    def change(body: Body, runtime: Body) -> None:
        body["PipelineExecutionStatus"] = EXECUTING
        body.pop("FailureReason", None)
        body["LastModifiedTime"] = now()
        if params.get("ParallelismConfiguration"):
            body["ParallelismConfiguration"] = params["ParallelismConfiguration"]
        runtime["stop_requested"] = False
        # Steps that did not succeed run again; a branch left out is decided again by its condition.
        runtime["steps"] = {
            n: r for n, r in runtime.get("steps", {}).items() if r["StepStatus"] == "Succeeded"
        }

    ctx.store.update(EXECUTION, key, change)
    engine.launch(ctx, key)
    return {"PipelineExecutionArn": arn}


def public_step(record: Body) -> Body:
    """A step record as ListPipelineExecutionSteps shows it (a step waiting for a retry is Executing)."""
    shown = {k: v for k, v in record.items() if not k.startswith(_PRIVATE_PREFIX)}
    if shown.get("StepStatus") == "Retrying":
        shown["StepStatus"] = EXECUTING
    return shown


def execution_steps(ctx: ServiceContext, key: str) -> list[Body]:
    """The steps that started, newest first (ListPipelineExecutionSteps' default order)."""
    records = ctx.store.runtime(EXECUTION, key).get("steps", {})
    started = [public_step(r) for r in records.values() if r["StepStatus"] != engine.SKIPPED]
    return sorted(started, key=lambda r: r.get("StartTime", 0), reverse=True)


def list_pipeline_execution_steps(ctx: ServiceContext, params: Body) -> Body:
    if "PipelineExecutionArn" not in params:
        raise ValidationException("PipelineExecutionArn: give the execution whose steps to list")
    steps = execution_steps(ctx, _execution_key(ctx, params["PipelineExecutionArn"]))
    if params.get("SortOrder") == "Ascending":
        steps.reverse()
    page, token = paginate(steps, params)
    answer: Body = {"PipelineExecutionSteps": page}
    if token:
        answer["NextToken"] = token
    return answer


def describe_pipeline_definition_for_execution(ctx: ServiceContext, params: Body) -> Body:
    key = _execution_key(ctx, params["PipelineExecutionArn"])
    body = ctx.store.get(EXECUTION, key) or {}
    return {
        "PipelineDefinition": ctx.store.runtime(EXECUTION, key)["definition"],
        "CreationTime": body["CreationTime"],
    }


def list_pipeline_parameters_for_execution(ctx: ServiceContext, params: Body) -> Body:
    key = _execution_key(ctx, params["PipelineExecutionArn"])
    values = ctx.store.runtime(EXECUTION, key)["parameters"]
    items = [{"Name": name, "Value": _as_wire(value)} for name, value in values.items()]
    page, token = paginate(items, params)
    answer: Body = {"PipelineParameters": page}
    if token:
        answer["NextToken"] = token
    return answer


def _as_wire(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


OPERATIONS = {
    "CreatePipeline": create_pipeline,
    "UpdatePipeline": update_pipeline,
    "DescribePipeline": describe_pipeline,
    "DeletePipeline": delete_pipeline,
    "ListPipelines": list_pipelines,
    "ListPipelineVersions": list_pipeline_versions,
    "StartPipelineExecution": start_pipeline_execution,
    "DescribePipelineExecution": describe_pipeline_execution,
    "ListPipelineExecutions": list_pipeline_executions,
    "StopPipelineExecution": stop_pipeline_execution,
    "RetryPipelineExecution": retry_pipeline_execution,
    "ListPipelineExecutionSteps": list_pipeline_execution_steps,
    "DescribePipelineDefinitionForExecution": describe_pipeline_definition_for_execution,
    "ListPipelineParametersForExecution": list_pipeline_parameters_for_execution,
}
