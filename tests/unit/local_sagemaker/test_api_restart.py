"""State survives a restart of the service; jobs cut off by a crash end Failed with a reason that says so."""

from __future__ import annotations

import signal
import time
from typing import Any

from local_sagemaker.stack import stop_service, up
from tests.support.sagemaker_api import wait_training


def test_state_persists_and_interrupted_jobs_fail_with_a_reason(
    sagemaker: Any, training_request: Any, local_stack: Any
) -> None:
    finished = training_request(hyperparameters={"num_round": "3"})
    sagemaker.create_training_job(**finished)
    wait_training(sagemaker, finished["TrainingJobName"])

    running = training_request(hyperparameters={"num_round": "500000", "max_depth": "8"})
    sagemaker.create_training_job(**running)
    time.sleep(1.5)
    assert (
        sagemaker.describe_training_job(TrainingJobName=running["TrainingJobName"])["TrainingJobStatus"]
        == "InProgress"
    )

    stop_service(local_stack, "sagemaker", signal.SIGKILL)
    up(local_stack)

    interrupted = sagemaker.describe_training_job(TrainingJobName=running["TrainingJobName"])
    assert interrupted["TrainingJobStatus"] == "Failed"
    assert "stopped while this job was running" in interrupted["FailureReason"]
    survivor = sagemaker.describe_training_job(TrainingJobName=finished["TrainingJobName"])
    assert survivor["TrainingJobStatus"] == "Completed"
    assert survivor["ModelArtifacts"]["S3ModelArtifacts"].endswith("/output/model.tar.gz")


def test_artifacts_and_job_logs_survive_sigkill_of_every_stack_process(
    sagemaker: Any, s3: Any, logs: Any, training_request: Any, local_stack: Any
) -> None:
    """A restart loses nothing (issue 17): after SIGKILL of the AWS endpoint and the service, a Completed
    job's S3ModelArtifacts still answers HeadObject and its log still reads through GetLogEvents
    (CloudWatch Logs API Reference; SageMaker's /aws/sagemaker/TrainingJobs group, `<job>/algo-1-...`)."""
    finished = training_request(hyperparameters={"num_round": "3"})
    name = finished["TrainingJobName"]
    sagemaker.create_training_job(**finished)
    wait_training(sagemaker, name)
    artifact = sagemaker.describe_training_job(TrainingJobName=name)["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, _, key = artifact[len("s3://") :].partition("/")
    before = s3.head_object(Bucket=bucket, Key=key)["ETag"]

    for service in ("sagemaker", "aws"):
        stop_service(local_stack, service, signal.SIGKILL)
    up(local_stack)

    assert s3.head_object(Bucket=bucket, Key=key)["ETag"] == before
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=name)
    assert streams["logStreams"], f"no log stream for {name} after the restart"
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName=streams["logStreams"][0]["logStreamName"],
        startFromHead=True,
    )["events"]
    assert any("train-rmse" in event["message"] or "rmse" in event["message"] for event in events)
