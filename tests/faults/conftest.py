"""The fault suite's service control (a plan per scenario, kill and restart) and its summary table."""

from __future__ import annotations

import importlib
import json
import os
import signal
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local_sagemaker.faults import ENV_VAR

RETRY_DELAY_ENV = "RETRAINING_RETRY_DELAY_SECONDS"


@dataclass
class FaultyService:
    """The session's local SageMaker service, restarted with the fault plan a scenario needs."""

    cfg: Any  # local_sagemaker.stack.StackConfig
    plan_json: str | None = None

    def start(self, rules: list[dict[str, Any]] | None) -> None:
        """Restart the service with these fault rules (None: faults off)."""
        from local_sagemaker.stack import stop_service

        self.plan_json = json.dumps({"faults": rules}) if rules else None
        stop_service(self.cfg, "sagemaker")
        self._up()

    def kill_and_restart(self) -> None:
        """SIGKILL the service in the middle of whatever it does, then start it again with the same plan."""
        from local_sagemaker.stack import stop_service

        stop_service(self.cfg, "sagemaker", signal.SIGKILL)
        self._up()

    def _up(self) -> None:
        from local_sagemaker.stack import up

        # The stack starts the service with this process's environment: the plan travels in it.
        if self.plan_json:
            os.environ[ENV_VAR] = self.plan_json
        try:
            up(self.cfg)
        finally:
            os.environ.pop(ENV_VAR, None)

    def counts(self) -> dict[str, dict[str, Any]]:
        with urllib.request.urlopen(f"{self.cfg.sagemaker_url}/_faults", timeout=10) as answer:
            return dict(json.load(answer)["counts"])

    def injected(self) -> dict[str, int]:
        return {rule: c["injected"] for rule, c in self.counts().items()}


@pytest.fixture(scope="module")
def faulty_service(local_stack: Any, airflow_db: Any) -> Iterator[FaultyService]:
    import retraining.dag_defaults

    # Short Airflow retry delays, read when the DAG files are parsed (each run_dag parses them again).
    saved_delay = os.environ.get(RETRY_DELAY_ENV)
    os.environ[RETRY_DELAY_ENV] = "0.5"
    importlib.reload(retraining.dag_defaults)
    service = FaultyService(local_stack)
    try:
        yield service
    finally:
        service.start(None)  # later tests get the service without faults
        if saved_delay is None:
            os.environ.pop(RETRY_DELAY_ENV, None)
        else:
            os.environ[RETRY_DELAY_ENV] = saved_delay
        importlib.reload(retraining.dag_defaults)


@pytest.fixture(scope="module")
def checker(local_stack: Any) -> Any:
    """A SageMaker client for the suite's own checks, with retries that ride over any injected fault."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "sagemaker",
        endpoint_url=local_stack.sagemaker_url,
        region_name=local_stack.region,
        config=Config(retries={"mode": "standard", "max_attempts": 10}),
    )
