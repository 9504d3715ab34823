"""CheckpointConfig: a stopped built-in XGBoost job leaves checkpoints in S3 and the next job resumes from them."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest
import xgboost
from botocore.exceptions import ClientError

from local_sagemaker.checkpoint_sync import CheckpointMirror
from tests.support.sagemaker_api import unique, wait_for, wait_training

# The first job asks for far more rounds than it can run before the stop lands (on any machine); the
# second asks for a few more than the stopped job reached, so both jobs' lengths are deterministic.
FIRST_NUM_ROUND = 100_000
MORE_ROUNDS = 5
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
    hyperparameters = {"objective": "reg:logistic", "num_round": str(FIRST_NUM_ROUND), "max_depth": "6"}
    first = training_request(hyperparameters=hyperparameters, CheckpointConfig=config)
    sagemaker.create_training_job(**first)
    wait_for(lambda: _checkpoint_rounds(s3, dataset["bucket"], prefix), "a checkpoint in S3")
    sagemaker.stop_training_job(TrainingJobName=first["TrainingJobName"])
    stopped = wait_training(sagemaker, first["TrainingJobName"])
    assert stopped["TrainingJobStatus"] == "Stopped"
    kept = _checkpoint_rounds(s3, dataset["bucket"], prefix)
    last_round = kept[-1]
    assert 0 < len(kept) <= 5 and kept == list(range(last_round - len(kept) + 1, last_round + 1)), kept
    assert f"Stop requested: training ends after round {last_round}" in _log_text(
        logs, first["TrainingJobName"]
    )

    num_round = last_round + 1 + MORE_ROUNDS  # num_round counts the whole model, resumed rounds included
    hyperparameters["num_round"] = str(num_round)
    second = training_request(hyperparameters=hyperparameters, CheckpointConfig=config)
    sagemaker.create_training_job(**second)
    done = wait_training(sagemaker, second["TrainingJobName"])
    assert done["TrainingJobStatus"] == "Completed", done.get("FailureReason")
    assert done["CheckpointConfig"]["S3Uri"] == config["S3Uri"]
    text = _log_text(logs, second["TrainingJobName"])
    assert f"Checkpoint loaded from xgboost-checkpoint.{last_round}" in text
    assert f"Resuming from iteration {last_round + 1}" in text
    # Like the container's EvaluationMonitor, xgboost numbers the rounds of each call from [0].
    assert f"[{MORE_ROUNDS - 1}]#011train-rmse:" in text
    assert f"[{MORE_ROUNDS}]#011" not in text
    assert _model_rounds(s3, done["ModelArtifacts"]["S3ModelArtifacts"]) == num_round
    assert _checkpoint_rounds(s3, dataset["bucket"], prefix)[-1] == num_round - 1


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


class _VanishingUploadS3:
    """An S3 client whose first upload finds the file gone, as when XGBoost drops its 6th-oldest checkpoint
    between the mirror's listing and its upload."""

    def __init__(self) -> None:
        self.uploaded: list[str] = []
        self.calls = 0

    def upload_file(self, path: str, bucket: str, key: str) -> None:
        self.calls += 1
        if self.calls == 1:
            Path(path).unlink()
            raise FileNotFoundError(path)
        self.uploaded.append(key)

    def delete_object(self, Bucket: str, Key: str) -> None:
        raise AssertionError(f"{Key} was never uploaded, so there is nothing to delete")


def test_a_checkpoint_removed_mid_sync_is_skipped_and_the_rest_still_upload(tmp_path: Path) -> None:
    for number in (1, 2):
        (tmp_path / f"xgboost-checkpoint.{number}").write_bytes(b"model")
    s3 = _VanishingUploadS3()
    mirror = CheckpointMirror(s3, "s3://bucket/ckpt", tmp_path)
    for number in (3, 4):
        (tmp_path / f"xgboost-checkpoint.{number}").write_bytes(b"model")
    mirror.sync()
    assert s3.uploaded == ["ckpt/xgboost-checkpoint.4"]
    (tmp_path / "xgboost-checkpoint.5").write_bytes(b"model")
    mirror.sync()  # the vanished file is not "deleted locally" a second time
    assert s3.uploaded == ["ckpt/xgboost-checkpoint.4", "ckpt/xgboost-checkpoint.5"]
