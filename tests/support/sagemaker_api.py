"""Helpers for tests that drive the local service through boto3."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
TERMINAL = ("Completed", "Failed", "Stopped")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def csv_bytes(matrix: np.ndarray) -> bytes:
    buffer = io.StringIO()
    np.savetxt(buffer, matrix, delimiter=",", fmt="%.6f")
    return buffer.getvalue().encode()


def channel(name: str, uri: str, content_type: str = "text/csv") -> dict[str, Any]:
    return {
        "ChannelName": name,
        "ContentType": content_type,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }


def wait_for(condition: Callable[[], object], what: str, timeout_seconds: float = 60) -> None:
    """Poll `condition` every 0.2 s until it holds; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def wait_training(sagemaker: Any, name: str) -> dict[str, Any]:
    """botocore's own waiter, as the provider and users rely on it."""
    sagemaker.get_waiter("training_job_completed_or_stopped").wait(
        TrainingJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 180}
    )
    return dict(sagemaker.describe_training_job(TrainingJobName=name))


def wait_until_done(describe: Any, status_field: str, timeout_seconds: float = 120) -> dict[str, Any]:
    """Poll a Describe call until a terminal state; returns Failed jobs instead of raising."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        job = describe()
        if job[status_field] in TERMINAL:
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job did not finish in {timeout_seconds} s: {job[status_field]}")


def put_model_data(s3: Any, uri: str) -> str:
    """A small model.tar.gz at `uri` (its bucket made if missing): CreateModel and CreateModelPackage refuse
    a ModelDataUrl naming no object, as SageMaker does."""
    import tarfile

    bucket, _, key = uri[len("s3://") :].partition("/")
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception:
        s3.create_bucket(Bucket=bucket)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.addfile(tarfile.TarInfo("xgboost-model"), io.BytesIO(b""))
    s3.put_object(Bucket=bucket, Key=key, Body=archive.getvalue())
    return uri
