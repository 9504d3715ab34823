"""The DAGs on the compose topology without Docker: CeleryExecutor, Postgres, Redis, two Celery workers.

Follows docker-compose.yaml (itself Airflow's documented compose shape, "Running Airflow in Docker") and
the Airflow REST API v2 reference: runs are triggered and read through the API server, as the UI does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.backing_services import missing_packages
from scripts.celery_cluster import CeleryCluster

# Its own xdist group: one cluster, and the tests that use it run on one pytest worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("celery-cluster")]

DAGS = ["train_and_transform", "tune_and_transform", "nightly_retrain"]
TERMINAL = {"success", "failed"}


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


def wait_for_run(cluster: CeleryCluster, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = cluster.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        if run["state"] in TERMINAL:
            return run
        time.sleep(3)
    raise TimeoutError(f"{dag_id} {run_id} still {run.get('state')} after {timeout}s")


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


@pytest.mark.timeout(900)
def test_a_run_triggered_through_the_api_runs_on_the_celery_workers(cluster: CeleryCluster) -> None:
    dag_id = "train_and_transform"
    cluster.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    run = cluster.call(
        "POST",
        f"/api/v2/dags/{dag_id}/dagRuns",
        {"logical_date": "2026-11-02T00:00:00Z", "conf": {"rows": 1500, "num_round": 4}},
    )
    finished = wait_for_run(cluster, dag_id, run["dag_run_id"], timeout=600)
    tasks = cluster.get(f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances")["task_instances"]
    assert finished["state"] == "success", [(t["task_id"], t["state"]) for t in tasks]
    assert {t["executor"] or "CeleryExecutor" for t in tasks} == {"CeleryExecutor"}
    assert {t["queue"] for t in tasks} == {"default"}

    # Every task's log, read through the API server (the workers write it to the shared log folder).
    for task in tasks:
        log = cluster.get(
            f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances/{task['task_id']}"
            f"/logs/{task['try_number']}"
        )
        text = str(log["content"])
        assert task["task_id"] in text or "Task instance" in text or len(text) > 100, (
            task["task_id"],
            text[:500],
        )

    # The Celery workers, not the scheduler, ran them: each worker's log shows the tasks it received.
    received = {
        name: cluster.log_file(name).read_text(errors="replace").count("execute_workload")
        for name in ("worker-1", "worker-2")
    }
    assert sum(received.values()) >= len(tasks), received
