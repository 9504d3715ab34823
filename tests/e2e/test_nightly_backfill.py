"""A backfill of `nightly_retrain` through the real Airflow machinery: `airflow backfill create` + a scheduler.

The history it leaves in the registry must be the one a day-by-day schedule produces; running those days
again one by one afterwards must start no job and register nothing new.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from retraining.history import read_group
from scripts.airflow_ui import AirflowUI
from scripts.dag_runs import run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("airflow-ui")]

FIRST_NIGHT = date(2026, 4, 1)
NIGHTS = 2  # a full night, then an incremental one from it: the chain a backfill must keep
# Different rows per day from the other nightly test, so this backfill trains for real.
SETTINGS = {"rows_per_day": 1500, "full_retrain_every_days": 0, "extra_rounds": 8, "full_rounds": 30}
TERMINAL = {"success", "failed"}


def logical_date(partition: date) -> datetime:
    # The 03:00 run of day D retrains on partition D-1.
    return datetime(partition.year, partition.month, partition.day, 3, tzinfo=UTC) + timedelta(days=1)


def airflow_cli(ui: AirflowUI, *args: str) -> str:
    airflow = Path(sys.executable).parent / "airflow"
    for _ in range(5):
        done = subprocess.run(
            [str(airflow), *args],
            env=ui.environment(dict(os.environ)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        # SQLite allows one writer: the CLI can lose a race with the scheduler; its transaction rolls back.
        if "database is locked" not in done.stderr:
            break
        time.sleep(2)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def backfill_runs(ui: AirflowUI) -> list[dict[str, Any]]:
    try:
        runs = ui.get("/api/v2/dags/nightly_retrain/dagRuns?run_type=backfill&order_by=logical_date")
    except (urllib.error.URLError, TimeoutError):  # one API worker, busy on a 2-core machine
        return []
    return list(runs["dag_runs"])


def history(sagemaker: Any, group: str) -> list[tuple[Any, ...]]:
    return [
        (r["data_date"], r["version"], r["approval"], r["training_mode"], r["parent_version"], r["mse"])
        for r in read_group(sagemaker, group)
    ]


def training_jobs(sagemaker: Any) -> set[str]:
    pages = sagemaker.get_paginator("list_training_jobs").paginate(NameContains="nr-train")
    return {j["TrainingJobName"] for page in pages for j in page["TrainingJobSummaries"]}


@pytest.mark.timeout(900)
def test_backfill_matches_day_by_day_history(airflow_ui: AirflowUI, airflow_db: Any, sagemaker: Any) -> None:
    group = f"backfill-{uuid.uuid4().hex[:8]}"
    # The scheduler runs a paused DAG's backfill runs only once the DAG is unpaused, as users do.
    airflow_cli(airflow_ui, "dags", "unpause", "nightly_retrain")
    first, last = logical_date(FIRST_NIGHT), logical_date(FIRST_NIGHT + timedelta(days=NIGHTS - 1))
    airflow_cli(
        airflow_ui,
        "backfill",
        "create",
        "--dag-id",
        "nightly_retrain",
        "--from-date",
        first.isoformat(),
        "--to-date",
        last.isoformat(),
        "--max-active-runs",
        "1",
        "--dag-run-conf",
        json.dumps({"model_package_group": group, **SETTINGS}),
    )

    deadline = time.monotonic() + 900
    runs = backfill_runs(airflow_ui)
    while time.monotonic() < deadline and (
        len(runs) < NIGHTS or not all(r["state"] in TERMINAL for r in runs)
    ):
        time.sleep(5)
        runs = backfill_runs(airflow_ui)
    assert [r["state"] for r in runs] == ["success"] * NIGHTS, runs
    assert [r["logical_date"][:10] for r in runs] == [
        (FIRST_NIGHT + timedelta(days=i + 1)).isoformat() for i in range(NIGHTS)
    ]

    backfilled = history(sagemaker, group)
    assert [(h[0], h[1], h[2], h[3], h[4]) for h in backfilled] == [
        ("2026-04-01", 1, "Approved", "full", ""),
        ("2026-04-02", 2, "Approved", "incremental", "1"),
    ]

    # The same days, one by one, into another group: the same history, and no job trained again.
    trained = training_jobs(sagemaker)
    day_by_day = f"daily-{uuid.uuid4().hex[:8]}"
    for offset in range(NIGHTS):
        partition = FIRST_NIGHT + timedelta(days=offset)
        result = run_dag(
            "nightly_retrain", logical_date(partition), {"model_package_group": day_by_day, **SETTINGS}
        )
        assert result.succeeded(), result.task_states
    assert history(sagemaker, day_by_day) == backfilled
    assert training_jobs(sagemaker) == trained
