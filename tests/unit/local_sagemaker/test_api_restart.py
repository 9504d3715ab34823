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
