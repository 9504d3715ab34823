"""Runs a pipeline execution: starts each step once its dependencies succeeded (independent steps at once),
follows their jobs, honours CacheConfig, RetryPolicies, Stop and ParallelismConfiguration, and ends the
execution in one terminal state. Everything it knows lives in the store, so a restart can tell what happened.

One thread per running execution, in the service process: the steps' jobs run in worker processes of their
own, so the thread only creates requests and reads states."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from local_sagemaker.config import aws_client
from local_sagemaker.operations.context import ServiceContext, now
from local_sagemaker.pipelines import steps as kinds
from local_sagemaker.pipelines.definition import (
    PipelineDefinition,
    StepDefinition,
    parse_definition,
    seconds_of,
)
from local_sagemaker.pipelines.expressions import (
    ExpressionError,
    PropertyFileRef,
    condition_holds,
    evaluate,
    to_text,
    walk_path,
)
from local_sagemaker.s3io import split_s3_uri

log = logging.getLogger(__name__)

EXECUTION = "pipeline-execution"
POLL_SECONDS = 0.5
RESTART_REASON = (
    "The local SageMaker service stopped while this pipeline execution was running (restart or crash); "
    "RetryPipelineExecution runs its unfinished steps again."
)
TERMINAL = frozenset({kinds.SUCCEEDED, kinds.STEP_FAILED, kinds.STEP_STOPPED})
# A step left out because its condition chose the other branch: never listed, as SageMaker does.
SKIPPED = "Skipped"

_running: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def launch(ctx: ServiceContext, execution_key: str) -> None:
    """Run the execution in a thread of its own, unless one already runs it."""
    with _lock:
        thread = _running.get(execution_key)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(
            target=_run_guarded, args=(ctx, execution_key), name=f"pipeline {execution_key}", daemon=True
        )
        _running[execution_key] = thread
    thread.start()


def recover(ctx: ServiceContext) -> None:
    """Executions that were running when the service stopped: end them Failed, as jobs are ended."""
    for name, body, _runtime in ctx.store.names_with_runtime(EXECUTION):
        if body["PipelineExecutionStatus"] in (kinds.EXECUTING, kinds.STOPPING):
            stopped = body["PipelineExecutionStatus"] == kinds.STOPPING
            _finish(
                ctx,
                name,
                kinds.STEP_STOPPED if stopped else kinds.STEP_FAILED,
                None if stopped else RESTART_REASON,
            )


def _run_guarded(ctx: ServiceContext, key: str) -> None:
    try:
        Execution(ctx, key).run()
    except Exception as exc:  # the execution must end in a state even if the engine itself fails
        log.exception("pipeline execution %s failed in the engine", key)
        _finish(
            ctx,
            key,
            kinds.STEP_FAILED,
            f"InternalServerError: the local service failed to run the pipeline: {exc}",
        )


def _finish(ctx: ServiceContext, key: str, status: str, reason: str | None) -> None:
    def change(body: dict[str, Any], runtime: dict[str, Any]) -> None:
        if body["PipelineExecutionStatus"] not in (kinds.EXECUTING, kinds.STOPPING):
            return
        body["PipelineExecutionStatus"] = status
        body["LastModifiedTime"] = now()
        if reason:
            body["FailureReason"] = reason[:1300]
        else:
            body.pop("FailureReason", None)
        for record in runtime.get("steps", {}).values():
            if record["StepStatus"] not in TERMINAL and record["StepStatus"] != SKIPPED:
                record["StepStatus"] = (
                    kinds.STEP_STOPPED if status == kinds.STEP_STOPPED else kinds.STEP_FAILED
                )
                record["EndTime"] = now()
                if status != kinds.STEP_STOPPED and reason:
                    record.setdefault("FailureReason", reason)

    ctx.store.update(EXECUTION, key, change)


def cache_key(step: StepDefinition, arguments: Any) -> str:
    text = json.dumps({"Type": step.type, "Arguments": arguments}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Execution:
    """One execution's run: a loop over its step records until none is left to start or to wait for."""

    def __init__(self, ctx: ServiceContext, key: str) -> None:
        self.ctx = ctx
        self.key = key
        body = ctx.store.get(EXECUTION, key)
        runtime = ctx.store.runtime(EXECUTION, key)
        if body is None:
            raise KeyError(key)
        self.body = body
        self.definition: PipelineDefinition = parse_definition(runtime["definition"])
        self.parameters: dict[str, Any] = runtime["parameters"]
        self.execution_id: str = runtime["execution_id"]
        self.variables = {
            "PipelineName": body["PipelineArn"].split("/")[-1],
            "PipelineArn": body["PipelineArn"],
            "PipelineExecutionId": self.execution_id,
            "PipelineExecutionArn": body["PipelineExecutionArn"],
            "StartDateTime": datetime.fromtimestamp(body["CreationTime"], UTC).isoformat(),
            "CurrentDateTime": datetime.now(UTC).isoformat(),
        }
        self.pipeline_name = runtime["pipeline_name"]
        self._s3: Any = None

    # the Scope the expressions read
    def step_properties(self, step: str) -> dict[str, Any]:
        record = self._records().get(step)
        if record is None or record["StepStatus"] != kinds.SUCCEEDED:
            raise ExpressionError(f"the step {step!r} has not succeeded, so its properties are not known")
        if "_job" in record:
            return kinds.job_properties(self.ctx, self.definition.steps[step].type, record["_job"])
        return dict(record.get("_properties", {}))

    def read_property_file(self, ref: PropertyFileRef) -> Any:
        step = self.definition.steps.get(ref.step)
        spec = step.property_files.get(ref.name) if step else None
        if step is None or spec is None:
            raise ExpressionError(f"the step {ref.step!r} declares no property file {ref.name!r}")
        properties = self.step_properties(ref.step)
        uri = walk_path(
            properties, f"ProcessingOutputConfig.Outputs['{spec['OutputName']}'].S3Output.S3Uri", ref.name
        )
        return self.read_json(f"{str(uri).rstrip('/')}/{spec['FilePath'].lstrip('/')}")

    def read_json(self, s3_uri: str) -> Any:
        if self._s3 is None:
            self._s3 = aws_client(self.ctx.settings, "s3")
        bucket, key = split_s3_uri(s3_uri)
        try:
            data = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            raise ExpressionError(f"cannot read the property file {s3_uri}: {exc}") from exc
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            raise ExpressionError(f"the property file {s3_uri} is not JSON: {exc}") from exc

    # state
    def _records(self) -> dict[str, dict[str, Any]]:
        return dict(self.ctx.store.runtime(EXECUTION, self.key).get("steps", {}))

    def _update_step(self, name: str, **fields: Any) -> None:
        def change(body: dict[str, Any], runtime: dict[str, Any]) -> None:
            record = runtime.setdefault("steps", {}).setdefault(name, {"StepName": name})
            for field, value in fields.items():
                if value is None:
                    record.pop(field, None)
                else:
                    record[field] = value
            body["LastModifiedTime"] = now()

        self.ctx.store.update(EXECUTION, self.key, change)

    def _stop_requested(self) -> bool:
        return bool(self.ctx.store.runtime(EXECUTION, self.key).get("stop_requested"))

    def _parallel_limit(self) -> int:
        config = self.body.get("ParallelismConfiguration") or {}
        return int(config.get("MaxParallelExecutionSteps") or 50)

    # the loop
    def run(self) -> None:
        while True:
            self.variables["CurrentDateTime"] = datetime.now(UTC).isoformat()
            records = self._records()
            stopping = self._stop_requested()
            running = [n for n, r in records.items() if r["StepStatus"] in (kinds.EXECUTING, kinds.STOPPING)]
            for name in running:
                self._follow(name, records[name], stopping)
            records = self._records()
            running = [n for n, r in records.items() if r["StepStatus"] in (kinds.EXECUTING, kinds.STOPPING)]
            failed = [n for n, r in records.items() if r["StepStatus"] == kinds.STEP_FAILED]
            if stopping or failed:
                if not running:
                    self._end(records, failed, stopping)
                    return
            else:
                self._skip_unreachable(records)
                records = self._records()
                waiting = [
                    n
                    for n in self.definition.steps
                    if n not in records or records[n]["StepStatus"] == "Retrying"
                ]
                if not waiting and not running:
                    _finish(self.ctx, self.key, kinds.SUCCEEDED, None)
                    return
                room = self._parallel_limit() - len(running)
                for name in waiting:
                    if room <= 0:
                        break
                    if self._ready(name, records):
                        self._start(name, records.get(name))
                        room -= 1
            time.sleep(POLL_SECONDS)

    def _end(self, records: dict[str, dict[str, Any]], failed: list[str], stopping: bool) -> None:
        if failed:
            name = failed[0]
            step = self.definition.steps[name]
            reason = records[name].get("FailureReason") or "the step failed"
            _finish(
                self.ctx,
                self.key,
                kinds.STEP_FAILED,
                f"Step failure: {step.type} step {name!r} failed: {reason}",
            )
        else:
            _finish(self.ctx, self.key, kinds.STEP_STOPPED, None)

    def _ready(self, name: str, records: dict[str, dict[str, Any]]) -> bool:
        record = records.get(name)
        if record is not None and record.get("_retry_at", 0) > time.time():
            return False
        return all(
            records.get(d, {}).get("StepStatus") == kinds.SUCCEEDED
            for d in self.definition.steps[name].depends_on
        )

    def _skip_unreachable(self, records: dict[str, dict[str, Any]]) -> None:
        """Steps of the branch a condition did not take, and steps that depend on them, will never run."""
        changed = True
        while changed:
            changed = False
            for name, step in self.definition.steps.items():
                if name in records:
                    continue
                branch_off = False
                if step.branch:
                    condition = records.get(step.branch[0])
                    if condition and condition["StepStatus"] == kinds.SUCCEEDED:
                        outcome = condition["Metadata"]["Condition"]["Outcome"] == "True"
                        branch_off = outcome != (step.branch[1] == "IfSteps")
                if branch_off or any(
                    records.get(d, {}).get("StepStatus") == SKIPPED for d in step.depends_on
                ):
                    records[name] = {"StepStatus": SKIPPED}
                    self._update_step(name, StepStatus=SKIPPED)
                    changed = True

    def _start(self, name: str, previous: dict[str, Any] | None) -> None:
        step = self.definition.steps[name]
        attempt = int((previous or {}).get("AttemptCount", 0)) + 1
        self._update_step(
            name,
            StepStatus=kinds.EXECUTING,
            StartTime=(previous or {}).get("StartTime") or now(),
            AttemptCount=attempt,
            StepDisplayName=step.raw.get("DisplayName"),
            StepDescription=step.raw.get("Description"),
            FailureReason=None,
            _retry_at=None,
        )
        try:
            self._execute(step)
        except (kinds.StepFailure, ExpressionError) as exc:
            exception_type = exc.exception_type if isinstance(exc, kinds.StepFailure) else None
            self._failed(step, str(exc), exception_type, attempt)
        except Exception as exc:
            log.error("step %s of %s failed in the engine: %s", name, self.key, traceback.format_exc())
            self._failed(step, f"InternalServerError: {exc}", kinds.SERVICE_FAULT, attempt)

    def _execute(self, step: StepDefinition) -> None:
        where = f"step {step.name!r}"
        if step.type == "Condition":
            holds = all(condition_holds(c, self, where) for c in step.arguments.get("Conditions", []))
            outcome = "True" if holds else "False"
            self._succeeded(step.name, {"Condition": {"Outcome": outcome}}, {"Outcome": outcome})
            return
        if step.type == "Fail":
            message = to_text(evaluate(step.arguments.get("ErrorMessage", ""), self, where))
            self._update_step(step.name, Metadata={"Fail": {"ErrorMessage": message}})
            raise kinds.StepFailure(message)
        arguments = evaluate(step.arguments, self, where)
        key = cache_key(step, arguments)
        if step.cache and self._cache_hit(step, key):
            return
        if step.type in kinds.JOB_STEPS:
            job = kinds.start_job(self.ctx, step.type, self.execution_id, step.name, arguments)
            metadata = {kinds.JOB_STEPS[step.type].metadata_key: {"Arn": job["arn"]}}
            self._update_step(step.name, Metadata=metadata, _job=job, _cache_key=key)
        elif step.type == "Model":
            metadata, properties = kinds.create_model(self.ctx, self.execution_id, step.name, arguments)
            self._succeeded(step.name, metadata, properties)
        elif step.type == "RegisterModel":
            metadata, properties = kinds.register_model(self.ctx, arguments)
            self._succeeded(step.name, metadata, properties)

    def _cache_hit(self, step: StepDefinition, key: str) -> bool:
        """A step of an earlier execution of this pipeline, with the same arguments, that succeeded within
        ExpireAfter: its job stands for this step's (SageMaker's step caching)."""
        assert step.cache is not None
        expire = seconds_of(step.cache.get("ExpireAfter"))
        for other_key, body, runtime in reversed(self.ctx.store.names_with_runtime(EXECUTION)):
            if other_key == self.key or not other_key.startswith(f"{self.pipeline_name}/"):
                continue
            record = runtime.get("steps", {}).get(step.name)
            if not record or record.get("_cache_key") != key or record["StepStatus"] != kinds.SUCCEEDED:
                continue
            if expire is not None and time.time() - record.get("EndTime", 0) > expire:
                continue
            source = record.get("CacheHitResult", {}).get(
                "SourcePipelineExecutionArn", body["PipelineExecutionArn"]
            )
            self._update_step(
                step.name,
                StepStatus=kinds.SUCCEEDED,
                EndTime=now(),
                Metadata=record.get("Metadata"),
                _job=record.get("_job"),
                _properties=record.get("_properties"),
                _cache_key=key,
                CacheHitResult={"SourcePipelineExecutionArn": source},
            )
            return True
        return False

    def _follow(self, name: str, record: dict[str, Any], stopping: bool) -> None:
        step = self.definition.steps[name]
        job = record.get("_job")
        if job is None:
            return
        if stopping and record["StepStatus"] == kinds.EXECUTING:
            kinds.stop_job(self.ctx, step.type, job)
            self._update_step(name, StepStatus=kinds.STOPPING)
        status, reason = kinds.job_outcome(self.ctx, step.type, job)
        if status is None:
            return
        if status == kinds.SUCCEEDED:
            self._update_step(name, StepStatus=kinds.SUCCEEDED, EndTime=now())
        elif status == kinds.STEP_STOPPED:
            self._update_step(name, StepStatus=kinds.STEP_STOPPED, EndTime=now())
        else:
            self._failed(
                step, reason or "the job failed", kinds.retry_type(reason), int(record.get("AttemptCount", 1))
            )

    def _succeeded(self, name: str, metadata: dict[str, Any], properties: dict[str, Any]) -> None:
        self._update_step(
            name, StepStatus=kinds.SUCCEEDED, EndTime=now(), Metadata=metadata, _properties=properties
        )

    def _failed(self, step: StepDefinition, reason: str, exception_type: str | None, attempt: int) -> None:
        delay = self._retry_delay(step, exception_type, attempt)
        if delay is not None and not self._stop_requested():
            self._update_step(
                step.name, StepStatus="Retrying", FailureReason=reason, _retry_at=time.time() + delay
            )
            return
        self._update_step(step.name, StepStatus=kinds.STEP_FAILED, EndTime=now(), FailureReason=reason[:1024])

    def _retry_delay(self, step: StepDefinition, exception_type: str | None, attempt: int) -> float | None:
        return kinds.retry_delay(step.retry_policies, exception_type, attempt)
