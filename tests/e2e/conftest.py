"""A real Airflow (api-server, scheduler, dag-processor, triggerer) shared by the tests that need one."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.airflow_ui import AirflowUI
from tests.conftest import TEST_STATE, free_port


@pytest.fixture(scope="session")
def airflow_ui(local_stack: Any) -> Iterator[AirflowUI]:
    # Schedules off: only what a test triggers or backfills runs, never "last night" on its own.
    home = TEST_STATE / f"airflow-ui-{os.getpid()}"
    ui = AirflowUI(home=home, port=free_port(), run_schedules=False)
    ui.start()
    try:
        ui.wait_ready(["train_and_transform", "nightly_retrain"])
        yield ui
    finally:
        ui.stop()
        shutil.rmtree(home, ignore_errors=True)
