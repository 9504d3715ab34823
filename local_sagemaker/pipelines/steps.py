"""What each step type does: the request it sends through the service's own operations, and its outcome."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_sagemaker.errors import (
    ResourceLimitExceeded,
    ServiceError,
    ServiceUnavailable,
    ThrottlingException,
    ValidationException,
)

if TYPE_CHECKING:  # operations import the engine, which imports this module
    from local_sagemaker.operations.context import ServiceContext

from local_sagemaker.jobs import COMPLETED, FAILED, PROCESSING, STOPPED, TRAINING, TRANSFORM, TUNING, JobKind

SUCCEEDED = "Succeeded"
STEP_FAILED = "Failed"
STEP_STOPPED = "Stopped"
EXECUTING = "Executing"
STOPPING = "Stopping"

# The retry policy exception types a failure counts as (botocore: PipelineExecutionStep, RetryPolicies).
SERVICE_FAULT = "Step.SERVICE_FAULT"
THROTTLING = "Step.THROTTLING"
JOB_INTERNAL_ERROR = "SageMaker.JOB_INTERNAL_ERROR"
RESOURCE_LIMIT = "SageMaker.RESOURCE_LIMIT"


class StepFailure(Exception):
    """A step that cannot go on; `exception_type` is what a RetryPolicy may match (None: never retried)."""

    def __init__(self, message: str, exception_type: str | None = None) -> None:
        super().__init__(message)
        self.exception_type = exception_type


@dataclass(frozen=True)
class JobStep:
    """A step that runs a job: which kind, under which metadata key it is listed."""

    kind: JobKind
    metadata_key: str
    max_name_length: int = 63


JOB_STEPS: dict[str, JobStep] = {
    "Processing": JobStep(PROCESSING, "ProcessingJob"),
    "Training": JobStep(TRAINING, "TrainingJob"),
    "Transform": JobStep(TRANSFORM, "TransformJob"),
    "Tuning": JobStep(TUNING, "TuningJob", max_name_length=32),
}
JOB_STEP_STATUS = {COMPLETED: SUCCEEDED, FAILED: STEP_FAILED, STOPPED: STEP_STOPPED}


def resource_name(execution_id: str, step_name: str, max_length: int = 63) -> str:
    """`pipelines-<execution>-<step>-<random>`, as SageMaker names a step's jobs, within the kind's limit."""
    suffix = secrets.token_hex(3)
    slug = "".join(c if c.isalnum() else "-" for c in step_name.lower())  # ARNs lower-case names
    if max_length < 40:  # tuning jobs: at most 32 characters
        return f"{execution_id}-{slug[: max_length - len(execution_id) - 8].strip('-') or 'step'}-{suffix}"
    room = max_length - len("pipelines-") - len(execution_id) - len(suffix) - 2
    return f"pipelines-{execution_id}-{slug[:room].strip('-') or 'step'}-{suffix}"


def call(ctx: ServiceContext, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """An operation as a client would send it: validated against botocore's model, then run."""
    from local_sagemaker.operations import OPERATIONS
    from local_sagemaker.support.matrix import refuse_unsupported
    from local_sagemaker.validation import validate_request

    try:
        validate_request(operation, request)
        refuse_unsupported(operation, request)  # a step's request is the user's: the same members are refused
        return OPERATIONS[operation](ctx, request)
    except ThrottlingException as exc:
        raise StepFailure(f"{operation}: {exc.message}", THROTTLING) from exc
    except ResourceLimitExceeded as exc:
        raise StepFailure(f"{operation}: {exc.message}", RESOURCE_LIMIT) from exc
    except ServiceUnavailable as exc:
        raise StepFailure(f"{operation}: {exc.message}", SERVICE_FAULT) from exc
    except ValidationException as exc:
        raise StepFailure(f"{operation}: {exc.message}") from exc
    except ServiceError as exc:
        raise StepFailure(f"{operation}: {exc.code}: {exc.message}", SERVICE_FAULT) from exc


