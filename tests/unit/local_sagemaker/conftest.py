"""Fixtures for driving the local service through boto3: data in S3 and request factories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, channel, csv_bytes, put_model_data, unique


@pytest.fixture(scope="session")
def dataset(local_stack: Any, s3: Any) -> dict[str, Any]:
    """A small regression set in S3: train/validation label-first, test features only."""
    rng = np.random.default_rng(7)
    features = rng.normal(size=(1200, 5))
    label = 1 / (1 + np.exp(-(features[:, 0] * 1.5 - features[:, 1] + 0.5 * features[:, 2] ** 2)))
    rows = np.column_stack([label, features])
    bucket = local_stack.bucket
    prefix = unique("data")
    objects = {
        "train": (f"{prefix}/train/train.csv", rows[:800]),
        "validation": (f"{prefix}/validation/validation.csv", rows[800:1000]),
        "test": (f"{prefix}/test/test.csv", rows[1000:, 1:]),
    }
    for key, matrix in objects.values():
        s3.put_object(Bucket=bucket, Key=key, Body=csv_bytes(matrix))
    uris = {name: f"s3://{bucket}/{key}" for name, (key, _) in objects.items()}
    return {"bucket": bucket, "prefix": prefix, "uris": uris, "test_rows": 200, "test_labels": rows[1000:, 0]}


@pytest.fixture
def training_request(dataset: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def build(
        name: str | None = None, hyperparameters: dict[str, str] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TrainingJobName": name or unique("train"),
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "InputDataConfig": [
                channel("train", dataset["uris"]["train"]),
                channel("validation", dataset["uris"]["validation"]),
            ],
            "OutputDataConfig": {"S3OutputPath": f"s3://{dataset['bucket']}/{dataset['prefix']}/models"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
            "HyperParameters": hyperparameters
            or {"objective": "reg:logistic", "eval_metric": "rmse", "num_round": "10", "max_depth": "3"},
        }
        request.update(overrides)
        return request

    return build


@pytest.fixture(scope="session")
def model_data_url(local_stack: Any, s3: Any) -> str:
    """A model.tar.gz that exists, for models and registry versions whose data is never read."""
    return put_model_data(s3, f"s3://{local_stack.bucket}/{unique('model-data')}/model.tar.gz")
