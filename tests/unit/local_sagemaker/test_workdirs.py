"""Bounded disk: a Completed job's folder keeps only its logs; a Failed one is kept for debugging until
LOCAL_SAGEMAKER_KEEP_FAILED_HOURS passes (issue 17, item 5). Jobs run through boto3 against the stack."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from local_sagemaker import workdirs
from tests.support.sagemaker_api import channel, unique, wait_until_done


def _folder(local_stack: Any, name: str) -> Path:
    return local_stack.base_dir / "sagemaker" / "jobs" / "training-job" / name


def test_a_completed_job_keeps_only_its_logs_and_a_failed_one_is_kept_for_debugging(
    sagemaker: Any, local_stack: Any, training_request: Any
) -> None:
    done = training_request(hyperparameters={"num_round": "2"})
    missing = f"s3://{local_stack.bucket}/{unique('nothing-here')}/train.csv"
    failed = training_request(InputDataConfig=[channel("train", missing)])
    for request in (done, failed):
        sagemaker.create_training_job(**request)
    for request, outcome in ((done, "Completed"), (failed, "Failed")):
        name = request["TrainingJobName"]
        job = wait_until_done(
            lambda name=name: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus"
        )
        assert job["TrainingJobStatus"] == outcome, job.get("FailureReason")

    assert {p.name for p in _folder(local_stack, done["TrainingJobName"]).iterdir()} <= {
        "job.log",
        "worker.log",
    }
    assert (_folder(local_stack, done["TrainingJobName"]) / "job.log").stat().st_size > 0
    assert (_folder(local_stack, failed["TrainingJobName"]) / ".kept-for-debugging").exists()


def test_kept_folders_are_emptied_once_their_time_is_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(workdirs.KEEP_FAILED_ENV, "1")
    old, fresh = tmp_path / "training-job" / "old", tmp_path / "training-job" / "fresh"
    for folder in (old, fresh):
        (folder / "input" / "data").mkdir(parents=True)
        (folder / "job.log").write_text("log\n")
        workdirs.job_ended(folder, completed=False)
    two_hours_ago = time.time() - 7200
    os.utime(old / ".kept-for-debugging", (two_hours_ago, two_hours_ago))

    assert workdirs.sweep(tmp_path) == [old]
    assert [p.name for p in old.iterdir()] == ["job.log"]
    assert (fresh / "input" / "data").exists()
    monkeypatch.setenv(workdirs.KEEP_FAILED_ENV, "a day")
    with pytest.raises(
        ValueError, match="LOCAL_SAGEMAKER_KEEP_FAILED_HOURS='a day' must be a number of hours"
    ):
        workdirs.keep_failed_seconds()
