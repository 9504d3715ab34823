"""SDK v3's ModelTrainer runs a local source directory in script mode on the local stack, unchanged.

Follows sagemaker-train's ModelTrainer (model_trainer.py: the `code` and `sm_drivers` channels, the
`/bin/bash -c .../sm_drivers/sm_train.sh` ContainerEntrypoint, default bucket and output path) and
sagemaker-core's TrainingJob resource (get/refresh/wait); the job's outputs follow SageMaker's
"How Amazon SageMaker Provides Training Information" (`<S3OutputPath>/<job>/output/model.tar.gz`)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.support.sagemaker_api import csv_bytes, unique

CODE_DIR = Path(__file__).parent / "training_code"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@pytest.fixture(scope="module")
def trained(local_stack: Any, s3: Any) -> dict[str, Any]:
    from sagemaker.train.configs import Compute, InputData, SourceCode
    from sagemaker.train.model_trainer import ModelTrainer

    from local_sagemaker.local_iam import DEFAULT_EXECUTION_ROLE_ARN

    rng = np.random.default_rng(7)
    features = rng.normal(size=(200, 3))
    labels = features @ np.array([1.5, -2.0, 0.5]) + 3.0
    prefix = unique("sdk-train")
    s3.put_object(
        Bucket=local_stack.bucket,
        Key=f"{prefix}/train/data.csv",
        Body=csv_bytes(np.column_stack([labels, features])),
    )

    # Written as against AWS: no session, no endpoint, no SAGEMAKER_VALIDATE_ROLE (the stack's env does the rest).
    trainer = ModelTrainer(
        training_image=SKLEARN_IMAGE,
        source_code=SourceCode(source_dir=str(CODE_DIR), entry_script="train.py"),
        role=DEFAULT_EXECUTION_ROLE_ARN,
        compute=Compute(instance_type="ml.m5.large", instance_count=1),
        hyperparameters={"alpha": 0.01},
        base_job_name="sdk-script-mode",
    )
    trainer.train(
        input_data_config=[
            InputData(channel_name="train", data_source=f"s3://{local_stack.bucket}/{prefix}/train/")
        ],
        wait=True,
        logs=False,
    )
    return {"job": trainer._latest_training_job, "trainer": trainer}


def test_script_mode_training_completes_and_uploads_the_model(trained: dict[str, Any], s3: Any) -> None:
    job = trained["job"]
    assert job.training_job_status == "Completed", job.failure_reason
    # What ModelTrainer sent: its bash driver as the ContainerEntrypoint and the SDK-managed channels.
    assert job.algorithm_specification.container_entrypoint == ["/bin/bash"]
    assert {c.channel_name for c in job.input_data_config} == {"code", "sm_drivers", "train"}
    artifact = job.model_artifacts.s3_model_artifacts
    assert artifact == f"{job.output_data_config.s3_output_path}/{job.training_job_name}/output/model.tar.gz"
    bucket, key = artifact.removeprefix("s3://").split("/", 1)
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())) as archive:
        assert "model.joblib" in archive.getnames()


def test_the_script_saw_its_hyperparameters_and_channel(trained: dict[str, Any], logs: Any) -> None:
    name = trained["job"].training_job_name
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{name}/"
    )["logStreams"]
    lines = [
        event["message"]
        for stream in streams
        for event in logs.get_log_events(
            logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream["logStreamName"]
        )["events"]
    ]
    summary = next(line for line in lines if "train_mse=" in line)
    assert "alpha=0.01" in summary and "rows=200" in summary
    assert float(summary.split("train_mse=")[1].split()[0]) < 1e-2


def test_sagemaker_core_training_job_round_trip(trained: dict[str, Any]) -> None:
    """sagemaker-core's resource API reads the same job back: get, refresh, wait on a finished job."""
    from sagemaker.core.resources import TrainingJob

    name = trained["job"].training_job_name
    job = TrainingJob.get(training_job_name=name)
    assert job.training_job_arn.endswith(f":training-job/{name}")
    job.refresh()
    job.wait(poll=1, timeout=30)
    assert job.training_job_status == "Completed"
    assert name in [j.training_job_name for j in TrainingJob.get_all(name_contains=name)]
