"""Provider SageMaker operators that never start a duplicate job when a task is retried or re-run.

The provider's default (`action_if_job_exists="timestamp"`) starts a second, timestamp-suffixed job when a
retried task finds its name taken. These subclasses look the deterministic name up first: they attach to
a running job, reuse a completed one whose outputs still exist in S3 (for a tuning job, its best training
job's model artifact), and only start a new attempt
(`<name>-a2`, recorded in the log and in XCom) when the earlier one failed, was stopped, or completed but
lost its outputs. The job name actually used is pushed to XCom under
`job_name`, which is what the sensors watch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.amazon.aws.operators.sagemaker import (
    SageMakerModelOperator,
    SageMakerProcessingOperator,
    SageMakerRegisterModelVersionOperator,
    SageMakerStartPipelineOperator,
    SageMakerTrainingOperator,
    SageMakerTransformOperator,
    SageMakerTuningOperator,
    serialize,
)
from botocore.exceptions import ClientError

from retraining.idempotency import RUNNING_STATES, resolve_attempt
from retraining_airflow.job_outputs import s3_uri_exists

if TYPE_CHECKING:
    from airflow.sdk import Context

JOB_NAME_XCOM_KEY = "job_name"


class IdempotentJobMixin:
    """Shared look-up-then-create logic; each operator below only declares its job kind."""

    job_noun: ClassVar[str]  # as in DescribeTrainingJob / TrainingJobName / TrainingJobStatus
    result_key: ClassVar[str]  # the key the provider operator returns the description under
    max_name_length: ClassVar[int] = 63

    config: dict[str, Any]
    log: Any
    _started_job: str | None = None

    def job_config(self) -> dict[str, Any]:
        return self.config

    @property
    def _name_field(self) -> str:
        return f"{self.job_noun}Name"

    def _client_call(self, verb: str, name: str) -> dict[str, Any]:
        # DescribeTrainingJob -> describe_training_job(TrainingJobName=...), and likewise for every kind.
        method = verb + "".join(f"_{c.lower()}" if c.isupper() else c for c in self.job_noun)
        conn = self.hook.conn  # type: ignore[attr-defined]  # provided by the operator class
        return dict(getattr(conn, method)(**{self._name_field: name}))

    def _describe(self, name: str) -> dict[str, Any]:
        return self._client_call("describe", name)

    def _status(self, name: str) -> str | None:
        try:
            description = self._describe(name)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
                return None  # how SageMaker says "no such job"
            raise
        return str(description[f"{self.job_noun}Status"])

    def execute(self, context: Context) -> dict[str, Any]:
        config = self.job_config()
        resolution = resolve_attempt(
            config[self._name_field],
            self._status,
            self.max_name_length,
            missing_outputs=self._missing_outputs,
        )
        context["ti"].xcom_push(key=JOB_NAME_XCOM_KEY, value=resolution.name)
        for name, status in resolution.earlier_attempts:
            self.log.warning(
                "Earlier attempt %s ended %s; it is kept for its logs and history.", name, status
            )
        if resolution.action != "create":
            verb = "Re-attaching to running" if resolution.action == "attach" else "Reusing completed"
            self.log.info("%s %s %s instead of starting a duplicate.", verb, self.job_noun, resolution.name)
            return self.existing_result(resolution.name)
        config[self._name_field] = resolution.name
        self._started_job = resolution.name
        return super().execute(context)  # type: ignore[misc]

    def existing_result(self, name: str) -> dict[str, Any]:
        return {self.result_key: serialize(self._describe(name))}

    def output_uris(self, description: dict[str, Any]) -> list[str]:
        """The S3 objects or prefixes a completed job wrote, which a reuse depends on."""
        return []

    def _missing_outputs(self, name: str) -> list[str]:
        uris = self.output_uris(self._describe(name))
        if not uris:
            return []
        s3 = self.hook.s3_hook.get_conn()  # type: ignore[attr-defined]  # SageMakerHook keeps one
        return [uri for uri in uris if not s3_uri_exists(s3, uri)]

    def on_kill(self) -> None:
        """A killed task stops the job it started, so nothing keeps running unattended."""
        if self._started_job and self._status(self._started_job) in RUNNING_STATES:
            self._client_call("stop", self._started_job)
            self.log.info("Stopped %s %s because the task was killed.", self.job_noun, self._started_job)


def _fail_on_taken_name(kwargs: dict[str, Any]) -> dict[str, Any]:
    # If another process creates the name between our look-up and create, fail rather than duplicate.
    kwargs.setdefault("action_if_job_exists", "fail")
    return kwargs


class IdempotentProcessingOperator(IdempotentJobMixin, SageMakerProcessingOperator):
    job_noun = "ProcessingJob"
    result_key = "Processing"

    def output_uris(self, description: dict[str, Any]) -> list[str]:
        outputs = description.get("ProcessingOutputConfig", {}).get("Outputs", [])
        return [o["S3Output"]["S3Uri"] for o in outputs if "S3Output" in o]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_fail_on_taken_name(kwargs))


def _model_artifact(training_job: dict[str, Any]) -> list[str]:
    artifact = training_job.get("ModelArtifacts", {}).get("S3ModelArtifacts")
    return [artifact] if artifact else []


class IdempotentTrainingOperator(IdempotentJobMixin, SageMakerTrainingOperator):
    job_noun = "TrainingJob"
    result_key = "Training"

    def output_uris(self, description: dict[str, Any]) -> list[str]:
        return _model_artifact(description)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_fail_on_taken_name(kwargs))


class IdempotentTuningOperator(IdempotentJobMixin, SageMakerTuningOperator):
    job_noun = "HyperParameterTuningJob"
    result_key = "Tuning"
    max_name_length = 32

    def output_uris(self, description: dict[str, Any]) -> list[str]:
        # What a tuning job's users take from it is its best training job's model (the DAGs build the model
        # from it), so that artifact is what a reuse depends on.
        best = description.get("BestTrainingJob", {}).get("TrainingJobName")
        if not best:
            return []
        client: Any = self.hook.conn
        return _model_artifact(client.describe_training_job(TrainingJobName=best))


class IdempotentTransformOperator(IdempotentJobMixin, SageMakerTransformOperator):
    job_noun = "TransformJob"
    result_key = "Transform"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("action_if_model_exists", "fail")
        super().__init__(**_fail_on_taken_name(kwargs))

    def job_config(self) -> dict[str, Any]:
        transform: dict[str, Any] = self.config.get("Transform", self.config)
        return transform

    def output_uris(self, description: dict[str, Any]) -> list[str]:
        path = description.get("TransformOutput", {}).get("S3OutputPath")
        return [path] if path else []

    def existing_result(self, name: str) -> dict[str, Any]:
        return dict(self.serialize_result(name))


class IdempotentModelOperator(SageMakerModelOperator):
    """CreateModel that reuses a model of the same name when it points at the same artifact and image."""

    def execute(self, context: Context) -> dict[str, Any]:
        name = self.config["ModelName"]
        try:
            existing = self.hook.describe_model(name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ValidationException":
                raise
            return dict(super().execute(context))
        wanted, found = self.config.get("PrimaryContainer", {}), existing.get("PrimaryContainer", {})
        if (wanted.get("Image"), wanted.get("ModelDataUrl")) != (
            found.get("Image"),
            found.get("ModelDataUrl"),
        ):
            raise ValueError(
                f"model {name} already exists for {found.get('ModelDataUrl')} ({found.get('Image')}), not for "
                f"{wanted.get('ModelDataUrl')}; delete it or use another model name"
            )
        self.log.info("Reusing model %s created by an earlier try for the same artifact.", name)
        return {"Model": serialize(existing)}


def registered_version_of(hook: Any, group: str, description: str) -> dict[str, Any] | None:
    """The version summary in `group` registered with exactly this description, if any (descriptions name
    the training job, and ListModelPackages returns them, so one paginated listing answers it)."""
    try:
        # Newest first: a retried registration finds its version on the first page of 100.
        pages = hook.conn.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=group,
            SortBy="CreationTime",
            SortOrder="Descending",
            PaginationConfig={"PageSize": 100},
        )
        for page in pages:
            for summary in page["ModelPackageSummaryList"]:
                if summary.get("ModelPackageDescription") == description:
                    return dict(summary)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ValidationException":  # the group does not exist yet
            raise
    return None


class IdempotentRegisterModelVersionOperator(SageMakerRegisterModelVersionOperator):
    """Registers a model version once: a re-run finds the version its training job already has."""

    template_fields = (*SageMakerRegisterModelVersionOperator.template_fields, "extras")

    def execute(self, context: Context) -> str:
        existing = registered_version_of(self.hook, self.package_group_name, self.package_desc)
        if existing is None:
            return str(super().execute(context))
        arn = str(existing["ModelPackageArn"])
        self.log.info("%s is already registered as %s; not registering it again.", self.package_desc, arn)
        wanted = self.model_approval.value
        if existing["ModelApprovalStatus"] != wanted:
            # A re-run reached a different verdict (e.g. a changed threshold): the version's status follows it.
            client: Any = self.hook.conn
            client.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=wanted)
            self.log.info("Changed %s from %s to %s.", arn, existing["ModelApprovalStatus"], wanted)
        return arn


class IdempotentStartPipelineOperator(SageMakerStartPipelineOperator):
    """Starts one pipeline execution per DAG run: a retried or re-run task finds the execution its display
    name (derived from the run) already has, and re-attaches to it while it runs or after it succeeded; only a
    Failed or Stopped one is followed by a new execution. Returns the execution ARN, as the provider's does."""

    def execute(self, context: Context) -> str:
        existing = self._execution_named(self.display_name)
        if existing is not None and existing["PipelineExecutionStatus"] not in ("Failed", "Stopped"):
            arn = str(existing["PipelineExecutionArn"])
            self.log.info(
                "Re-attaching to %s execution %s of %s instead of starting a duplicate.",
                existing["PipelineExecutionStatus"],
                arn,
                self.pipeline_name,
            )
            return arn
        if existing is not None:
            self.log.warning(
                "Earlier execution %s ended %s; starting a new one.",
                existing["PipelineExecutionArn"],
                existing["PipelineExecutionStatus"],
            )
        return str(super().execute(context))

    def _execution_named(self, display_name: str) -> dict[str, Any] | None:
        client: Any = self.hook.conn
        pages = client.get_paginator("list_pipeline_executions").paginate(
            PipelineName=self.pipeline_name, SortBy="CreationTime", SortOrder="Descending"
        )
        for page in pages:
            for summary in page["PipelineExecutionSummaries"]:
                if summary.get("PipelineExecutionDisplayName") == display_name:
                    return dict(summary)
        return None
