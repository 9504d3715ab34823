"""Issue 17's acceptance: restart the stack (down/up, then SIGKILL of each process) between two nights of
`nightly_retrain`; the second night trains incrementally from the first night's champion, reading its
artifact, and the first night's job logs still read through GetLogEvents (CloudWatch Logs API Reference;
SageMaker's /aws/sagemaker/TrainingJobs group and `<job>/algo-1-...` streams)."""

from __future__ import annotations

import signal
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from local_sagemaker.stack import down, stop_service, up
from tests.e2e.test_nightly_retrain import run_night, versions

pytestmark = pytest.mark.e2e

NIGHT = date(2026, 5, 1)


def test_second_night_after_restarts_trains_from_the_first_nights_champion(
    local_stack: Any, airflow_db: Any, sagemaker: Any, s3: Any, logs: Any
) -> None:
    group = f"restart-{uuid.uuid4().hex[:8]}"
    first = run_night(NIGHT, group, rows_per_day=500, full_rounds=10, extra_rounds=5)
    assert first.succeeded(), first.task_states
    [champion] = versions(sagemaker, group)
    champion_job = sagemaker.describe_training_job(TrainingJobName=champion["training_job"])
    artifact = champion_job["ModelArtifacts"]["S3ModelArtifacts"]

    down(local_stack)
    up(local_stack)
    for service in ("aws", "sagemaker"):
        stop_service(local_stack, service, signal.SIGKILL)
        up(local_stack)

    bucket, _, key = artifact[len("s3://") :].partition("/")
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=champion["training_job"]
    )["logStreams"]
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName=streams[0]["logStreamName"],
        startFromHead=True,
    )["events"]
    assert any("rmse" in event["message"] for event in events), "night 1's training log must still read"

    second = run_night(NIGHT + timedelta(days=1), group, rows_per_day=500, full_rounds=10, extra_rounds=5)
    assert second.succeeded(), second.task_states
    history = versions(sagemaker, group)
    assert [(v["training_mode"], v.get("parent_version")) for v in history] == [
        ("full", None),
        ("incremental", "1"),
    ]
    incremental = sagemaker.describe_training_job(TrainingJobName=history[1]["training_job"])
    [model_channel] = [c for c in incremental["InputDataConfig"] if c["ChannelName"] == "model"]
    assert model_channel["DataSource"]["S3DataSource"]["S3Uri"] == artifact
