"""Defaults every DAG shares: connection, retry policy, sensor polling. Read from the environment only."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

AWS_CONN_ID = "aws_default"
# Sensor poke interval: SageMaker jobs take minutes on AWS; the local stack sets a few seconds.
POLL_SECONDS = int(os.environ.get("RETRAINING_POLL_SECONDS", "60"))
SENSOR_TIMEOUT = timedelta(hours=12)
DEFAULT_BUCKET = os.environ.get("RETRAINING_BUCKET", "sagemaker-retraining-local")
DEFAULT_ROLE_ARN = os.environ.get(
    "RETRAINING_ROLE_ARN", "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
)

# First retry delay (exponential back-off after it); tests of transient faults shorten it.
RETRY_DELAY = timedelta(seconds=float(os.environ.get("RETRAINING_RETRY_DELAY_SECONDS", "30")))

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "ml-platform",
    "retries": 3,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}

SENSOR_ARGS: dict[str, Any] = {
    "mode": "reschedule",  # no worker slot held while SageMaker works
    "poke_interval": POLL_SECONDS,
    "timeout": SENSOR_TIMEOUT.total_seconds(),
    "aws_conn_id": AWS_CONN_ID,
}


def job_name_of(task_id: str) -> str:
    """Template for the job name an idempotent operator actually used (it may be a later attempt)."""
    return "{{ ti.xcom_pull(task_ids='" + task_id + "', key='job_name') }}"
