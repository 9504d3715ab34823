"""Incremental retraining (warm start from yesterday's model through a `model` channel) vs a full retrain,
on the same day's data, over several days: training-job wall time and validation RMSE.

Both jobs are built by the nightly DAG's own request builders and run on the local SageMaker-compatible
service, one at a time, so they compete for nothing but the machine.
"""

from __future__ import annotations

import io
import os
import time
from datetime import date, timedelta
from typing import Any

import numpy as np

from bench.report import median, save, table
from bench.stack import start_stack

FIRST_DAY = date(2026, 5, 1)
DAYS = int(os.environ.get("BENCH_INCREMENTAL_DAYS", "4"))
ROWS = int(os.environ.get("BENCH_INCREMENTAL_ROWS", "200000"))
FULL_ROUNDS, EXTRA_ROUNDS = 300, 20


def _settings() -> Any:
    from retraining.nightly import NightlySettings

    return NightlySettings(
        bucket=os.environ["RETRAINING_BUCKET"],
        role_arn="arn:aws:iam::123456789012:role/SageMakerRole",
        region=os.environ["AWS_DEFAULT_REGION"],
        model_package_group="bench-incremental",
        mse_threshold=1.0,
        tolerance=0.05,
        extra_rounds=EXTRA_ROUNDS,
        full_rounds=FULL_ROUNDS,
        full_retrain_every_days=0,
        rows_per_day=ROWS,
        max_depth=6,
        eta=0.1,
    )


def _upload_partition(s3: Any, plan: dict[str, Any], day: date) -> None:
    from retraining.scripts.daily_data import partition

    bucket, prefix = plan["partition_s3_uri"].removeprefix("s3://").split("/", 1)
    for name, matrix in partition(day, ROWS, 0.0).items():
        if name in ("train", "validation"):
            buffer = io.BytesIO()
            np.savetxt(buffer, matrix, delimiter=",", fmt="%.6f")
            s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}/{name}.csv", Body=buffer.getvalue())


def _best_of(sagemaker: Any, request: dict[str, Any], repeats: int = 2) -> dict[str, Any]:
    """The fastest of a few identical runs (a busy machine only ever adds time); same model each run."""
    runs = [
        _run_training(sagemaker, {**request, "TrainingJobName": f"{request['TrainingJobName']}-r{i}"})
        for i in range(repeats)
    ]
    return min(runs, key=lambda r: r["wall"])


