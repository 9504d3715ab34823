"""Scaling: how wall time grows with (1) data size — a training job and a batch transform job at 10k, 100k
and 1M rows; (2) tuning budget — one tuning job of 2 .. 32 training jobs, and 8 jobs 1 vs 2 at a time;
(3) the model registry — creating, listing and describing up to 1,000 model versions, champion selection,
and the model-history page over them.

Everything runs through the local SageMaker-compatible service of an isolated stack (`start_stack`), with
boto3 clients, the XGBoost built-in image and the project's own request builders and registry readers.

Environment (defaults fit ~3.5 minutes on 2 CPUs):
- `BENCH_SCALING_MAX_ROWS` (1000000): the largest data size; sizes are 10k, 100k, 1M, 10M ... up to it.
- `BENCH_SCALING_TUNING_SECONDS` (100): time for part (2). 2 and 8 jobs (2 at a time) and 8 jobs one at a
  time always run; 4, 16 and 32 jobs run only if projected to fit in what is left, else the report says so.
- `BENCH_SCALING_SECONDS` (210): the whole benchmark's time target. Part (1) runs last, each size once and
  then a second time (the fastest run counts) only if that is projected to end within the target.
- `BENCH_SCALING_MAX_VERSIONS` (1000): the largest registry size; sizes are 10, 100, 1000, ... up to it.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import numpy as np

from bench.report import save, table
from bench.stack import STATE as BENCH_STATE
from bench.stack import start_stack

NAME = "scaling"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
FEATURES, DATA_SEED = 8, 1234
NUM_ROUND = 20  # fixed, so training time follows the data alone
MAX_ROWS = int(os.environ.get("BENCH_SCALING_MAX_ROWS", "1000000"))
ROW_SIZES = tuple(10**k for k in range(4, 12) if 10**k <= max(MAX_ROWS, 10_000))
DATA_REPEATS = 2  # the second (and later) runs only while the whole benchmark stays within TOTAL_SECONDS

TUNING_ROWS, TUNING_NUM_ROUND, TUNING_SEED = 2_000, 10, 7
TOTAL_SECONDS = float(os.environ.get("BENCH_SCALING_SECONDS", "210"))
TUNING_SECONDS = float(os.environ.get("BENCH_SCALING_TUNING_SECONDS", "100"))
# (MaxNumberOfTrainingJobs, MaxParallelTrainingJobs) in the order run: the first three always run (the
# smallest budget and the 8-jobs 1-vs-2 comparison), the rest only while the part's time is projected to last.
TUNING_RUNS = ((2, 2), (8, 2), (8, 1), (4, 2), (16, 2), (32, 2))
TUNING_ALWAYS = 3

MAX_VERSIONS = int(os.environ.get("BENCH_SCALING_MAX_VERSIONS", "1000"))
VERSION_SIZES = tuple(10**k for k in range(1, 7) if 10**k <= max(MAX_VERSIONS, 10))
# The small group's name has capitals: its ARNs (lower-cased) miss the service's key lookup.
GROUP, SMALL_GROUP = "scaling-history", "Scaling-Small"
FIRST_NIGHT = date(2024, 1, 1)
DESCRIBE_SAMPLES, PAGE_SAMPLES = 50, 10


def _wait(describe: Callable[..., dict[str, Any]], status_key: str, **name: str) -> dict[str, Any]:
    """Describe the job every 0.2 s until it leaves InProgress/Stopping."""
    while True:
        job = describe(**name)
        if job[status_key] not in ("InProgress", "Stopping"):
            return job
        time.sleep(0.2)


def _seconds(job: dict[str, Any], start: str, end: str) -> float:
    return float((job[end] - job[start]).total_seconds())


# --- data -------------------------------------------------------------------------------------------------


def _synthetic(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and a regression target with some non-linearity; the same seed gives the same data."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, FEATURES)).astype(np.float32)
    weights = np.linspace(1.0, -1.0, FEATURES, dtype=np.float32)
    target = (
        features @ weights
        + 0.5 * np.sin(features[:, 0] * features[:, 1])
        + 0.1 * rng.normal(size=rows).astype(np.float32)
    )
    return features, target


def _csv(matrix: np.ndarray) -> bytes:
    """Fixed-width CSV (`+1.2345,-0.0312`), built with numpy: pandas' to_csv needs ~30 s for 1M rows here.

    Values are clipped to +-9.9999 (the synthetic data lies well inside) and rounded to 4 decimals."""
    decimals = 4
    quantized = np.rint(np.clip(matrix.astype(np.float64), -9.9999, 9.9999) * 10**decimals).astype(np.int64)
    negative, digits = quantized < 0, np.abs(quantized)
    rows, columns = matrix.shape
    cells = np.empty((rows, columns, decimals + 4), dtype=np.uint8)  # sign, digit, point, decimals, comma
    cells[:, :, 0] = np.where(negative, ord("-"), ord("+"))
    for position in range(decimals + 2, 2, -1):  # the decimals, last first
        cells[:, :, position] = ord("0") + digits % 10
        digits //= 10
    cells[:, :, 1] = ord("0") + digits
    cells[:, :, 2] = ord(".")
    cells[:, :, -1] = ord(",")
    cells[:, -1, -1] = ord("\n")
    return cells.tobytes()


def _put(s3: Any, bucket: str, key: str, body: bytes) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body)


# --- (1) data size -----------------------------------------------------------------------------------------


def _train_and_score(
    sagemaker: Any, s3: Any, bucket: str, prefix: str, rows: int, tag: str
) -> dict[str, Any]:
    """One training job on `prefix`/train/, a model from it and a transform of `prefix`/score/; timings."""
    from retraining.builders import model_request, training_request, transform_request
    from retraining.settings import AwsJobSettings

    settings = AwsJobSettings(bucket=bucket, role_arn=ROLE, region=os.environ["AWS_DEFAULT_REGION"])
    job, model, transform = f"scale-train-{tag}", f"scale-model-{tag}", f"scale-score-{tag}"
    request = training_request(
        job=job,
        settings=settings,
        hyperparameters={
            "objective": "reg:squarederror",
            "num_round": str(NUM_ROUND),
            "max_depth": "6",
            "eta": "0.2",
        },
        image_uri=IMAGE,
        train_s3_uri=f"s3://{bucket}/{prefix}/train/",
        validation_s3_uri=None,
        output_s3_path=f"s3://{bucket}/{prefix}/models",
    )
    started = time.monotonic()
    sagemaker.create_training_job(**request)
    trained = _wait(sagemaker.describe_training_job, "TrainingJobStatus", TrainingJobName=job)
    train_wall = time.monotonic() - started
    if trained["TrainingJobStatus"] != "Completed":
        raise SystemExit(f"{job}: {trained['TrainingJobStatus']}: {trained.get('FailureReason')}")
    sagemaker.create_model(
        **model_request(
            model=model,
            image_uri=IMAGE,
            model_data_url=trained["ModelArtifacts"]["S3ModelArtifacts"],
            role_arn=ROLE,
        )
    )
    started = time.monotonic()
    sagemaker.create_transform_job(
        **transform_request(
            job=transform,
            model=model,
            input_s3_uri=f"s3://{bucket}/{prefix}/score/",
            output_s3_path=f"s3://{bucket}/{prefix}/scores-{tag}",
            instance_type=settings.transform_instance_type,
        )
    )
    scored = _wait(sagemaker.describe_transform_job, "TransformJobStatus", TransformJobName=transform)
    transform_wall = time.monotonic() - started
    if scored["TransformJobStatus"] != "Completed":
        raise SystemExit(f"{transform}: {scored['TransformJobStatus']}: {scored.get('FailureReason')}")
    output = s3.get_object(Bucket=bucket, Key=f"{prefix}/scores-{tag}/score.csv.out")["Body"].read()
    predictions = output.count(b"\n")
    if predictions != rows:
        raise SystemExit(f"{transform}: {predictions} predictions for {rows} rows")
    return {
        "train": train_wall,
        "train_startup": _seconds(trained, "CreationTime", "TrainingStartTime"),
        "train_run": _seconds(trained, "TrainingStartTime", "TrainingEndTime"),
        "transform": transform_wall,
        "transform_startup": _seconds(scored, "CreationTime", "TransformStartTime"),
        "transform_run": _seconds(scored, "TransformStartTime", "TransformEndTime"),
        "load": os.getloadavg()[0],
    }


def data_size(sagemaker: Any, s3: Any, bucket: str, run: str, deadline: float) -> tuple[str, list[str]]:
    """Each size once, then again while the next round is projected to end before `deadline` (monotonic)."""
    features, target = _synthetic(max(ROW_SIZES), DATA_SEED)
    sizes: dict[int, float] = {}
    prepare = time.monotonic()
    for rows in ROW_SIZES:  # the first `rows` rows of one data set: each size contains the smaller ones
        train = _csv(np.column_stack([target[:rows], features[:rows]]))
        _put(s3, bucket, f"{run}/rows-{rows}/train/train.csv", train)
        _put(s3, bucket, f"{run}/rows-{rows}/score/score.csv", _csv(features[:rows]))
        sizes[rows] = len(train) / 1e6
    prepare = time.monotonic() - prepare
    print(f"  data written and uploaded in {prepare:.1f} s", flush=True)
    runs: dict[int, list[dict[str, Any]]] = {rows: [] for rows in ROW_SIZES}
    repeats, round_seconds = 0, 0.0
    for repeat in range(DATA_REPEATS):  # sizes interleaved, so a change in the machine's load hits all
        round_started = time.monotonic()
        if repeat and round_started + round_seconds > deadline:
            print(f"  run {repeat + 1} skipped: it would end past the time target", flush=True)
            break
        repeats += 1
        for rows in ROW_SIZES:
            timing = _train_and_score(
                sagemaker, s3, bucket, f"{run}/rows-{rows}", rows, f"{rows}-r{repeat}-{run}"
            )
            runs[rows].append(timing)
            print(
                f"  {rows:>9} rows, run {repeat + 1}: training {timing['train']:.1f} s, "
                f"transform {timing['transform']:.1f} s",
                flush=True,
            )
        round_seconds = time.monotonic() - round_started
    # A busy machine only ever adds time: the fastest run of each job is the best estimate.
    best = {
        rows: {
            "train": min(runs[rows], key=lambda r: r["train"]),
            "transform": min(runs[rows], key=lambda r: r["transform"]),
        }
        for rows in ROW_SIZES
    }
    table_rows = []
    previous: int | None = None
    for rows in ROW_SIZES:
        fit, score = best[rows]["train"], best[rows]["transform"]
        per = rows / 100_000
        marginal = ["", ""]
        if previous is not None:
            added = (rows - previous) / 100_000
            marginal = [
                f"{(fit['train'] - best[previous]['train']['train']) / added:.2f}",
                f"{(score['transform'] - best[previous]['transform']['transform']) / added:.2f}",
            ]
        table_rows.append(
            [
                f"{rows:,}",
                f"{sizes[rows]:.1f}",
                f"{fit['train']:.1f}",
                " / ".join(f"{r['train']:.1f}" for r in runs[rows]),
                f"{fit['train_startup']:.1f} + {fit['train_run']:.1f}",
                f"{fit['train'] / per:.2f}",
                marginal[0],
                f"{score['transform']:.1f}",
                " / ".join(f"{r['transform']:.1f}" for r in runs[rows]),
                f"{score['transform_startup']:.1f} + {score['transform_run']:.1f}",
                f"{score['transform'] / per:.2f}",
                marginal[1],
            ]
        )
        previous = rows
    body = table(
        [
            "rows",
            "train CSV, MB",
            "training wall, s",
            "each run, s",
            "start-up + run, s",
            "s / 100k rows",
            "marginal s / 100k",
            "transform wall, s",
            "each run, s",
            "start-up + run, s",
            "s / 100k rows",
            "marginal s / 100k",
        ],
        table_rows,
    )
    small, large = ROW_SIZES[0], ROW_SIZES[-1]
    loads = ", ".join(
        f"{r['load']:.1f}" for repeat in range(repeats) for r in (runs[n][repeat] for n in ROW_SIZES)
    )
    notes = [
        f"(1) {FEATURES} float features (standard normal), target = linear + sin term + noise, numpy seed "
        f"{DATA_SEED}; each size is the first rows of one data set, written as CSV with 4 decimals. Built-in "
        f"XGBoost, objective reg:squarederror, num_round={NUM_ROUND}, max_depth=6, eta=0.2, train channel only; "
        "the transform scores the same rows' features (one file, SplitType Line) and every prediction is "
        f"counted. Writing and uploading all sizes took {prepare:.1f} s (not in the table).",
        "(1) Wall = create call to Completed as the client sees it (polling every 0.2 s), "
        + (
            f"the fastest of {repeats} runs (sizes interleaved; a busy machine only ever adds time). "
            if repeats > 1
            else f"one run (a second did not fit in the {TOTAL_SECONDS:.0f} s target; BENCH_SCALING_SECONDS). "
        )
        + "Start-up = the service's "
        "CreationTime to Start time (worker process launch and imports) and run = Start to End time (S3 "
        "download, CSV parse, train or predict, upload), of the fastest run. Marginal s / 100k = (wall - the "
        "previous size's wall) per 100k rows added: the cost of the data alone, the fixed start-up taken out.",
        f"(1) {large // small:,}x the rows took {best[large]['train']['train'] / best[small]['train']['train']:.1f}x "
        f"the training wall time and "
        f"{best[large]['transform']['transform'] / best[small]['transform']['transform']:.1f}x the transform "
        f"wall time. Load average (1 min) after each run: {loads}. On a shared machine one run can take "
        "several times another (see 'each run'); a negative marginal means the smaller size's best run was "
        "still slowed by other work, so read growth from the run column (start-up stays about constant).",
    ]
    return body, notes


# --- (2) tuning budget -------------------------------------------------------------------------------------


def _tuning_request(job: str, bucket: str, prefix: str, jobs: int, parallel: int) -> dict[str, Any]:
    from retraining.settings import AwsJobSettings
    from retraining.tuning import TuningSettings, tuning_request

    return tuning_request(
        job=job,
        settings=AwsJobSettings(bucket=bucket, role_arn=ROLE, region=os.environ["AWS_DEFAULT_REGION"]),
        tuning=TuningSettings(
            num_round=TUNING_NUM_ROUND,
            max_jobs=jobs,
            max_parallel=parallel,
            random_seed=TUNING_SEED,
            strategy="Bayesian",
        ),
        image_uri=IMAGE,
        train_s3_uri=f"s3://{bucket}/{prefix}/train/",
        validation_s3_uri=f"s3://{bucket}/{prefix}/validation/",
        output_s3_path=f"s3://{bucket}/{prefix}/models",
    )


def tuning_budget(sagemaker: Any, s3: Any, bucket: str, run: str, budget: float) -> tuple[str, list[str]]:
    prefix = f"{run}/tuning"
    features, target = _synthetic(TUNING_ROWS, DATA_SEED + 1)
    data = np.column_stack([target, features])
    cut = int(TUNING_ROWS * 0.8)
    _put(s3, bucket, f"{prefix}/train/train.csv", _csv(data[:cut]))
    _put(s3, bucket, f"{prefix}/validation/validation.csv", _csv(data[cut:]))
    started = time.monotonic()
    per_job: dict[int, float] = {}  # seconds per training job, by MaxParallelTrainingJobs
    walls: dict[tuple[int, int], float] = {}
    child_seconds = 0.0
    rows: list[tuple[tuple[int, int], list[object]]] = []  # (-parallel, jobs) for the table's order
    notes: list[str] = []
    for index, (jobs, parallel) in enumerate(TUNING_RUNS):
        left = budget - (time.monotonic() - started)
        # One at a time, a training job takes about what a child took two at a time (start-up + run).
        rate = per_job.get(parallel) or (child_seconds if parallel == 1 and child_seconds else 7.0)
        projected = jobs * rate
        if index >= TUNING_ALWAYS and projected > left:
            notes.append(
                f"(2) Skipped {jobs} training jobs at MaxParallelTrainingJobs {parallel}: at the measured "
                f"{rate:.1f} s per training job it would take about {projected:.0f} s, and only {max(left, 0):.0f} s "
                f"of this part's {budget:.0f} s budget was left (BENCH_SCALING_TUNING_SECONDS sets the budget)."
            )
            print(
                f"  {jobs} jobs at {parallel}: skipped (~{projected:.0f} s > {left:.0f} s left)", flush=True
            )
            continue
        name = f"scale-tune-{jobs}-p{parallel}-{run}"[:32]
        clock = time.monotonic()
        sagemaker.create_hyper_parameter_tuning_job(**_tuning_request(name, bucket, prefix, jobs, parallel))
        job = _wait(
            sagemaker.describe_hyper_parameter_tuning_job,
            "HyperParameterTuningJobStatus",
            HyperParameterTuningJobName=name,
        )
        wall = time.monotonic() - clock
        if job["HyperParameterTuningJobStatus"] != "Completed":
            raise SystemExit(f"{name}: {job['HyperParameterTuningJobStatus']}: {job.get('FailureReason')}")
        children = _children(sagemaker, name)
        startup = statistics.median(_seconds(c, "CreationTime", "TrainingStartTime") for c in children)
        running = statistics.median(_seconds(c, "TrainingStartTime", "TrainingEndTime") for c in children)
        if parallel > 1:
            child_seconds = startup + running
        service_wall = _seconds(job, "CreationTime", "HyperParameterTuningEndTime")
        per_job[parallel] = wall / jobs
        walls[(jobs, parallel)] = wall
        best = job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        rows.append(
            (
                (-parallel, jobs),
                [
                    jobs,
                    parallel,
                    f"{wall:.1f}",
                    f"{service_wall:.1f}",
                    f"{wall / jobs:.2f}",
                    f"{startup:.1f} + {running:.1f}",
                    f"{best:.4f}",
                    f"{os.getloadavg()[0]:.1f}",
                ],
            )
        )
        print(f"  {jobs} jobs at {parallel}: {wall:.1f} s ({wall / jobs:.2f} s per job)", flush=True)
    body = table(
        [
            "MaxNumberOfTrainingJobs",
            "MaxParallelTrainingJobs",
            "wall, s",
            "service wall, s",
            "s / training job",
            "median child: start-up + run, s",
            "best validation:rmse",
            "load avg",
        ],
        [row for _, row in sorted(rows, key=lambda keyed: keyed[0])],
    )
    notes.insert(
        0,
        f"(2) One Bayesian tuning job per row (RandomSeed {TUNING_SEED}, the DAG's request builder and ranges, "
        f"num_round={TUNING_NUM_ROUND}) on {TUNING_ROWS:,} synthetic rows (80% train / 20% validation). "
        "Wall = create call to Completed at the client; service wall = CreationTime to "
        "HyperParameterTuningEndTime. The service runs min(MaxParallelTrainingJobs, CPUs) children at once "
        f"({os.cpu_count()} CPUs here).",
    )
    if (8, 1) in walls and (8, 2) in walls:
        notes.append(
            f"(2) 8 training jobs: {walls[(8, 1)]:.1f} s one at a time, {walls[(8, 2)]:.1f} s two at a time — "
            f"{walls[(8, 1)] / walls[(8, 2)]:.2f}x faster with MaxParallelTrainingJobs 2 on {os.cpu_count()} CPUs."
        )
    series = sorted((jobs, wall) for (jobs, parallel), wall in walls.items() if parallel == 2)
    if len(series) > 1:
        (few, few_wall), (many, many_wall) = series[0], series[-1]
        notes.append(
            f"(2) At MaxParallelTrainingJobs 2, {many // few}x the training jobs ({few} -> {many}) took "
            f"{many_wall / few_wall:.1f}x the wall time: linear in the budget, about "
            f"{(many_wall - few_wall) / (many - few):.1f} s per added training job."
        )
    notes.append(f"(2) This part took {time.monotonic() - started:.0f} s (budget {budget:.0f} s).")
    return body, notes


def _children(sagemaker: Any, tuning_job: str) -> list[dict[str, Any]]:
    pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=tuning_job
    )
    return [child for page in pages for child in page["TrainingJobSummaries"]]


# --- (3) registry ------------------------------------------------------------------------------------------


class _RequestCounter:
    """Counts the SageMaker API calls a client makes, by operation."""

    def __init__(self, client: Any) -> None:
        self.counts: dict[str, int] = {}
        client.meta.events.register("before-call.sagemaker.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] = self.counts.get(model.name, 0) + 1

    @contextmanager
    def counting(self) -> Iterator[dict[str, int]]:
        self.counts.clear()
        seen: dict[str, int] = {}
        try:
            yield seen
        finally:
            seen.update(self.counts)


def _timed(action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action(*args, **kwargs)
    return time.perf_counter() - started, value


def _version_request(
    group: str, night: int, champion: dict[str, Any] | None, rng: Any, bucket: str
) -> dict[str, Any]:
    """A CreateModelPackage as SageMakerRegisterModelVersionOperator sends it with nightly_retrain's extras."""
    day = (FIRST_NIGHT + timedelta(days=night)).isoformat()
    job = f"nightly-train-{day.replace('-', '')}-{night:04d}"
    mode = "full" if champion is None or night % 7 == 0 else "incremental"
    mse = 0.05 + 0.01 * rng.random()
    approved = champion is None or mse <= champion["mse"] * 1.05
    metadata = {
        "data_date": day,
        "training_job": job,
        "training_mode": mode,
        "mse": f"{mse:.6f}",
        "champion_mse": "" if champion is None else f"{champion['mse']:.6f}",
        "parent_version": "" if champion is None else str(champion["version"]),
    }
    return {
        "InferenceSpecification": {
            "Containers": [
                {"Image": IMAGE, "ModelDataUrl": f"s3://{bucket}/nightly/{day}/models/{job}/model.tar.gz"}
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ModelPackageGroupName": group,
        "ModelPackageDescription": f"{job}: {mode} training on ds={day}",
        "ModelApprovalStatus": "Approved" if approved else "Rejected",
        "CustomerMetadataProperties": {k: v for k, v in metadata.items() if v},
    }


def _list_all(sagemaker: Any, group: str, page_size: int | None = None) -> list[str]:
    """Every version ARN of `group` through the paginator (10 a page unless `page_size`), oldest first."""
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group,
        SortBy="CreationTime",
        SortOrder="Ascending",
        PaginationConfig={"PageSize": page_size} if page_size else {},
    )
    return [s["ModelPackageArn"] for page in pages for s in page["ModelPackageSummaryList"]]


def _describe_ms(sagemaker: Any, arns: list[str], samples: int) -> float:
    """Median DescribeModelPackage latency (by ARN, as read_group asks), in milliseconds."""
    latencies = []
    for i in range(samples):
        seconds, _ = _timed(sagemaker.describe_model_package, ModelPackageName=arns[i % len(arns)])
        latencies.append(seconds * 1000)
    return statistics.median(latencies)


def _place_model_data(s3: Any, request: dict[str, Any]) -> None:
    """An object at the version's ModelDataUrl: the service refuses a URL with no object, as SageMaker does."""
    url = request["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, _, key = url[len("s3://") :].partition("/")
    _put(s3, bucket, key, b"model")


def registry(sagemaker: Any, s3: Any, bucket: str) -> tuple[str, str, list[str]]:
    with warnings.catch_warnings():  # starlette's notice about its httpx dependency, not ours to act on
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from retraining.champion import APPROVED, choose_champion
    from retraining.history import history_rows, read_group
    from retraining.history_page import render_page
    from retraining_airflow.history_app import create_app

    counter = _RequestCounter(sagemaker)
    rng = np.random.default_rng(DATA_SEED)
    page_app = TestClient(create_app(read_records=lambda g: read_group(sagemaker, g), require_login=False))
    for group in (GROUP, SMALL_GROUP):
        sagemaker.create_model_package_group(
            ModelPackageGroupName=group, ModelPackageGroupDescription="Nightly retrained XGBoost models"
        )
    # A small group beside the big one: do its listing and its describes feel the big group's size?
    small_champion: dict[str, Any] | None = None
    small_arns = []
    for night in range(10):
        request = _version_request(SMALL_GROUP, night, small_champion, rng, bucket)
        _place_model_data(s3, request)
        small_arns.append(sagemaker.create_model_package(**request)["ModelPackageArn"])
        if request["ModelApprovalStatus"] == APPROVED:
            small_champion = {
                "mse": float(request["CustomerMetadataProperties"]["mse"]),
                "version": night + 1,
            }
    champion: dict[str, Any] | None = None
    created = 0
    stats: list[dict[str, Any]] = []
    for size in VERSION_SIZES:
        latencies = []
        while created < size:
            request = _version_request(GROUP, created, champion, rng, bucket)
            _place_model_data(s3, request)  # not timed: the create is
            seconds, _ = _timed(sagemaker.create_model_package, **request)
            latencies.append(seconds * 1000)
            created += 1
            if request["ModelApprovalStatus"] == APPROVED:
                champion = {"mse": float(request["CustomerMetadataProperties"]["mse"]), "version": created}
        partition = (FIRST_NIGHT + timedelta(days=size)).isoformat()
        with counter.counting() as calls:
            list_s, listed = _timed(_list_all, sagemaker, GROUP)
        assert len(listed) == size, (len(listed), size)
        list_pages = calls["ListModelPackages"]
        list_100_s, _ = _timed(_list_all, sagemaker, GROUP, 100)
        small_s, _ = _timed(_list_all, sagemaker, SMALL_GROUP)
        page_ms = statistics.median(
            _timed(sagemaker.list_model_packages, ModelPackageGroupName=GROUP, MaxResults=10)[0] * 1000
            for _ in range(PAGE_SAMPLES)
        )
        describe_ms = _describe_ms(sagemaker, listed[-100:], DESCRIBE_SAMPLES)
        small_describe_ms = _describe_ms(sagemaker, small_arns, 10)
        with counter.counting() as calls:
            read_s, records = _timed(read_group, sagemaker, GROUP)
        read_calls = dict(calls)
        with counter.counting() as calls:
            approved_s, approved = _timed(read_group, sagemaker, GROUP, APPROVED)
        approved_calls = sum(calls.values())
        choose_s, chosen = _timed(choose_champion, approved, partition)
        assert chosen is not None and champion is not None and chosen["version"] == champion["version"]
        rows_s, _ = _timed(history_rows, records)
        render_s, html = _timed(render_page, GROUP, records)
        page_s, response = _timed(page_app.get, "/", params={"group": GROUP})
        assert response.status_code == 200 and f"{size} version(s)" in response.text, response.status_code
        stats.append(
            {
                "size": size,
                "create_ms": statistics.median(latencies),
                "create_p95": float(np.percentile(latencies, 95)),
                "list_s": list_s,
                "pages": list_pages,
                "page_ms": page_ms,
                "list_100_s": list_100_s,
                "small_s": small_s,
                "describe_ms": describe_ms,
                "small_describe_ms": small_describe_ms,
                "read_s": read_s,
                "read_calls": read_calls,
                "approved_s": approved_s,
                "approved_n": len(approved),
                "approved_calls": approved_calls,
                "choose_s": choose_s,
                "rows_s": rows_s,
                "render_s": render_s,
                "html_kb": len(html.encode()) / 1024,
                "page_s": page_s,
            }
        )
        print(
            f"  {size:>5} versions: list {list_s:.2f} s ({list_pages} pages), read_group {read_s:.2f} s, "
            f"render {render_s * 1000:.0f} ms, page {page_s:.2f} s",
            flush=True,
        )
    requests_table = table(
        [
            "versions",
            "create, ms (median / p95)",
            "ListModelPackages all, s (pages)",
            "one page of 10, ms",
            "same at PageSize 100, s",
            "list 10-version group beside it, s",
            "DescribeModelPackage, ms",
            "same, group name with capitals, ms",
        ],
        [
            [
                s["size"],
                f"{s['create_ms']:.1f} / {s['create_p95']:.1f}",
                f"{s['list_s']:.2f} ({s['pages']})",
                f"{s['page_ms']:.1f}",
                f"{s['list_100_s']:.2f}",
                f"{s['small_s']:.3f}",
                f"{s['describe_ms']:.1f}",
                f"{s['small_describe_ms']:.1f}",
            ]
            for s in stats
        ],
    )
    readers_table = table(
        [
            "versions",
            "read_group, s (requests)",
            "champion: read approved + choose, s (requests)",
            "choose_champion, ms",
            "history_rows, ms",
            "render_page, ms",
            "page HTML, KB",
            "history page via plugin app, s",
        ],
        [
            [
                s["size"],
                f"{s['read_s']:.2f} ({sum(s['read_calls'].values())})",
                f"{s['approved_s']:.2f} + {s['choose_s']:.4f} ({s['approved_calls']})",
                f"{s['choose_s'] * 1000:.2f}",
                f"{s['rows_s'] * 1000:.2f}",
                f"{s['render_s'] * 1000:.1f}",
                f"{s['html_kb']:.0f}",
                f"{s['page_s']:.2f}",
            ]
            for s in stats
        ],
    )
    notes = _registry_notes(stats)
    return requests_table, readers_table, notes


def _growth(stats: list[dict[str, Any]], key: str) -> str:
    """Time ratio per 10x versions between the two largest sizes, and what exponent that implies."""
    if len(stats) < 2:
        return "n/a"
    a, b = stats[-2], stats[-1]
    ratio = b[key] / a[key] if a[key] > 0 else math.inf
    exponent = math.log(ratio) / math.log(b["size"] / a["size"]) if ratio > 0 else 0.0
    return f"{ratio:.0f}x (~n^{exponent:.1f})"


def _registry_notes(stats: list[dict[str, Any]]) -> list[str]:
    last = stats[-1]
    calls = last["read_calls"]
    return [
        "(3) Versions mirror nightly_retrain's registration (SageMakerRegisterModelVersionOperator's "
        "InferenceSpecification with text/csv, the description `<training job>: <mode> training on ds=<date>`, "
        "and the quality gate's CustomerMetadataProperties data_date/training_job/training_mode/mse/champion_mse/"
        "parent_version); one night per day from "
        f"{FIRST_NIGHT}, Approved when within 5% of the champion's MSE, else Rejected. The group grows "
        f"{' -> '.join(str(s['size']) for s in stats)} and each row is measured at that size; a second group "
        "of 10 versions sits beside it.",
        f"(3) Growth from {stats[-2]['size'] if len(stats) > 1 else '-'} to {last['size']} versions: full "
        f"listing {_growth(stats, 'list_s')}, read_group {_growth(stats, 'read_s')}, listing the 10-version "
        f"group {_growth(stats, 'small_s')}, render_page {_growth(stats, 'render_s')}, history page "
        f"{_growth(stats, 'page_s')}. One ListModelPackages page of 10 takes "
        + ", ".join(f"{s['page_ms']:.1f} ms at {s['size']}" for s in stats)
        + " versions: a page costs O(n) of its group and a full listing at 10 a page n/10 pages (read_group "
        "asks for 100 a page); at that rate "
        f"{last['size'] * 10:,} versions would take about {last['list_s'] * 100:.0f} s to list (extrapolated, "
        "not measured).",
        f"(3) At {last['size']} versions read_group made {sum(calls.values())} requests "
        f"({', '.join(f'{k} {v}' for k, v in sorted(calls.items()))}): ListModelPackages in pages of 100 "
        "and one DescribeModelPackage per version (list summaries do not carry the metadata the history "
        "shows, on SageMaker either). The champion selection of each night "
        f"(approved_records = read_group(..., Approved)) made {last['approved_calls']} requests for "
        f"{last['approved_n']} approved versions.",
        "(3) The service reads one group's versions as a key range of its store and looks versions up by "
        "their (unique, indexed) ARN, so a small group's listing and a describe stay flat as other groups "
        "grow (the 10-version and capitals columns); a page still decodes its whole group to sort it, hence "
        "the O(n) page above. IdempotentRegisterModelVersionOperator's check for an earlier registration "
        "lists newest first in pages of 100.",
        "(3) Times are single measurements (describe: median of "
        f"{DESCRIBE_SAMPLES}; one page: median of {PAGE_SAMPLES}; create: median / p95 of the calls that grew "
        "the group to that size), from one boto3 client to the local service over HTTP. The history page is "
        "the plugin's FastAPI app (create_app with read_group on that client, login off) through a TestClient: "
        "read_group plus render_page.",
    ]


# --- main --------------------------------------------------------------------------------------------------


def main() -> None:
    import boto3

    started = time.monotonic()
    shutil.rmtree(BENCH_STATE / NAME, ignore_errors=True)
    cfg = start_stack(NAME)  # stopped at exit
    sagemaker = boto3.client("sagemaker", endpoint_url=cfg.sagemaker_url, region_name=cfg.region)
    s3 = boto3.client("s3", endpoint_url=cfg.s3_url, region_name=cfg.region)
    run = f"{int(time.time()) % 100000}"
    timings: dict[str, float] = {}

    print(f"(3) registry: {', '.join(map(str, VERSION_SIZES))} versions", flush=True)
    clock = time.monotonic()
    requests_table, readers_table, registry_notes = registry(sagemaker, s3, cfg.bucket)
    timings["registry"] = time.monotonic() - clock

    print(f"(2) tuning budget: up to {TUNING_SECONDS:.0f} s", flush=True)
    clock = time.monotonic()
    tuning_table, tuning_notes = tuning_budget(sagemaker, s3, cfg.bucket, run, TUNING_SECONDS)
    timings["tuning"] = time.monotonic() - clock

    print(f"(1) data size: {', '.join(f'{r:,}' for r in ROW_SIZES)} rows", flush=True)
    clock = time.monotonic()
    data_table, data_notes = data_size(sagemaker, s3, cfg.bucket, run, started + TOTAL_SECONDS)
    timings["data size"] = time.monotonic() - clock

    total = time.monotonic() - started
    runtime = (
        f"Whole benchmark: {total:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        + f", stack start-up and the rest {total - sum(timings.values()):.0f} s)."
    )
    print(runtime, flush=True)
    save(
        NAME,
        "Scaling: data size, tuning budget and a registry of many model versions",
        [
            ("(1) Training and batch transform wall time by data size", data_table),
            ("(2) One tuning job by budget (MaxNumberOfTrainingJobs) and parallelism", tuning_table),
            ("(3a) Registry requests by number of versions in the group", requests_table),
            ("(3b) Model history and champion selection by number of versions", readers_table),
        ],
        [*data_notes, *tuning_notes, *registry_notes, runtime],
    )


if __name__ == "__main__":
    main()
