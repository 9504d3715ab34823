"""CheckpointConfig: a stopped built-in XGBoost job leaves checkpoints in S3 and the next job resumes from them."""

from __future__ import annotations

import io
import re
import tarfile
from typing import Any

import pytest
import xgboost
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import unique, wait_for, wait_training

NUM_ROUND = 60
CHECKPOINT = re.compile(r"xgboost-checkpoint\.([0-9]+)$")


def _checkpoint_rounds(s3: Any, bucket: str, prefix: str) -> list[int]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    return sorted(
        int(match.group(1))
        for item in listing.get("Contents", [])
        if (match := CHECKPOINT.search(item["Key"]))
    )


def _log_text(logs: Any, name: str) -> str:
    group = "/aws/sagemaker/TrainingJobs"
    streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=name + "/")["logStreams"]
    events = logs.get_log_events(
        logGroupName=group, logStreamName=streams[0]["logStreamName"], startFromHead=True
    )["events"]
    return "\n".join(event["message"] for event in events)


def _model_rounds(s3: Any, artifact_uri: str) -> int:
    bucket, _, key = artifact_uri[len("s3://") :].partition("/")
    archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        booster = xgboost.Booster()
        booster.load_model(bytearray(member.read()))
    return booster.num_boosted_rounds()


def test_a_stopped_job_resumes_from_its_checkpoint_in_a_new_job(
    sagemaker: Any, s3: Any, logs: Any, training_request: Any, dataset: Any
) -> None:
    """AWS "Checkpoints in Amazon SageMaker" (LocalPath synced to S3Uri, restored at the next start) and
    sagemaker-xgboost-container checkpointing.py (xgboost-checkpoint.<round>, 5 kept, resume at round + 1)."""
    prefix = f"{dataset['prefix']}/checkpoints"
    config = {"S3Uri": f"s3://{dataset['bucket']}/{prefix}"}
    hyperparameters = {"objective": "reg:logistic", "num_round": str(NUM_ROUND), "max_depth": "6"}
    first = training_request(hyperparameters=hyperparameters, CheckpointConfig=config)
    sagemaker.create_training_job(**first)
    wait_for(lambda: _checkpoint_rounds(s3, dataset["bucket"], prefix), "a checkpoint in S3")
    sagemaker.stop_training_job(TrainingJobName=first["TrainingJobName"])
    stopped = wait_training(sagemaker, first["TrainingJobName"])
    assert stopped["TrainingJobStatus"] == "Stopped"
    kept = _checkpoint_rounds(s3, dataset["bucket"], prefix)
    last_round = kept[-1]
    assert 0 < len(kept) <= 5 and last_round < NUM_ROUND - 1, kept  # stopped mid-way, old ones deleted
    assert f"Stop requested: training ends after round {last_round}" in _log_text(
        logs, first["TrainingJobName"]
    )

    second = training_request(hyperparameters=hyperparameters, CheckpointConfig=config)
    sagemaker.create_training_job(**second)
    done = wait_training(sagemaker, second["TrainingJobName"])
    assert done["TrainingJobStatus"] == "Completed", done.get("FailureReason")
    assert done["CheckpointConfig"]["S3Uri"] == config["S3Uri"]
    text = _log_text(logs, second["TrainingJobName"])
    assert f"Checkpoint loaded from xgboost-checkpoint.{last_round}" in text
    assert f"Resuming from iteration {last_round + 1}" in text
    # Like the container's EvaluationMonitor, xgboost numbers the rounds of each call from [0].
    assert f"[{NUM_ROUND - last_round - 2}]#011train-rmse:" in text
    assert f"[{NUM_ROUND - last_round - 1}]#011" not in text
    assert _model_rounds(s3, done["ModelArtifacts"]["S3ModelArtifacts"]) == NUM_ROUND
    assert _checkpoint_rounds(s3, dataset["bucket"], prefix)[-1] == NUM_ROUND - 1


@pytest.mark.parametrize("local_path", ["checkpoints", "/opt/ml/../../etc"])
def test_checkpoint_local_path_must_be_absolute(
    sagemaker: Any, training_request: Any, dataset: Any, local_path: str
) -> None:
    """CreateTrainingJob CheckpointConfig.LocalPath (AWS API reference): a path in the container; locally
    it must stay inside the job's sandbox, so a relative path or '..' is refused naming the field."""
    request = training_request(
        name=unique("ckpt"),
        CheckpointConfig={"S3Uri": f"s3://{dataset['bucket']}/x", "LocalPath": local_path},
    )
    with pytest.raises(ClientError) as caught:
        sagemaker.create_training_job(**request)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "CheckpointConfig.LocalPath" in error["Message"] and local_path in error["Message"]
