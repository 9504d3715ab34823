"""`tune_and_transform` end to end on the local stack: tune, model from the best job, transform, re-run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scripts.dag_runs import run_dag, task_result

pytestmark = pytest.mark.e2e

ROWS = 2000
# Seed 000's budget (2 training jobs, both at once) on a small data set, with a few more rounds.
CONF = {"rows": ROWS, "num_round": 4, "max_jobs": 2, "max_parallel": 2, "random_seed": 7}


def read_s3(s3: Any, uri: str) -> bytes:
    bucket, key = uri[len("s3://") :].split("/", 1)
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def children(sagemaker: Any, tuning_job: str) -> list[dict[str, Any]]:
    pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=tuning_job
    )
    return [s for page in pages for s in page["TrainingJobSummaries"]]


def job_counts(sagemaker: Any) -> dict[str, int]:
    def count(method: str, key: str) -> int:
        pages = sagemaker.get_paginator(method).paginate(NameContains="tn-")
        return sum(len(page[key]) for page in pages)

    return {
        "tuning": count("list_hyper_parameter_tuning_jobs", "HyperParameterTuningJobSummaries"),
        "training": count("list_training_jobs", "TrainingJobSummaries"),
        "processing": count("list_processing_jobs", "ProcessingJobSummaries"),
        "transform": count("list_transform_jobs", "TransformJobSummaries"),
    }


def test_tune_and_transform_uses_the_best_job_and_reruns_without_new_jobs(
    local_stack: Any, airflow_db: Any, sagemaker: Any, s3: Any
) -> None:
    logical_date = datetime(2026, 11, 2, tzinfo=UTC)
    result = run_dag("tune_and_transform", logical_date, CONF, run_after=logical_date)
    assert result.succeeded(), result.task_states

    plan = task_result(result.dag_id, result.run_id, "plan")
    tuning = sagemaker.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=plan["tuning_job_name"]
    )
    assert tuning["HyperParameterTuningJobStatus"] == "Completed"
    assert len(plan["tuning_job_name"]) <= 32
    assert tuning["TrainingJobStatusCounters"]["Completed"] == CONF["max_jobs"]

    # The best job really is the best of the children.
    ran = children(sagemaker, plan["tuning_job_name"])
    assert len(ran) == CONF["max_jobs"]
    values = {s["TrainingJobName"]: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in ran}
    best_name = tuning["BestTrainingJob"]["TrainingJobName"]
    assert values[best_name] == min(values.values())

    # The model is named after the best job and serves its artifact; the transform uses that model.
    best = task_result(result.dag_id, result.run_id, "best_model")
    assert best["best_training_job"] == best["model_name"] == best_name
    assert best["objective_value"] == pytest.approx(values[best_name])
    model = sagemaker.describe_model(ModelName=best_name)
    artifact = sagemaker.describe_training_job(TrainingJobName=best_name)["ModelArtifacts"][
        "S3ModelArtifacts"
    ]
    assert model["PrimaryContainer"]["ModelDataUrl"] == artifact
    transform = sagemaker.describe_transform_job(TransformJobName=plan["transform_job_name"])
    assert transform["TransformJobStatus"] == "Completed"
    assert transform["ModelName"] == best_name
    output_rows = read_s3(s3, plan["transform_output_s3_uri"]).decode().splitlines()
    assert len(output_rows) == ROWS * 15 // 100

    evaluation = task_result(result.dag_id, result.run_id, "evaluate")
    assert evaluation["n"] == len(output_rows)
    assert 0 < evaluation["rmse"] < 0.5

    # Re-running the same run finds every job it started before: no tuning (or any other) job starts.
    before = job_counts(sagemaker)
    rerun = run_dag("tune_and_transform", logical_date, CONF, run_after=logical_date)
    assert rerun.succeeded(), rerun.task_states
    assert rerun.run_id == result.run_id
    assert job_counts(sagemaker) == before
    again = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=plan["tuning_job_name"])
    assert again["CreationTime"] == tuning["CreationTime"]
    assert task_result(rerun.dag_id, rerun.run_id, "best_model")["model_name"] == best_name
