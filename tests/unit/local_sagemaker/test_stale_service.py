"""`make local-up` after a code change restarts a service that still runs the old code."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from local_sagemaker import stack
from local_sagemaker.build import build_id
from tests.conftest import free_port


def reported_build(cfg: stack.StackConfig) -> str:
    with urllib.request.urlopen(f"{cfg.sagemaker_url}/health", timeout=5) as answer:
        return str(json.load(answer)["build"])


def test_a_service_from_older_code_is_restarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = stack.StackConfig(base_dir=tmp_path, s3_port=free_port(), sagemaker_port=free_port())
    try:
        stack.up(cfg)
        first_pid = cfg.pid_file("sagemaker").read_text()
        assert reported_build(cfg) == build_id()

        stack.up(cfg)  # same code: the running service is kept
        assert cfg.pid_file("sagemaker").read_text() == first_pid

        monkeypatch.setattr(stack, "build_id", lambda: "0123456789ab")  # the checkout moved on
        stack.up(cfg)
        assert cfg.pid_file("sagemaker").read_text() != first_pid
    finally:
        stack.down(cfg)


def test_a_stale_pid_file_never_gets_another_process_signalled(tmp_path: Path) -> None:
    import subprocess
    import sys

    cfg = stack.StackConfig(base_dir=tmp_path, s3_port=free_port(), sagemaker_port=free_port())
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    try:
        # The service died long ago and its pid now belongs to some other program.
        cfg.pid_file("sagemaker").parent.mkdir(parents=True)
        cfg.pid_file("sagemaker").write_text(str(bystander.pid))
        stack.stop_service(cfg, "sagemaker")
        assert bystander.poll() is None, "the bystander was signalled"
        assert not cfg.pid_file("sagemaker").exists()
    finally:
        bystander.kill()
        bystander.wait()
