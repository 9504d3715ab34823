"""Scale: the same load on three Airflow topologies, and the local service's Describe latency under 20 jobs.

(1) A backfill of `nightly_retrain` (BENCH_SCALE_NIGHTS nights, 14 by default) while `train_and_transform`
and `tune_and_transform` are triggered through the REST API, on `airflow standalone` (SQLite,
LocalExecutor), on CeleryExecutor + Postgres + Redis with 1 worker, and with 2 workers, one after another in
one run against one local stack. Reported: nights per hour, the seconds from a task being scheduled to it
starting (p50/p95, every task of the load), and the load's checks (scripts/cluster_load.py).
(2) DescribeTrainingJob latency (p50/p99 of BENCH_SCALE_DESCRIBES calls) with the service idle and while 20
training jobs submitted at once run, and how long the last of the 20 took.

Opt-in (`python -m bench scale`): with 14 nights it takes about an hour on 2 CPUs. BENCH_SCALE_TOPOLOGIES
picks some of `standalone,celery-1,celery-2`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from bench.report import save, table
from bench.stack import STATE, free_port, start_stack

NAME = "scale"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
TOPOLOGIES = ("standalone", "celery-1", "celery-2")
CONCURRENT = ["train_and_transform", "tune_and_transform"]
DAGS = ["nightly_retrain", *CONCURRENT]
SETTINGS = {"rows_per_day": 1500, "full_retrain_every_days": 0, "extra_rounds": 8, "full_rounds": 30}


def _nights() -> int:
    return int(os.environ.get("BENCH_SCALE_NIGHTS", "14"))


def _topologies() -> list[str]:
    chosen = os.environ.get("BENCH_SCALE_TOPOLOGIES", ",".join(TOPOLOGIES)).split(",")
    unknown = [t for t in chosen if t not in TOPOLOGIES]
    if unknown:
        raise SystemExit(f"BENCH_SCALE_TOPOLOGIES: unknown {unknown}; choose from {', '.join(TOPOLOGIES)}")
    return chosen


def _start_airflow(topology: str, root: Path, stack_env: dict[str, str]) -> Any:
    if topology == "standalone":
        from scripts.airflow_ui import AirflowUI

        ui = AirflowUI(home=root / "airflow", port=free_port(), run_schedules=False)
        ui.start({**os.environ, **stack_env})
        ui.wait_ready(DAGS)
        return ui
    from scripts.celery_cluster import CeleryCluster

    cluster = CeleryCluster(root=root, stack_env=stack_env, workers=int(topology.split("-")[1]))
    cluster.start()
    cluster.wait_ready(DAGS)
    return cluster


def _cli(airflow: Any) -> Any:
    if hasattr(airflow, "airflow"):
        return lambda *args: airflow.airflow(*args)
    import subprocess
    import sys

    def run(*args: str) -> None:
        command = [str(Path(sys.executable).parent / "airflow"), *args]
        done = subprocess.run(
            command, env=airflow.environment(dict(os.environ)), capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stderr[-3000:]}")

    return run


def _load_row(topology: str, first_night: date, stack_env: dict[str, str], sagemaker: Any) -> list[object]:
    from scripts import cluster_load
    from scripts.cluster_load import NightlyLoad

    root = STATE / NAME / topology
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    airflow = _start_airflow(topology, root, stack_env)
    try:
        load = NightlyLoad(f"scale-{uuid.uuid4().hex[:8]}", first_night, _nights(), SETTINGS)
        since = load.logical_date(0).isoformat().replace("+00:00", "Z")
        runs = cluster_load.start(airflow, _cli(airflow), load, CONCURRENT)
        cluster_load.wait(airflow, load, runs, since, timeout=600 * load.nights)
        result = cluster_load.report(airflow, sagemaker, load, runs, since)
    finally:
        airflow.stop()
    hours = (runs.finished - runs.started) / 3600
    checks = [
        "nights in order" if result.night_dates == sorted(result.night_dates) else "NIGHTS OUT OF ORDER",
        f"{sum(result.duplicate_jobs.values())} duplicate jobs",
        f"{len(result.unreadable_logs)} unreadable logs",
        f"{len(result.not_done_tasks)} tasks not done",
        f"nights {'/'.join(sorted(set(result.night_states)))}, others "
        + "/".join(sorted(set(result.triggered_states.values()))),
    ]
    return [
        topology,
        load.nights,
        f"{(runs.finished - runs.started) / 60:.1f}",
        f"{load.nights / hours:.1f}",
        f"{result.median_delay():.1f}",
        f"{result.delay_percentile(0.95):.1f}",
        "; ".join(checks),
    ]


def _training_request(bucket: str, prefix: str, name: str) -> dict[str, Any]:
    channel = {
        "ChannelName": "train",
        "ContentType": "text/csv",
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": f"s3://{bucket}/{prefix}/train.csv",
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [channel],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/{prefix}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "HyperParameters": {"objective": "reg:squarederror", "num_round": "200", "max_depth": "6"},
    }


def _describe_latencies(sagemaker: Any, name: str, calls: int) -> list[float]:
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        sagemaker.describe_training_job(TrainingJobName=name)
        seconds.append(time.perf_counter() - started)
    return seconds


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _describe_rows(cfg: Any, sagemaker: Any, s3: Any) -> list[list[object]]:
    import numpy as np

    calls = int(os.environ.get("BENCH_SCALE_DESCRIBES", "400"))
    prefix = f"scale-{uuid.uuid4().hex[:8]}"
    rng = np.random.default_rng(7)
    features = rng.random((20_000, 8))
    labels = features @ rng.random(8)
    body = "\n".join(",".join(f"{v:.5f}" for v in (y, *x)) for y, x in zip(labels, features, strict=True))
    s3.put_object(Bucket=cfg.bucket, Key=f"{prefix}/train.csv", Body=body.encode())
    names = [f"{prefix}-{i:02d}" for i in range(20)]
    sagemaker.create_training_job(**_training_request(cfg.bucket, prefix, names[0]))
    _wait_done(sagemaker, names[:1])
    idle = _describe_latencies(sagemaker, names[0], calls)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:  # "submitted at once"
        list(
            pool.map(
                lambda n: sagemaker.create_training_job(**_training_request(cfg.bucket, prefix, n)), names[1:]
            )
        )
    busy = _describe_latencies(sagemaker, names[1], calls)
    statuses = _wait_done(sagemaker, names[1:])
    last = time.monotonic() - started
    rows = []
    for label, values in (("idle", idle), ("19 training jobs running", busy)):
        rows.append(
            [
                label,
                calls,
                f"{1000 * statistics.median(values):.1f}",
                f"{1000 * _percentile(values, 0.99):.1f}",
            ]
        )
    rows.append(["all 19 done", "-", f"in {last:.0f} s", "/".join(sorted(set(statuses)))])
    return rows


def _wait_done(sagemaker: Any, names: list[str]) -> list[str]:
    while True:
        statuses = [sagemaker.describe_training_job(TrainingJobName=n)["TrainingJobStatus"] for n in names]
        if all(s in {"Completed", "Failed", "Stopped"} for s in statuses):
            return statuses
        time.sleep(1)


def main() -> None:
    import boto3

    from local_sagemaker.stack import stack_env

    cfg = start_stack(NAME)
    env = stack_env(cfg)
    sagemaker = boto3.client("sagemaker", endpoint_url=cfg.sagemaker_url, region_name=cfg.region)
    s3 = boto3.client("s3", endpoint_url=cfg.s3_url, region_name=cfg.region)
    describe = _describe_rows(cfg, sagemaker, s3)
    rows = []
    for number, topology in enumerate(_topologies()):
        # Each topology trains its own nights (another year), so no run reuses another's jobs.
        rows.append(_load_row(topology, date(2025 - number, 3, 1), env, sagemaker))
    save(
        NAME,
        "Scale: the nightly backfill under load on three Airflow topologies; Describe under 20 jobs",
        [
            (
                "Backfill of nightly_retrain while train_and_transform and tune_and_transform run (REST-triggered)",
                table(
                    ["topology", "nights", "minutes", "nights/hour", "sched→start p50 s", "p95 s", "checks"],
                    rows,
                ),
            ),
            ("DescribeTrainingJob latency", table(["service", "calls", "p50 ms", "p99 ms"], describe)),
        ],
        [
            "standalone: `airflow standalone` (SQLite, LocalExecutor, parallelism 4); celery-N: scheduler, "
            "dag-processor, triggerer, api-server and N Celery workers as separate processes on Postgres and "
            "Redis, with docker-compose.yaml's settings (scripts/celery_cluster.py).",
            "sched→start: a task instance's start_date minus its scheduled_when (scheduler + executor + worker "
            "start), over every task of the load.",
            "Every topology's load runs against the same local SageMaker service, one after another.",
        ],
    )
