"""Load through a running Airflow: a `nightly_retrain` backfill while other DAGs are triggered over REST.

Used by the Celery cluster test (a few nights) and by `python -m bench scale` (14 nights, several
topologies). Works with any Airflow that has the REST API v2 (`AirflowUI` or `CeleryCluster`) and an
`airflow` CLI with the same settings. The checks are the ones a platform team makes after a backfill:
nights in date order, one SageMaker job per planned name, every task log readable, nothing left queued.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

TERMINAL = {"success", "failed"}
NIGHTLY = "nightly_retrain"
# The REST-triggered DAGs on small data, as a user of the Params form would set them.
CONCURRENT_CONF = {
    "train_and_transform": {"rows": 1500, "num_round": 4},
    "tune_and_transform": {"rows": 2000, "num_round": 4, "max_jobs": 2, "max_parallel": 2, "random_seed": 7},
}


class RestApi(Protocol):
    def get(self, path: str) -> Any: ...

    def call(self, method: str, path: str, body: Any = None) -> Any: ...

    def get_text(self, path: str) -> str: ...


Cli = Callable[..., object]  # cli("dags", "unpause", "x"): one `airflow` command, raising on failure


@dataclass(frozen=True)
class NightlyLoad:
    group: str  # the model package group the backfill registers into
    first_night: date  # the first data partition
    nights: int
    settings: dict[str, Any]  # nightly_retrain params

    def logical_date(self, offset: int) -> datetime:
        # The 03:00 run of day D retrains on partition D-1.
        night = self.first_night + timedelta(days=offset + 1)
        return datetime(night.year, night.month, night.day, 3, tzinfo=UTC)

    def partitions(self) -> list[str]:
        return [(self.first_night + timedelta(days=i)).isoformat() for i in range(self.nights)]


@dataclass
class LoadRuns:
    started: float  # time.monotonic() when the load was submitted
    triggered: dict[str, str] = field(default_factory=dict)  # dag_id -> run id of the REST-triggered run
    finished: float = 0.0


def start(api: RestApi, cli: Cli, load: NightlyLoad, concurrent: list[str]) -> LoadRuns:
    """Create the backfill with the CLI and trigger the `concurrent` DAGs through the REST API, as the UI does."""
    for dag_id in [NIGHTLY, *concurrent]:
        api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    runs = LoadRuns(started=time.monotonic())
    cli(
        "backfill", "create", "--dag-id", NIGHTLY,
        "--from-date", load.logical_date(0).isoformat(),
        "--to-date", load.logical_date(load.nights - 1).isoformat(),
        "--max-active-runs", "1",
        "--dag-run-conf", json.dumps({"model_package_group": load.group, **load.settings}),
    )  # fmt: skip
    for number, dag_id in enumerate(concurrent):
        stamp = load.logical_date(number).isoformat().replace("+00:00", "Z")
        run = api.call(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": stamp, "conf": CONCURRENT_CONF[dag_id]}
        )
        runs.triggered[dag_id] = str(run["dag_run_id"])
    return runs


def backfill_runs(api: RestApi) -> list[dict[str, Any]]:
    try:
        answer = api.get(f"/api/v2/dags/{NIGHTLY}/dagRuns?run_type=backfill&order_by=logical_date&limit=100")
    except (urllib.error.URLError, TimeoutError):  # a busy API server on 2 cores: ask again
        return []
    return list(answer["dag_runs"])


def wait(api: RestApi, load: NightlyLoad, runs: LoadRuns, backfill_since: str, timeout: float) -> None:
    """Until every night of the backfill (logical date >= backfill_since) and every triggered run is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        nights = [r for r in backfill_runs(api) if r["logical_date"] >= backfill_since]
        others = [api.get(f"/api/v2/dags/{d}/dagRuns/{r}")["state"] for d, r in runs.triggered.items()]
        if (
            len(nights) >= load.nights
            and all(r["state"] in TERMINAL for r in nights)
            and set(others) <= TERMINAL
        ):
            runs.finished = time.monotonic()
            return
        time.sleep(3)
    raise TimeoutError(f"the load was not done after {timeout:.0f}s")


