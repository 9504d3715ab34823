"""Shared fixtures: an isolated Airflow home, and a local stack of our own on free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Parallel test runs can each use their own state folder.
TEST_STATE = Path(os.environ.get("RETRAINING_TEST_STATE", REPO_ROOT / ".local" / "test"))

# Airflow reads its configuration once, at first import: fix it before any test imports airflow.
# Each pytest-xdist worker gets its own (SQLite allows one writer; two dag.test() runs would collide).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ["AIRFLOW_HOME"] = str(TEST_STATE / f"airflow-{WORKER}")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO_ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO_ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
# Sensors poke every second in tests. Set before collection: a test module importing the DAGs' defaults
# would otherwise freeze the production default (60 s) into every sensor for the whole session.
os.environ["RETRAINING_POLL_SECONDS"] = "1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def local_stack() -> Iterator[Any]:
    """moto + the SageMaker service for this test session, torn down at the end."""
    from local_sagemaker.stack import StackConfig, down, stack_env, up

    # One stack per test process, so parallel runs never tear down each other's services.
    base_dir = TEST_STATE / f"stack-{os.getpid()}"
    cfg = StackConfig(base_dir=base_dir, s3_port=free_port(), sagemaker_port=free_port(), poll_seconds=1)
    up(cfg)
    saved = dict(os.environ)
    os.environ.update(stack_env(cfg))
    try:
        yield cfg
    finally:
        os.environ.clear()
        os.environ.update(saved)
        down(cfg)
        shutil.rmtree(base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def sagemaker(local_stack: Any) -> Any:
    import boto3

    return boto3.client("sagemaker", endpoint_url=local_stack.sagemaker_url, region_name=local_stack.region)


@pytest.fixture(scope="session")
def s3(local_stack: Any) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=local_stack.s3_url, region_name=local_stack.region)


@pytest.fixture(scope="session")
def logs(local_stack: Any) -> Any:
    import boto3

    return boto3.client("logs", endpoint_url=local_stack.s3_url, region_name=local_stack.region)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata database in the test Airflow home."""
    home = Path(os.environ["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
        env=dict(os.environ),
    )
    return home / "airflow.db"


# The fault suite's table (tests/faults): rows come from every worker, the reporting process prints them.
def pytest_sessionstart(session: Any) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ:
        from tests.faults import report

        report.clear()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.faults import report

    table = report.write_table()
    if table:
        terminalreporter.section("fault suite")
        terminalreporter.write(table)
        terminalreporter.write_line(f"(also in {report.TABLE_FILE})")
