"""How job workers start: forked from the service's pre-imported fork server, or (on request) a fresh
interpreter each; either way a worker is titled after its job and never outlives the service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_sagemaker import stack, worker
from local_sagemaker.__main__ import build_parser
from tests.conftest import free_port
from tests.support.sagemaker_api import wait_for, wait_training
from tests.support.workers import worker_pids


def test_a_killed_service_takes_its_running_workers_with_it(
    sagemaker: Any, training_request: Any, local_stack: Any
) -> None:
    running = training_request(hyperparameters={"num_round": "500000", "max_depth": "8"})
    name = running["TrainingJobName"]
    sagemaker.create_training_job(**running)
    wait_for(lambda: worker_pids(name), "the job's worker, titled after the job")

    stack.stop_service(local_stack, "sagemaker", signal.SIGKILL)
    try:
        wait_for(lambda: not worker_pids(name), "the worker to end with the service")
    finally:
        stack.up(local_stack)
    assert sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "Failed"


def test_workers_can_start_as_fresh_interpreters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, training_request: Any, dataset: Any, local_stack: Any
) -> None:
    # A second service on the session's S3, started with LOCAL_SAGEMAKER_WORKER_START=spawn.
    monkeypatch.setenv("LOCAL_SAGEMAKER_WORKER_START", "spawn")
    cfg = stack.StackConfig(base_dir=tmp_path, s3_port=local_stack.s3_port, sagemaker_port=free_port())
    try:
        stack.start_service(cfg)
        settings = json.loads((cfg.base_dir / "sagemaker" / "service.json").read_text())
        assert settings["worker_start"] == "spawn"
        client = boto3.client("sagemaker", endpoint_url=cfg.sagemaker_url, region_name=cfg.region)
        request = training_request(hyperparameters={"num_round": "3"})
        client.create_training_job(**request)
        job = wait_training(client, request["TrainingJobName"])
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    finally:
        stack.stop_service(cfg, "sagemaker", signal.SIGTERM)


def test_an_unknown_worker_start_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(
            ["serve", "--s3-endpoint-url", "http://127.0.0.1:1", "--worker-start", "thread"]
        )
    error = capsys.readouterr().err
    assert "--worker-start" in error and "forkserver" in error and "spawn" in error


def test_a_restarted_service_recognises_only_its_own_job_worker(tmp_path: Path) -> None:
    from local_sagemaker.supervisor import _is_worker_of

    mine = worker.title(tmp_path / "service-a", "training-job", "job-1")
    other_service = worker.title(tmp_path / "service-b", "training-job", "job-1")
    titled = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import setproctitle, time; setproctitle.setproctitle({mine!r}); time.sleep(30)",
        ]
    )
    try:
        wait_for(lambda: _is_worker_of(titled.pid, mine), "the process to take its title")
        assert not _is_worker_of(titled.pid, other_service)
        assert not _is_worker_of(os.getpid(), mine)
    finally:
        titled.kill()
        titled.wait()
