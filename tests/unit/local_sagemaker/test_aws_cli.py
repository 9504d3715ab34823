"""A training job driven end to end by the real AWS CLI against the local stack.

Follows the AWS CLI reference for `aws sagemaker create-training-job` (`--cli-input-json`),
`aws sagemaker wait training-job-completed-or-stopped` and `aws sagemaker describe-training-job`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from local_sagemaker.stack import stack_env
from tests.support.sagemaker_api import TERMINAL, unique


def aws_cli() -> str:
    """The CLI installed beside this interpreter (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "aws"
    found = str(beside) if beside.exists() else shutil.which("aws")
    if found is None:
        pytest.skip("the aws CLI is not installed (make install-dev installs it)")
    return found


def test_a_training_job_through_the_aws_cli(
    local_stack: Any, s3: Any, training_request: Any, tmp_path: Path
) -> None:
    env = {**os.environ, **stack_env(local_stack), "AWS_CONFIG_FILE": os.devnull}

    def aws(*arguments: str) -> Any:
        done = subprocess.run(
            [aws_cli(), "sagemaker", *arguments], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    request = training_request(name=unique("cli"), hyperparameters={"num_round": "3", "eval_metric": "rmse"})
    name = request["TrainingJobName"]
    request_file = tmp_path / "training-job.json"
    request_file.write_text(json.dumps(request))
    created = aws("create-training-job", "--cli-input-json", f"file://{request_file}")
    assert created["TrainingJobArn"].endswith(f":training-job/{name}")

    # The CLI's waiter polls every 120 s (botocore's waiter model) and has no option to poll sooner: wait for
    # the end with describe-training-job, then `wait` must agree at once.
    deadline = time.monotonic() + 120
    while aws("describe-training-job", "--training-job-name", name)["TrainingJobStatus"] not in TERMINAL:
        assert time.monotonic() < deadline, f"{name} did not finish in 120 s"
        time.sleep(1)
    started = time.monotonic()
    assert aws("wait", "training-job-completed-or-stopped", "--training-job-name", name) is None
    assert time.monotonic() - started < 60, "the waiter did not see the job as ended on its first poll"

    described = aws("describe-training-job", "--training-job-name", name)
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["SecondaryStatus"] == "Completed"
    assert described["HyperParameters"]["num_round"] == "3"
    metrics = {m["MetricName"] for m in described["FinalMetricDataList"]}
    assert {"train:rmse", "validation:rmse"} <= metrics
    artifact = described["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact.endswith(f"/{name}/output/model.tar.gz")
    bucket, _, key = artifact[len("s3://") :].partition("/")
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