def _run_training(sagemaker: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Create the job and wait for it; wall time is from the create call to the Completed status."""
    started = time.monotonic()
    sagemaker.create_training_job(**request)
    while True:
        job = sagemaker.describe_training_job(TrainingJobName=request["TrainingJobName"])
        if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            break
        time.sleep(0.1)  # fine-grained: the status is seen at most 0.1 s late, either mode
    if job["TrainingJobStatus"] != "Completed":
        raise RuntimeError(f"{request['TrainingJobName']}: {job.get('FailureReason')}")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    phases = {
        t["Status"]: (t.get("EndTime") or t["StartTime"]).timestamp() - t["StartTime"].timestamp()
        for t in job["SecondaryStatusTransitions"]
    }
    return {
        "wall": time.monotonic() - started,
        # SecondaryStatus "Starting" is the worker's start-up; "Training" is parse + boosting rounds.
        "startup": phases.get("Starting", 0.0),
        "training": phases.get("Training", 0.0),
        "rmse": metrics["validation:rmse"],
        "artifact": job["ModelArtifacts"]["S3ModelArtifacts"],
    }


def _in_process_floor(day: date) -> tuple[float, float]:
    """xgboost alone, in this process, on the same day's data and rounds: (full s, incremental s), each the
    fastest of 2. Continuing a model first predicts the day's rows with every tree it already has (xgboost's
    prediction cache), so this ratio is the floor any service can reach on this data."""
    import xgboost

    from retraining.scripts.daily_data import partition

    data = partition(day, ROWS, 0.0)
    params = {"objective": "reg:squarederror", "eval_metric": "rmse", "max_depth": 6, "eta": 0.1}

    def matrices() -> tuple[Any, list[tuple[Any, str]]]:
        train = xgboost.DMatrix(data["train"][:, 1:], label=data["train"][:, 0])
        validation = xgboost.DMatrix(data["validation"][:, 1:], label=data["validation"][:, 0])
        return train, [(train, "train"), (validation, "validation")]

    def timed(rounds: int, prior: Any) -> tuple[float, Any]:
        train, evals = matrices()  # fresh matrices: no prediction cache carried over from another run
        started = time.perf_counter()
        model = xgboost.train(params, train, rounds, evals=evals, verbose_eval=False, xgb_model=prior)
        return time.perf_counter() - started, model

    full_runs = [timed(FULL_ROUNDS, None) for _ in range(2)]
    incremental_runs = [timed(EXTRA_ROUNDS, full_runs[0][1]) for _ in range(2)]
    return min(t for t, _ in full_runs), min(t for t, _ in incremental_runs)


def main() -> None:
    import boto3

    from retraining.nightly import plan_night

    start_stack("incremental")
    sagemaker, s3 = boto3.client("sagemaker"), boto3.client("s3")
    settings = _settings()
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    run = f"{int(time.time())}"

    def plan_for(day: date) -> dict[str, Any]:
        plan = plan_night(
            settings, dag_id=f"bench-{run}", partition=day, xgboost_image=image, processing_image=image
        )
        _upload_partition(s3, plan, day)
        return plan

    first = plan_for(FIRST_DAY)
    champion = {"model_data_url": _run_training(sagemaker, _request(first, "full", None))["artifact"]}
    rows, ratios, train_ratios, gaps, startups = [], [], [], [], []
    for offset in range(1, DAYS + 1):
        day = FIRST_DAY + timedelta(days=offset)
        plan = plan_for(day)
        full = _best_of(sagemaker, _request(plan, "full", None))
        incremental = _best_of(sagemaker, _request(plan, "incremental", champion))
        champion = {"model_data_url": incremental["artifact"]}
        ratio = incremental["wall"] / full["wall"]
        train_ratio = incremental["training"] / full["training"]
        gap = (incremental["rmse"] - full["rmse"]) / full["rmse"]
        ratios.append(ratio)
        train_ratios.append(train_ratio)
        gaps.append(gap)
        startups += [full["startup"], incremental["startup"]]
        rows.append(
            [
                day.isoformat(),
                f"{full['wall']:.2f}",
                f"{incremental['wall']:.2f}",
                f"{ratio:.2f}",
                f"{train_ratio:.2f}",
                f"{full['rmse']:.4f}",
                f"{incremental['rmse']:.4f}",
                f"{gap:+.1%}",
            ]
        )
    rows.append(
        [
            "median",
            "",
            "",
            f"{median(ratios):.2f}",
            f"{median(train_ratios):.2f}",
            "",
            "",
            f"{median(gaps):+.1%}",
        ]
    )
    floor_full, floor_incremental = _in_process_floor(FIRST_DAY + timedelta(days=1))
    floor_ratio = floor_incremental / floor_full
    save(
        "incremental",
        "Incremental vs full retraining (nightly_retrain's training jobs)",
        [
            (
                f"{DAYS} days, {ROWS} rows per day, full = {FULL_ROUNDS} rounds, "
                f"incremental = champion + {EXTRA_ROUNDS} rounds",
                table(
                    [
                        "day",
                        "full s",
                        "incremental s",
                        "time ratio",
                        "training-phase ratio",
                        "full val RMSE",
                        "incr. val RMSE",
                        "RMSE vs full",
                    ],
                    rows,
                ),
            )
        ],
        [
            "Wall time is from CreateTrainingJob to the Completed status, through the local service; it includes "
            "the job's fixed start-up (worker, data download, model upload), which both modes pay. The "
            "training-phase ratio compares the jobs' `Training` secondary status only (CSV parse + rounds).",
            f"Worker start-up (SecondaryStatus `Starting`, a fork of the service's pre-imported fork server): "
            f"median {median(startups):.2f} s per job. Before the fork server (a fresh interpreter importing "
            "xgboost, pandas and boto3 per job) it was ~2.2 s and the median time ratio was 0.69.",
            "Each time is the fastest of 2 identical runs (a busy machine only adds time).",
            "The incremental model continues yesterday's incremental model (the champion chain), as the DAG does.",
            f"xgboost alone, in this process, on {FIRST_DAY + timedelta(days=1)}'s data with the same rounds "
            f"(fastest of 2): full {floor_full:.2f} s, incremental {floor_incremental:.2f} s, ratio "
            f"{floor_ratio:.2f}. Continuing a model first predicts the day's rows with every tree it already has "
            "(xgboost's prediction cache), which a 20-round continuation of a 300-tree model cannot skip: that "
            "ratio is the floor for this data, before any service cost.",
            f"Targets (issue 5): time ratio <= 0.30: {'met' if median(ratios) <= 0.30 else 'NOT met'} "
            f"(median {median(ratios):.2f}; the training phase alone {median(train_ratios):.2f}, against the "
            f"algorithm's own {floor_ratio:.2f}; the rest is the ~0.3 s every job pays for S3 transfers and "
            "status, which weighs more on the shorter job). RMSE within 2 % of the full retrain's: "
            f"{'met' if median(gaps) <= 0.02 else 'NOT met'} (median {median(gaps):+.1%}, negative = better).",
        ],
    )


def _request(plan: dict[str, Any], mode: Any, champion: dict[str, Any] | None) -> dict[str, Any]:
    from retraining.nightly import night_names, night_training_request

    return night_training_request(plan, night_names(plan, mode, champion), mode, champion)
