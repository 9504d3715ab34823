"""What every DAG here builds the same way: the start-a-job-then-wait pair, and the shared trigger-form fields."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from airflow.sdk import Param

from retraining.dag_defaults import AWS_CONN_ID, DEFAULT_BUCKET, DEFAULT_ROLE_ARN, SENSOR_ARGS, job_name_of
from retraining_airflow.idempotent import (
    IdempotentProcessingOperator,
    IdempotentTrainingOperator,
    IdempotentTransformOperator,
    IdempotentTuningOperator,
)
from retraining_airflow.sensors import ProcessingSensor, TrainingSensor, TransformSensor, TuningSensor

# The sensor that waits for each operator's job; print_log only where the provider has it (and we poll
# with the sensor instead, so the operator itself never prints).
_SENSOR_OF: dict[type, tuple[type, dict[str, Any]]] = {
    IdempotentProcessingOperator: (ProcessingSensor, {"print_log": False}),
    IdempotentTrainingOperator: (TrainingSensor, {"print_log": False}),
    IdempotentTransformOperator: (TransformSensor, {}),
    IdempotentTuningOperator: (TuningSensor, {}),
}

INSTANCE_TYPES = [
    "ml.m4.xlarge",
    "ml.m5.large",
    "ml.m5.xlarge",
    "ml.m5.2xlarge",
    "ml.c5.xlarge",
    "ml.c5.2xlarge",
]


def start_and_await(
    operator: type, task_id: str, config: Any, await_task_id: str, if_it_fails: str = ""
) -> tuple[Any, Any]:
    """Start a SageMaker job without holding a worker slot, then wait for it with a rescheduling sensor.

    The sensor reads the job name the operator pushed, so a retried operator that re-attached to its job
    (or started a suffixed attempt) is the one waited for."""
    sensor, extra = _SENSOR_OF[operator]
    start = operator(
        task_id=task_id, config=config, wait_for_completion=False, aws_conn_id=AWS_CONN_ID, **extra
    )
    wait = sensor(task_id=await_task_id, job_name=job_name_of(task_id), **SENSOR_ARGS)
    wait.if_it_fails = if_it_fails
    return start, wait


def connection_region() -> str:
    """The region of the AWS connection: the jobs' images and ARNs are regional."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return str(AwsBaseHook(aws_conn_id=AWS_CONN_ID, client_type="sagemaker").conn_region_name)


@contextmanager
def invalid_params_fail_the_task() -> Iterator[None]:
    """A ValueError from validating the trigger form fails the task at once: no retry can fix it."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        yield
    except ValueError as error:
        raise AirflowFailException(f"Invalid parameters: {error}") from None


def upload_code(code_s3_uri: str, *scripts: ModuleType) -> list[str]:
    """Put processing scripts (modules of retraining.scripts) where the jobs' `code` inputs read them."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    s3 = S3Hook(aws_conn_id=AWS_CONN_ID)
    uploaded = []
    for script in scripts:
        source = Path(str(script.__file__))
        bucket, key = S3Hook.parse_s3_url(code_s3_uri + source.name)
        s3.load_file(str(source), key, bucket_name=bucket, replace=True)
        uploaded.append(f"s3://{bucket}/{key}")
    return uploaded


def score_transform_output(transform_output_s3_uri: str, test_labels_s3_uri: str) -> dict[str, Any]:
    """Regression metrics of a batch transform's output against the held-out labels, both read from S3."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    from retraining.evaluation import parse_numbers, regression_metrics

    s3 = S3Hook(aws_conn_id=AWS_CONN_ID)

    def numbers(uri: str, what: str) -> list[float]:
        bucket, key = S3Hook.parse_s3_url(uri)
        return parse_numbers(s3.read_key(key, bucket_name=bucket), what)

    return regression_metrics(
        numbers(transform_output_s3_uri, "transform output"), numbers(test_labels_s3_uri, "test labels")
    )


def bucket_param() -> Param:
    return Param(
        DEFAULT_BUCKET,
        type="string",
        title="S3 bucket",
        description="Bucket for data, models and outputs (name only, no s3://).",
        minLength=3,
        maxLength=63,
        pattern="^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
    )


def role_arn_param() -> Param:
    return Param(
        DEFAULT_ROLE_ARN,
        type="string",
        title="SageMaker execution role",
        description="IAM role ARN the jobs run as.",
        pattern="^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
    )


def instance_type_param(title: str, default: str = "ml.m5.xlarge") -> Param:
    return Param(default, type="string", enum=INSTANCE_TYPES, title=title)
