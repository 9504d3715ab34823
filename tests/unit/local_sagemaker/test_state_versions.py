"""State carries a schema version: older state opens, newer state is refused with what to run; `reset`
removes the stores on purpose and says what it removed (issue 17, item 3). Checked through boto3 and the
stack's own command line, as a user runs them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import boto3
import pytest

from local_sagemaker.stack import StackConfig, main, start_aws, stop_service
from tests.conftest import free_port


def _cfg(base: Path) -> StackConfig:
    return StackConfig(base_dir=base, s3_port=free_port(), sagemaker_port=free_port())


def test_older_state_opens_newer_state_is_refused_and_reset_says_what_it_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _cfg(tmp_path / "stack")
    start_aws(cfg)
    s3 = boto3.client(
        "s3",
        endpoint_url=cfg.s3_url,
        region_name=cfg.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="versions")
    s3.put_object(Bucket="versions", Key="k", Body=b"v1")
    stop_service(cfg, "aws")
    index = cfg.base_dir / "aws" / "s3" / "index.sqlite3"

    # State from before versioning (user_version 0) is schema 1: it opens and keeps its objects.
    with sqlite3.connect(index) as db:
        db.execute("PRAGMA user_version = 0")
    start_aws(cfg)
    assert s3.get_object(Bucket="versions", Key="k")["Body"].read() == b"v1"
    stop_service(cfg, "aws")

    with sqlite3.connect(index) as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(SystemExit) as refused:
        start_aws(cfg)
    message = str(refused.value)
    assert "schema version 7" in message and "git pull" in message and "make local-reset" in message

    assert main(["reset", "--base-dir", str(cfg.base_dir)]) == 0
    printed = capsys.readouterr().out
    assert f"S3 objects and CloudWatch Logs: {cfg.base_dir / 'aws'}" in printed
    assert not (cfg.base_dir / "aws").exists()
    start_aws(cfg)
    assert s3.list_buckets()["Buckets"] == []
    stop_service(cfg, "aws")
