"""`make demo`: run the DAGs on the local stack and print what they produced."""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retraining.history import HISTORY_COLUMNS, history_rows, read_group
from scripts.dag_runs import DagRunResult, task_result
from scripts.history_plot import save_history_png
from scripts.progress import run_with_progress

DEMO_DIR = Path(__file__).resolve().parent.parent / ".local" / "demo"


def run_dag(dag_id: str, logical_date: datetime, conf: dict[str, Any] | None = None) -> DagRunResult:
    """Run with one progress line per task; Airflow's own logs go to .local/demo/logs/."""
    return run_with_progress(dag_id, logical_date, conf or {}, DEMO_DIR / "logs")


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    fmt = "| " + " | ".join(f"{{:<{w}}}" for w in widths) + " |"
    return "\n".join([line, fmt.format(*headers), line, *(fmt.format(*r) for r in rows), line])


def sagemaker_client() -> Any:
    import boto3

    return boto3.client("sagemaker")


def demo_train_and_transform() -> list[str]:
    print(
        "== train_and_transform: seed data -> train (XGBoost) -> model -> batch transform -> evaluate",
        flush=True,
    )
    started = time.monotonic()
    result = run_dag("train_and_transform", datetime.now(UTC).replace(microsecond=0))
    if not result.succeeded():
        raise SystemExit(f"train_and_transform did not succeed: {result.task_states}")
    plan = task_result(result.dag_id, result.run_id, "plan")
    evaluation = task_result(result.dag_id, result.run_id, "evaluate")
    job = sagemaker_client().describe_training_job(TrainingJobName=plan["training_job_name"])
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    return [
        "train_and_transform",
        plan["training_job_name"],
        f"{metrics['validation:rmse']:.4f}",
        plan["transform_output_s3_uri"],
        str(evaluation["n"]),
        f"{evaluation['rmse']:.4f}",
        f"{time.monotonic() - started:.0f}s",
    ]


def demo_tune_and_transform() -> None:
    print(
        "== tune_and_transform: seed data -> tune (Bayesian, seed 000's ranges) -> model from the best job "
        "-> batch transform -> evaluate",
        flush=True,
    )
    started = time.monotonic()
    result = run_dag("tune_and_transform", datetime.now(UTC).replace(microsecond=0))
    if not result.succeeded():
        raise SystemExit(f"tune_and_transform did not succeed: {result.task_states}")
    best = task_result(result.dag_id, result.run_id, "best_model")
    evaluation = task_result(result.dag_id, result.run_id, "evaluate")
    tuning = sagemaker_client().describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=best["tuning_job"]
    )
    children = sum(tuning["TrainingJobStatusCounters"].values())
    print()
    print(
        table(
            [
                "tuning job",
                "best training job (= model)",
                best["objective_metric"],
                "children",
                "test rmse",
                "wall",
            ],
            [
                [
                    best["tuning_job"],
                    best["best_training_job"],
                    f"{best['objective_value']:.4f}",
                    f"{children} ({tuning['TrainingJobStatusCounters']['Completed']} completed)",
                    f"{evaluation['rmse']:.4f}",
                    f"{time.monotonic() - started:.0f}s",
                ]
            ],
        )
    )
    print()


DEMO_FIRST_NIGHT = date(2026, 3, 1)
# Night 3's training labels are corrupted on purpose: the quality gate must reject it and keep the champion.
DEMO_NIGHTS = [(0, 0.0), (1, 0.0), (2, 3.0), (3, 0.0)]


def demo_nightly_retrain() -> tuple[str, list[dict[str, Any]]]:
    group = f"demo-{uuid.uuid4().hex[:6]}"
    for offset, label_noise in DEMO_NIGHTS:
        partition = DEMO_FIRST_NIGHT + timedelta(days=offset)
        drill = " (corrupted labels: the gate should reject it)" if label_noise else ""
        print(f"== nightly_retrain for ds={partition}{drill}", flush=True)
        logical = datetime(partition.year, partition.month, partition.day, 3, tzinfo=UTC) + timedelta(days=1)
        conf = {"model_package_group": group, "rows_per_day": 3000, "label_noise": label_noise}
        result = run_dag("nightly_retrain", logical, conf)
        expected = "failed" if label_noise else "success"
        if result.state != expected:
            raise SystemExit(f"nightly_retrain ds={partition} ended {result.state}: {result.task_states}")
    print(f"model package group: {group}")
    return group, read_group(sagemaker_client(), group)


def main() -> int:
    if "AIRFLOW_CONN_AWS_DEFAULT" not in os.environ:
        raise SystemExit("source .local/env first (make demo does it for you)")
    rows = [demo_train_and_transform()]
    print()
    print(
        table(
            [
                "DAG",
                "training job",
                "validation:rmse",
                "transform output",
                "rows scored",
                "test rmse",
                "wall",
            ],
            rows,
        )
    )
    demo_tune_and_transform()
    group, records = demo_nightly_retrain()
    print()
    print(f"Model history (nightly_retrain, group {group})")
    print(table(HISTORY_COLUMNS, history_rows(records)))
    plot = save_history_png(records, DEMO_DIR / "model-history.png", f"Model history: {group}")
    print(f"plot: {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
