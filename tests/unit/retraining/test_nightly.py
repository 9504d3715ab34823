"""The nightly line's pure logic: the gate, champion choice, full vs incremental, and its requests."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from retraining.champion import choose_champion, find_registered, registry_record
from retraining.gate import evaluate_gate, read_evaluation
from retraining.nightly import (
    NightlySettings,
    decide_training_mode,
    evaluation_request,
    night_names,
    night_training_request,
    night_transform_request,
    plan_night,
)
from retraining.settings import parse_settings

XGB = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SKL = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def nightly_settings(**overrides: object) -> NightlySettings:
    values = {
        "bucket": "my-ml-bucket",
        "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "region": "us-east-1",
        "model_package_group": "nightly-retrain",
        "mse_threshold": 0.6,
        "tolerance": 0.05,
        "extra_rounds": 10,
        "full_rounds": 60,
        "full_retrain_every_days": 7,
        "rows_per_day": 5000,
        **overrides,
    }
    return parse_settings(values, NightlySettings)


def record(version: int, data_date: str, approval: str = "Approved") -> dict[str, Any]:
    return {
        "version": version,
        "approval": approval,
        "data_date": data_date,
        "model_data_url": f"s3://b/models/v{version}/output/model.tar.gz",
        "training_job": f"nr-train-{data_date.replace('-', '')}",
    }


def night(partition: date = date(2026, 3, 2), **overrides: object) -> dict[str, Any]:
    return plan_night(
        nightly_settings(**overrides),
        dag_id="nightly_retrain",
        partition=partition,
        xgboost_image=XGB,
        processing_image=SKL,
    )


# --- the gate -------------------------------------------------------------------------------------


def test_gate_passes_within_threshold_and_tolerance() -> None:
    decision = evaluate_gate(0.40, 0.39, threshold=0.6, tolerance=0.05)
    assert decision.passed
    assert "0.40000" in decision.message and "0.39000" in decision.message


def test_gate_without_champion_only_checks_threshold() -> None:
    assert evaluate_gate(0.59, None, threshold=0.6, tolerance=0.0).passed
    failed = evaluate_gate(0.61, None, threshold=0.6, tolerance=0.0)
    assert not failed.passed
    assert "above the threshold 0.60000" in failed.message and "no champion" in failed.message


def test_gate_fails_when_worse_than_champion_beyond_tolerance_and_names_both_metrics() -> None:
    decision = evaluate_gate(0.50, 0.40, threshold=0.6, tolerance=0.05)
    assert not decision.passed
    assert "candidate 0.50000" in decision.message and "champion 0.40000" in decision.message
    assert "5.0%" in decision.message


def test_gate_tolerance_boundary_is_inclusive() -> None:
    assert evaluate_gate(0.42, 0.40, threshold=1.0, tolerance=0.05).passed
    assert not evaluate_gate(0.4201, 0.40, threshold=1.0, tolerance=0.05).passed


def test_gate_reports_every_reason() -> None:
    decision = evaluate_gate(0.9, 0.4, threshold=0.6, tolerance=0.05)
    assert "above the threshold" in decision.message and "worse than the champion" in decision.message


def test_read_evaluation_in_seed_003_shape() -> None:
    report = {
        "regression_metrics": {"mse": {"value": 0.41, "standard_deviation": 0.5}},
        "champion": {"regression_metrics": {"mse": {"value": 0.39}}},
    }
    assert read_evaluation(report) == (0.41, 0.39)
    assert read_evaluation({"regression_metrics": {"mse": {"value": "0.5"}}}) == (0.5, None)


def test_read_evaluation_rejects_a_report_without_mse() -> None:
    with pytest.raises(ValueError, match=r"regression_metrics\.mse\.value"):
        read_evaluation({"regression_metrics": {"rmse": {"value": 0.1}}})


# --- the champion ---------------------------------------------------------------------------------


def test_champion_is_latest_approved_from_an_earlier_date() -> None:
    records = [
        record(1, "2026-03-01"),
        record(2, "2026-03-02"),
        record(3, "2026-03-03", approval="Rejected"),
        record(4, "2026-03-05"),
    ]
    assert choose_champion(records, "2026-03-04")["version"] == 2  # type: ignore[index]
    # A re-run of 03-02 sees the champion a day-by-day schedule saw then, not itself.
    assert choose_champion(records, "2026-03-02")["version"] == 1  # type: ignore[index]
    assert choose_champion(records, "2026-03-01") is None


def test_champion_ties_on_date_go_to_the_higher_version() -> None:
    records = [record(1, "2026-03-01"), record(2, "2026-03-01")]
    assert choose_champion(records, "2026-03-02")["version"] == 2  # type: ignore[index]


def test_versions_without_a_data_date_are_never_champions() -> None:
    assert choose_champion([record(1, "")], "2026-03-02") is None


def test_find_registered_matches_the_training_job() -> None:
    records = [record(1, "2026-03-01"), record(2, "2026-03-02")]
    assert find_registered(records, "nr-train-20260302")["version"] == 2  # type: ignore[index]
    assert find_registered(records, "nr-train-20260309") is None


def test_registry_record_reads_a_describe_answer() -> None:
    package = {
        "ModelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/3",
        "ModelPackageVersion": 3,
        "ModelApprovalStatus": "Approved",
        "InferenceSpecification": {"Containers": [{"Image": XGB, "ModelDataUrl": "s3://b/m.tar.gz"}]},
        "CustomerMetadataProperties": {"data_date": "2026-03-03", "mse": "0.41", "training_mode": "full"},
    }
    rec = registry_record(package)
    assert (rec["version"], rec["data_date"], rec["mse"], rec["model_data_url"]) == (
        3,
        "2026-03-03",
        0.41,
        "s3://b/m.tar.gz",
    )


# --- full or incremental --------------------------------------------------------------------------


def test_no_champion_means_full_whatever_was_asked() -> None:
    for requested in ("auto", "incremental", "full"):
        assert decide_training_mode(requested, None, date(2026, 3, 2), 7)[0] == "full"


def test_incremental_continues_from_the_champion() -> None:
    mode, reason = decide_training_mode("auto", record(2, "2026-03-01"), date(2026, 3, 2), 0)
    assert mode == "incremental" and "version 2" in reason


def test_full_when_asked_even_with_a_champion() -> None:
    assert decide_training_mode("full", record(2, "2026-03-01"), date(2026, 3, 2), 0)[0] == "full"


def test_periodic_full_retrain_once_every_n_days() -> None:
    champion = record(1, "2026-02-01")
    days = [date.fromordinal(date(2026, 3, 1).toordinal() + i) for i in range(14)]
    modes = [decide_training_mode("auto", champion, d, 7)[0] for d in days]
    assert modes.count("full") == 2
    # An explicit "incremental" overrides the periodic refresh.
    assert all(decide_training_mode("incremental", champion, d, 7)[0] == "incremental" for d in days)


# --- the night's requests -------------------------------------------------------------------------


def test_names_derive_from_the_date_and_the_inputs_only() -> None:
    assert night() == night()
    p = night(date(2026, 3, 2))
    assert p["seed_job_name"].startswith("nr-data-20260302-")
    assert p["partition_s3_uri"].startswith("s3://my-ml-bucket/nightly_retrain/data/ds=2026-03-02/variant=")
    assert night(date(2026, 3, 3))["seed_job_name"] != p["seed_job_name"]
    # Settings that do not change the data (the gate's threshold) keep the same jobs.
    assert night(mse_threshold=0.3)["seed_job_name"] == p["seed_job_name"]
    # Settings that do change it get jobs of their own, so a re-run never reuses stale output.
    assert night(label_noise=3.0)["partition_s3_uri"] != p["partition_s3_uri"]


def test_training_names_follow_the_training_inputs() -> None:
    p = night()
    v1, v2 = record(1, "2026-03-01"), record(2, "2026-03-01")
    names = night_names(p, "incremental", v1)
    assert names == night_names(p, "incremental", v1)
    assert names["training_job_name"].startswith("nr-train-20260302-")
    key = names["training_job_name"].removeprefix("nr-train-")
    assert names["evaluation_job_name"].endswith(key) and names["transform_job_name"].endswith(key)
    assert night_names(p, "incremental", v2) != names, "another champion is another training"
    assert night_names(p, "full", v1) != names
    assert night_names(p, "full", v1) == night_names(p, "full", v2), "a full retrain ignores the champion"


def test_seed_request_passes_the_date_and_writes_every_partition_file() -> None:
    seed = night()["seed_request"]
    assert seed["AppSpecification"]["ContainerArguments"][:2] == ["--date", "2026-03-02"]
    outputs = [o["S3Output"]["S3Uri"] for o in seed["ProcessingOutputConfig"]["Outputs"]]
    assert outputs == [
        f"{night()['partition_s3_uri']}/{name}" for name in ("train", "validation", "test", "score")
    ]


def test_incremental_training_adds_a_model_channel_from_the_champion() -> None:
    p = night()
    champion = record(1, "2026-03-01")
    incremental = night_training_request(p, night_names(p, "incremental", champion), "incremental", champion)
    channels = {c["ChannelName"]: c for c in incremental["InputDataConfig"]}
    assert channels["model"]["DataSource"]["S3DataSource"]["S3Uri"] == champion["model_data_url"]
    assert incremental["HyperParameters"]["num_round"] == "10"
    full = night_training_request(p, night_names(p, "full", champion), "full", champion)
    assert "model" not in {c["ChannelName"] for c in full["InputDataConfig"]}
    assert full["HyperParameters"]["num_round"] == "60"


def test_evaluation_request_scores_the_champion_only_when_there_is_one() -> None:
    p = night()
    names = night_names(p, "full", None)
    alone = evaluation_request(p, names, "s3://b/candidate/model.tar.gz", None)
    assert [i["InputName"] for i in alone["ProcessingInputs"]] == ["code", "candidate", "test"]
    assert "ContainerArguments" not in alone["AppSpecification"]
    versus = evaluation_request(p, names, "s3://b/candidate/model.tar.gz", record(1, "2026-03-01"))
    assert [i["InputName"] for i in versus["ProcessingInputs"]][-1] == "champion"


def test_transform_scores_the_partitions_scoring_file() -> None:
    p = night()
    names = night_names(p, "full", None)
    transform = night_transform_request(p, names, "nr-model")
    source = transform["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    assert source.rstrip("/") == f"{p['partition_s3_uri']}/score"
    assert transform["TransformOutput"]["S3OutputPath"].startswith(names["scores_s3_uri"])


def test_bad_settings_name_the_field() -> None:
    with pytest.raises(ValueError, match="model_package_group"):
        nightly_settings(model_package_group="has spaces")
    with pytest.raises(ValueError, match="tolerance"):
        nightly_settings(tolerance=2)


def test_script_names_are_the_files_the_dags_upload() -> None:
    """The DAGs upload each script module under its own file name; the requests point at these names."""
    from pathlib import Path

    from retraining.builders import SEED_SCRIPT
    from retraining.nightly import DATA_SCRIPT, EVALUATION_SCRIPT
    from retraining.scripts import daily_data, evaluate_model, seed_data

    assert [Path(str(m.__file__)).name for m in (seed_data, daily_data, evaluate_model)] == [
        SEED_SCRIPT,
        DATA_SCRIPT,
        EVALUATION_SCRIPT,
    ]
