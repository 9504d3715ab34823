"""End-to-end wall time of each DAG on the local stack, split into SageMaker job time, polling wait and
Airflow overhead."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import save, table

REPO = Path(__file__).resolve().parent.parent
STATE = REPO / ".local" / "bench"

# (job kind for Describe, task that creates it, sensor that waits for it)
JOBS = {
    "train_and_transform": [
        ("processing", "seed_data", "await_seed_data"),
        ("training", "train", "await_training"),
        ("transform", "transform", "await_transform"),
    ],
}
_DESCRIBE = {
    "processing": (
        "describe_processing_job",
        "ProcessingJobName",
        "ProcessingStartTime",
        "ProcessingEndTime",
    ),
    "training": ("describe_training_job", "TrainingJobName", "TrainingStartTime", "TrainingEndTime"),
    "transform": ("describe_transform_job", "TransformJobName", "TransformStartTime", "TransformEndTime"),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare_environment() -> Any:
    """A stack and an Airflow home of the benchmark's own, so it never disturbs a running demo."""
    os.environ["AIRFLOW_HOME"] = str(STATE / "airflow")
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from local_sagemaker.stack import StackConfig, stack_env, up

    cfg = StackConfig(base_dir=STATE / "stack", s3_port=_free_port(), sagemaker_port=_free_port())
    up(cfg)
    os.environ.update(stack_env(cfg))
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"], check=True, capture_output=True
    )
    return cfg


def _task_times(dag_id: str, run_id: str) -> dict[str, tuple[datetime, datetime]]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id).all()
        return {ti.task_id: (ti.start_date, ti.end_date) for ti in rows if ti.start_date and ti.end_date}


def measure(dag_id: str) -> list[object]:
    import boto3

    from scripts.dag_runs import run_dag

    started = time.monotonic()
    result = run_dag(dag_id, datetime.now(UTC).replace(microsecond=0))
    wall = time.monotonic() - started
    if not result.succeeded():
        raise SystemExit(f"{dag_id} failed: {result.task_states}")
    sagemaker = boto3.client("sagemaker")
    tasks = _task_times(dag_id, result.run_id)
    job_seconds = startup_seconds = polling_seconds = 0.0
    for kind, creator, sensor in JOBS[dag_id]:
        method, field, start_field, end_field = _DESCRIBE[kind]
        name = _job_name(dag_id, result.run_id, creator)
        job = getattr(sagemaker, method)(**{field: name})
        job_seconds += (job[end_field] - job[start_field]).total_seconds()
        startup_seconds += (job[start_field] - job["CreationTime"]).total_seconds()
        polling_seconds += max(0.0, (tasks[sensor][1] - job[end_field]).total_seconds())
    overhead = wall - job_seconds - startup_seconds - polling_seconds
    return [
        dag_id,
        f"{wall:.1f}",
        f"{job_seconds:.1f} ({job_seconds / wall:.0%})",
        f"{startup_seconds:.1f} ({startup_seconds / wall:.0%})",
        f"{polling_seconds:.1f} ({polling_seconds / wall:.0%})",
        f"{overhead:.1f} ({overhead / wall:.0%})",
    ]


def _job_name(dag_id: str, run_id: str, task_id: str) -> str:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(run_id=run_id, dag_ids=dag_id, task_ids=task_id, key="job_name")
        ).first()
        return str(XComModel.deserialize_value(row))


def main() -> None:
    from local_sagemaker.stack import down

    shutil.rmtree(STATE, ignore_errors=True)
    cfg = _prepare_environment()
    try:
        rows = [measure(dag_id) for dag_id in JOBS]
    finally:
        down(cfg)
    save(
        "e2e",
        "End-to-end DAG runs on the local stack",
        [
            (
                "One run each, seconds (share of wall time)",
                table(
                    ["DAG", "wall", "SageMaker job time", "job start-up", "polling wait", "Airflow overhead"],
                    rows,
                ),
            )
        ],
        [
            "Job time: sum of each job's start-to-end as the service describes it (the jobs run one after another).",
            "Job start-up: creation to start (worker process launch and imports in the local service).",
            "Polling wait: from a job's end until its sensor finished; sensors poke every RETRAINING_POLL_SECONDS (2 s locally).",
            "Airflow overhead: the rest (task start-up in dag.test, plan/upload/evaluate tasks, scheduling loop).",
        ],
    )


if __name__ == "__main__":
    main()
