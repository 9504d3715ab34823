"""Request builders: every dict is one boto3 accepts, with names SageMaker accepts, the same for a retry."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

import pytest

from retraining.builders import plan_train_and_transform, training_request
from retraining.naming import JOB_NAME, MODEL_NAME, TUNING_JOB_MAX, job_name, model_name, run_key
from retraining.settings import TrainingRunSettings, parse_settings

XGB = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SKL = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def settings(**overrides: object):  # type: ignore[no-untyped-def]
    values = {
        "bucket": "my-ml-bucket",
        "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "region": "us-east-1",
        "hyperparameters": {"objective": "reg:logistic", "num_round": "5"},
        **overrides,
    }
    return parse_settings(values, TrainingRunSettings)


def plan(run_id: str = "manual__2026-11-01T00:00:00+00:00") -> dict:  # type: ignore[type-arg]
    return plan_train_and_transform(
        settings(),
        dag_id="train_and_transform",
        run_id=run_id,
        logical_date=datetime(2026, 11, 1, tzinfo=UTC),
        xgboost_image=XGB,
        processing_image=SKL,
    )


def test_plan_is_deterministic_per_run_and_distinct_across_runs() -> None:
    assert plan() == plan()
    other = plan("scheduled__2026-11-01T00:00:00+00:00")
    assert other["training_job_name"] != plan()["training_job_name"]


def test_plan_wires_jobs_together() -> None:
    p = plan()
    training = p["training_request"]
    assert [c["ChannelName"] for c in training["InputDataConfig"]] == ["train", "validation"]
    outputs = {
        o["OutputName"]: o["S3Output"]["S3Uri"]
        for o in p["seed_request"]["ProcessingOutputConfig"]["Outputs"]
    }
    assert (
        training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"].rstrip("/") == outputs["train"]
    )
    transform = p["transform_request"]
    assert transform["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"].rstrip("/") == outputs["test"]
    assert transform["ModelName"] == p["model_name"] == model_name(p["training_job_name"])
    assert p["transform_output_s3_uri"] == transform["TransformOutput"]["S3OutputPath"] + "/test.csv.out"
    for name in (p["seed_job_name"], p["training_job_name"], p["transform_job_name"]):
        assert JOB_NAME.match(name) and len(name) <= 63


def test_model_channel_only_when_continuing_from_an_artifact() -> None:
    common = {
        "job": "j",
        "settings": settings(),
        "hyperparameters": {"num_round": "5"},
        "image_uri": XGB,
        "train_s3_uri": "s3://b/train/",
        "validation_s3_uri": None,
        "output_s3_path": "s3://b/models",
    }
    assert [c["ChannelName"] for c in training_request(**common)["InputDataConfig"]] == ["train"]
    incremental = training_request(**common, model_s3_uri="s3://b/prior/model.tar.gz")
    model = incremental["InputDataConfig"][-1]
    assert model["ChannelName"] == "model" and model["ContentType"] == "application/x-sagemaker-model"


def test_builders_refuse_what_boto3_would_refuse() -> None:
    from retraining.builders import checked

    with pytest.raises(ValueError, match="ModelName"):
        checked("CreateModel", {"PrimaryContainer": {"Image": XGB}, "ExecutionRoleArn": "arn"})


def test_names_always_valid_for_random_inputs() -> None:
    rng = random.Random(1)
    alphabet = string.ascii_letters + string.digits + "_-.:+ /"
    for _ in range(500):
        prefix = "".join(rng.choices(alphabet, k=rng.randint(1, 40)))
        task = "".join(rng.choices(alphabet, k=rng.randint(1, 40)))
        run_id = "".join(rng.choices(alphabet, k=rng.randint(1, 80)))
        key = run_key(run_id, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        for limit in (63, TUNING_JOB_MAX):
            name = job_name(
                prefix if prefix.strip("_-.:+ /") else "p", task if task.strip("_-.:+ /") else "t", key, limit
            )
            assert JOB_NAME.match(name) and len(name) <= limit, name
        assert MODEL_NAME.match(model_name(job_name("p", "t", key)))
    assert run_key("a", None) != run_key("b", None)
