"""`nightly_retrain` on the local stack: nights in a row, a corrupted night, and an idempotent re-run."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from scripts.dag_runs import DagRunResult, run_dag

pytestmark = pytest.mark.e2e

FIRST_NIGHT = date(2026, 3, 1)


@pytest.fixture(scope="module")
def group() -> str:
    return f"nightly-{uuid.uuid4().hex[:8]}"


def run_night(partition: date, group: str, **conf: Any) -> DagRunResult:
    # The 03:00 run of day D retrains on partition D-1.
    logical = datetime(partition.year, partition.month, partition.day, 3, tzinfo=UTC) + timedelta(days=1)
    settings = {
        "model_package_group": group,
        "rows_per_day": 2000,
        "full_retrain_every_days": 0,
        "extra_rounds": 10,
        "full_rounds": 40,
        **conf,
    }
    return run_dag("nightly_retrain", logical, settings)


def versions(sagemaker: Any, group: str) -> list[dict[str, Any]]:
    summaries = sagemaker.list_model_packages(
        ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Ascending"
    )
    described = [
        sagemaker.describe_model_package(ModelPackageName=s["ModelPackageArn"])
        for s in summaries["ModelPackageSummaryList"]
    ]
    return [
        {
            "version": p["ModelPackageVersion"],
            "approval": p["ModelApprovalStatus"],
            **p["CustomerMetadataProperties"],
        }
        for p in described
    ]


def job_count(sagemaker: Any) -> int:
    pages = sagemaker.get_paginator("list_training_jobs").paginate(NameContains="nr-train")
    processing = sagemaker.get_paginator("list_processing_jobs").paginate(NameContains="nr-")
    return sum(len(p["TrainingJobSummaries"]) for p in pages) + sum(
        len(p["ProcessingJobSummaries"]) for p in processing
    )


def test_nights_gate_and_rerun(local_stack: Any, airflow_db: Any, sagemaker: Any, group: str) -> None:
    nights = [FIRST_NIGHT + timedelta(days=i) for i in range(3)]
    for night in nights:
        result = run_night(night, group)
        assert result.succeeded(), result.task_states
        assert result.task_states["keep_champion"] == "skipped"

    history = versions(sagemaker, group)
    assert [(v["version"], v["approval"], v["data_date"]) for v in history] == [
        (1, "Approved", "2026-03-01"),
        (2, "Approved", "2026-03-02"),
        (3, "Approved", "2026-03-03"),
    ]
    assert [v["training_mode"] for v in history] == ["full", "incremental", "incremental"]
    assert [v.get("parent_version") for v in history] == [None, "1", "2"]
    second = sagemaker.describe_training_job(TrainingJobName=history[1]["training_job"])
    model_channel = [c for c in second["InputDataConfig"] if c["ChannelName"] == "model"]
    assert (
        model_channel
        and model_channel[0]["DataSource"]["S3DataSource"]["S3Uri"]
        == sagemaker.describe_training_job(TrainingJobName=history[0]["training_job"])["ModelArtifacts"][
            "S3ModelArtifacts"
        ]
    )

    # A night whose training labels are corrupted: the gate rejects it and the champion survives.
    corrupted = run_night(FIRST_NIGHT + timedelta(days=3), group, label_noise=3.0)
    assert corrupted.state == "failed"
    assert corrupted.task_states["register_rejected"] == "success"
    assert corrupted.task_states["keep_champion"] == "failed"
    assert corrupted.task_states["score"] == "skipped"
    after = versions(sagemaker, group)
    assert after[-1]["approval"] == "Rejected" and after[-1]["data_date"] == "2026-03-04"
    assert float(after[-1]["mse"]) > float(after[-1]["champion_mse"])
    approved = sagemaker.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"]
    assert approved[0]["ModelPackageVersion"] == 3, "the champion must still be version 3"

    # Re-running a finished night reuses its jobs and its registry entry: nothing new starts.
    jobs_before = job_count(sagemaker)
    rerun = run_night(nights[1], group)
    assert rerun.succeeded(), rerun.task_states
    assert job_count(sagemaker) == jobs_before
    assert versions(sagemaker, group) == after