def start_job(
    ctx: ServiceContext, step_type: str, execution_id: str, step_name: str, arguments: Any
) -> dict[str, Any]:
    """Create the step's job; the answer is what the step record keeps about it."""
    spec = JOB_STEPS[step_type]
    if not isinstance(arguments, dict):
        raise StepFailure(f"the Arguments of a {step_type} step must be a Create{spec.kind.noun} request")
    name = resource_name(execution_id, step_name, spec.max_name_length)
    request = {**arguments, spec.kind.name_field: name}
    answer = call(ctx, f"Create{spec.kind.noun}", request)
    return {"kind": spec.kind.kind, "name": name, "arn": answer[spec.kind.arn_field]}


def job_outcome(ctx: ServiceContext, step_type: str, job: dict[str, Any]) -> tuple[str | None, str | None]:
    """(step status, failure reason) once the job ended, (None, None) while it runs."""
    kind = JOB_STEPS[step_type].kind
    body = ctx.store.get(kind.kind, job["name"])
    if body is None:
        return STEP_FAILED, f"the step's {kind.noun} {job['name']} no longer exists"
    status = JOB_STEP_STATUS.get(body[kind.status_field])
    if status is None:
        return None, None
    return status, body.get("FailureReason")


def retry_type(failure_reason: str | None) -> str | None:
    """SageMaker retries a job that failed for its own reasons, never one whose code or data failed."""
    if failure_reason and failure_reason.startswith("InternalServerError"):
        return JOB_INTERNAL_ERROR
    return None


def retry_delay(policies: list[dict[str, Any]], exception_type: str | None, attempt: int) -> float | None:
    """Seconds until attempt `attempt + 1` if a RetryPolicy covers this failure, else None (MaxAttempts counts
    the retries; the wait is IntervalSeconds * BackoffRate^(attempt-1))."""
    if exception_type is None:
        return None
    for policy in policies:
        if exception_type not in policy.get("ExceptionType", []):
            continue
        if attempt >= int(policy.get("MaxAttempts", 1)) + 1:
            return None
        interval = float(policy.get("IntervalSeconds", 1))
        return interval * float(policy.get("BackoffRate", 2.0)) ** (attempt - 1)
    return None


def stop_job(ctx: ServiceContext, step_type: str, job: dict[str, Any]) -> None:
    kind = JOB_STEPS[step_type].kind
    with contextlib.suppress(StepFailure):  # it ended meanwhile; its outcome is read on the next poll
        call(ctx, f"Stop{kind.noun}", {kind.name_field: job["name"]})


def job_properties(ctx: ServiceContext, step_type: str, job: dict[str, Any]) -> dict[str, Any]:
    kind = JOB_STEPS[step_type].kind
    return ctx.store.get(kind.kind, job["name"]) or {}


def create_model(
    ctx: ServiceContext, execution_id: str, step_name: str, arguments: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Model step: CreateModel now; (metadata, properties = DescribeModel)."""
    if not isinstance(arguments, dict):
        raise StepFailure("the Arguments of a Model step must be a CreateModel request")
    name = resource_name(execution_id, step_name)
    answer = call(ctx, "CreateModel", {**arguments, "ModelName": name})
    return {"Model": {"Arn": answer["ModelArn"]}}, call(ctx, "DescribeModel", {"ModelName": name})


def register_model(ctx: ServiceContext, arguments: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A RegisterModel step: CreateModelPackage now; (metadata, properties = DescribeModelPackage)."""
    if not isinstance(arguments, dict):
        raise StepFailure("the Arguments of a RegisterModel step must be a CreateModelPackage request")
    answer = call(ctx, "CreateModelPackage", arguments)
    arn = answer["ModelPackageArn"]
    return {"RegisterModel": {"Arn": arn}}, call(ctx, "DescribeModelPackage", {"ModelPackageName": arn})
