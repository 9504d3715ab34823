"""The DAGs on the compose topology without Docker: CeleryExecutor, Postgres, Redis, two Celery workers.

Follows docker-compose.yaml (itself Airflow's documented compose shape, "Running Airflow in Docker") and
the Airflow REST API v2 reference: runs are triggered and read through the API server, as the UI does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from retraining.history import read_group
from scripts import cluster_load
from scripts.backing_services import missing_packages
from scripts.celery_cluster import CeleryCluster
from scripts.cluster_load import NightlyLoad

# Its own xdist group: one cluster, and the tests that use it run on one pytest worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("celery-cluster")]

DAGS = ["train_and_transform", "tune_and_transform", "nightly_retrain"]
FIRST_NIGHT = date(2026, 5, 1)  # not the SQLite backfill test's nights, so these train for real
NIGHTS = 2
NIGHTLY_SETTINGS = {"rows_per_day": 1500, "full_retrain_every_days": 0, "extra_rounds": 8, "full_rounds": 30}


@pytest.fixture(scope="module")
def cluster(local_stack: Any) -> Iterator[CeleryCluster]:
    missing = missing_packages()
    if missing:
        pytest.skip(f"the Celery cluster needs Debian packages {missing}: run `make system-packages`")
    from local_sagemaker.stack import stack_env

    root = Path(tempfile.mkdtemp(prefix="celery-cluster-"))
    running = CeleryCluster(root=root, stack_env=stack_env(local_stack), workers=2)
    try:
        running.start()
        running.wait_ready(DAGS)
        yield running
    finally:
        running.stop()
        if not os.environ.get("CELERY_CLUSTER_KEEP"):  # set it to read the components' logs afterwards
            shutil.rmtree(root, ignore_errors=True)


def test_every_component_is_its_own_process_running_the_compose_settings(cluster: CeleryCluster) -> None:
    assert cluster.exited() == {}
    names = set(cluster.processes)
    assert names == {
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "worker-1",
        "worker-2",
    }
    assert len({p.pid for p in cluster.processes.values()}) == len(names)
    # The components share the Postgres metadata database: each kind has its job row there, alive.
    import psycopg2

    pg = cluster.postgres
    with (
        psycopg2.connect(
            host="127.0.0.1", port=pg.port, user=pg.user, password=pg.password, dbname=pg.database
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT DISTINCT job_type FROM job WHERE state = 'running'")
        assert {row[0] for row in cursor.fetchall()} >= {"SchedulerJob", "TriggererJob", "DagProcessorJob"}
    assert [w.split("@")[0] for w in cluster.celery_workers()] == ["worker-1", "worker-2"]
    health = cluster.get("/api/v2/monitor/health")
    assert {
        part: health[part]["status"] for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
    } == {
        "metadatabase": "healthy",
        "scheduler": "healthy",
        "triggerer": "healthy",
        "dag_processor": "healthy",
    }


@pytest.mark.timeout(1200)
def test_a_backfill_and_a_ui_triggered_run_share_the_celery_workers(
    cluster: CeleryCluster, sagemaker: Any
) -> None:
    """Issue 16's load, scaled to the suite: a backfill of `nightly_retrain` (`airflow backfill create`)
    while `train_and_transform` is triggered through the REST API, as the UI does (Airflow's REST API v2
    and backfill docs). `python -m bench scale` runs the same load over 14 nights."""
    load = NightlyLoad(
        group=f"celery-{uuid.uuid4().hex[:8]}",
        first_night=FIRST_NIGHT,
        nights=NIGHTS,
        settings=NIGHTLY_SETTINGS,
    )
    since = load.logical_date(0).isoformat().replace("+00:00", "Z")
    runs = cluster_load.start(cluster, lambda *args: cluster.airflow(*args), load, ["train_and_transform"])
    cluster_load.wait(cluster, load, runs, since, timeout=1000)
    report = cluster_load.report(cluster, sagemaker, load, runs, since)

    assert report.night_states == ["success"] * NIGHTS, report
    assert report.night_dates == [load.logical_date(i).date().isoformat() for i in range(NIGHTS)]
    assert not report.nights_overlapped, "max_active_runs 1: a night started before the last one ended"
    assert report.triggered_states == {"train_and_transform": "success"}
    assert report.duplicate_jobs == {}, "a task started a second SageMaker job"
    assert report.unreadable_logs == [] and report.not_done_tasks == []
    history = read_group(sagemaker, load.group)
    assert [(r["data_date"], r["version"]) for r in history] == [
        (day, version) for version, day in enumerate(load.partitions(), start=1)
    ]
    assert history[0]["training_mode"] == "full"
    # The plugin: the train task's link opens its job's page; the model-history page lists the nights.
    job_pages = [url for url in report.link_targets if "/jobs/" in url]
    assert job_pages, report.link_targets
    job = job_pages[0].rstrip("/").rsplit("/", 1)[-1]
    assert sagemaker.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] == "Completed"
    assert all(day in report.history_page for day in load.partitions())

    # Every task ran on a Celery worker, and both workers took some.
    run_id = runs.triggered["train_and_transform"]
    tasks = cluster.get(f"/api/v2/dags/train_and_transform/dagRuns/{run_id}/taskInstances")["task_instances"]
    assert {t["executor"] or "CeleryExecutor" for t in tasks} == {"CeleryExecutor"}
    assert {t["queue"] for t in tasks} == {"default"}
    received = {
        name: cluster.log_file(name).read_text(errors="replace").count("execute_workload")
        for name in ("worker-1", "worker-2")
    }
    assert all(received.values()) and sum(received.values()) >= len(tasks), received