@dataclass
class LoadReport:
    night_states: list[str]
    night_dates: list[str]  # logical dates, in the order the nights started
    nights_overlapped: bool  # did a night start before the previous one ended (max_active_runs 1)?
    triggered_states: dict[str, str]
    duplicate_jobs: dict[str, int]  # planned job name -> how many jobs carry it (only those above 1)
    unreadable_logs: list[str]  # "dag/run/task": logs the API server could not return
    not_done_tasks: list[str]  # "dag/run/task state": left queued, scheduled or running
    scheduling_delays: list[float]  # seconds from a task being scheduled to it starting, every task
    link_targets: list[str]  # the train task's extra links of the first night
    history_page: str  # the model-history page for the load's group

    def delay_percentile(self, fraction: float) -> float:
        ordered = sorted(self.scheduling_delays)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")

    def median_delay(self) -> float:
        return statistics.median(self.scheduling_delays) if self.scheduling_delays else float("nan")


def report(
    api: RestApi, sagemaker: Any, load: NightlyLoad, runs: LoadRuns, backfill_since: str
) -> LoadReport:
    nights = [r for r in backfill_runs(api) if r["logical_date"] >= backfill_since]
    by_start = sorted(nights, key=lambda r: r["start_date"] or "")
    all_runs = [(NIGHTLY, r["dag_run_id"]) for r in nights] + list(runs.triggered.items())
    tasks = {(dag, run): _task_instances(api, dag, run) for dag, run in all_runs}
    first_night = by_start[0]["dag_run_id"] if by_start else ""
    return LoadReport(
        night_states=[r["state"] for r in by_start],
        night_dates=[r["logical_date"][:10] for r in by_start],
        nights_overlapped=any(
            later["start_date"] < (earlier["end_date"] or "")
            for earlier, later in itertools.pairwise(by_start)
        ),
        triggered_states={
            d: api.get(f"/api/v2/dags/{d}/dagRuns/{r}")["state"] for d, r in runs.triggered.items()
        },
        duplicate_jobs=_duplicates(api, sagemaker, [r["dag_run_id"] for r in nights]),
        unreadable_logs=[
            f"{dag}/{run}/{t['task_id']}"
            for (dag, run), instances in tasks.items()
            for t in instances
            if t["try_number"] and not _log_readable(api, dag, run, t)
        ],
        not_done_tasks=[
            f"{dag}/{run}/{t['task_id']} {t['state']}"
            for (dag, run), instances in tasks.items()
            for t in instances
            if t["state"] in {"queued", "scheduled", "running", "up_for_retry", "restarting", None}
        ],
        scheduling_delays=[
            delay for instances in tasks.values() for t in instances if (delay := _delay(t)) is not None
        ],
        link_targets=sorted(
            str(url)
            for url in api.get(f"/api/v2/dags/{NIGHTLY}/dagRuns/{first_night}/taskInstances/train/links")[
                "extra_links"
            ].values()
            if url
        )
        if first_night
        else [],
        history_page=api.get_text(f"/model-history/?group={load.group}"),
    )


def _task_instances(api: RestApi, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")
    return list(answer["task_instances"])


def _log_readable(api: RestApi, dag_id: str, run_id: str, task: dict[str, Any]) -> bool:
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task['task_id']}/logs/{task['try_number']}"
    content = str(api.get(path).get("content", ""))
    # The API server says so in the log body when no worker or file has it.
    return (
        bool(content) and "Could not read served logs" not in content and "*** No logs found" not in content
    )


def _delay(task: dict[str, Any]) -> float | None:
    since = task.get("scheduled_when") or task.get("queued_when")
    if not since or not task.get("start_date"):
        return None
    return (_when(task["start_date"]) - _when(since)).total_seconds()


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _duplicates(api: RestApi, sagemaker: Any, night_run_ids: list[str]) -> dict[str, int]:
    """Every job name a night's `plan` chose, against the jobs of all kinds whose name contains it."""
    listings = [
        ("list_training_jobs", "TrainingJobSummaries"),
        ("list_processing_jobs", "ProcessingJobSummaries"),
        ("list_transform_jobs", "TransformJobSummaries"),
    ]
    counts: dict[str, int] = {}
    for run_id in night_run_ids:
        plan = _plan(api, run_id)
        for key, name in plan.items():
            if not key.endswith("_job_name") or not name:
                continue
            found = sum(
                len(page[field_name])
                for method, field_name in listings
                for page in sagemaker.get_paginator(method).paginate(NameContains=name)
            )
            if found > 1:
                counts[name] = found
    return counts


def _plan(api: RestApi, run_id: str) -> dict[str, Any]:
    path = f"/api/v2/dags/{NIGHTLY}/dagRuns/{run_id}/taskInstances/plan/xcomEntries/return_value?deserialize=true"
    value = api.get(path)["value"]
    return dict(json.loads(value) if isinstance(value, str) else value)
