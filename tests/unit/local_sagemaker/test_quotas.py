"""Account service quotas: a create over "<instance type> for training job usage" is ResourceLimitExceeded.

Follows the SageMaker API reference (CreateTrainingJob errors: ResourceLimitExceeded, "You have exceeded
an SageMaker resource limit") and the Service Quotas names for SageMaker ("ml.m5.large for training job
usage", counted in instances).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError

from local_sagemaker.quotas import parse_quota
from local_sagemaker.stack import StackConfig, start_service, stop_service
from tests.conftest import free_port
from tests.support.sagemaker_api import wait_training


@pytest.fixture
def quota_service(local_stack: StackConfig, tmp_path: Path) -> Iterator[Any]:
    """A second SageMaker service on the same S3, allowed one ml.m5.large training instance at a time."""
    cfg = dataclasses.replace(local_stack, base_dir=tmp_path / "quota", sagemaker_port=free_port())
    with mock.patch.dict(os.environ, {"LOCAL_SAGEMAKER_INSTANCE_QUOTAS": "training-job:ml.m5.large=1"}):
        start_service(cfg)
    try:
        yield boto3.client("sagemaker", endpoint_url=cfg.sagemaker_url, region_name=cfg.region)
    finally:
        stop_service(cfg, "sagemaker")


def test_a_second_job_over_the_quota_is_refused_until_the_first_ends(
    quota_service: Any, training_request: Any
) -> None:
    first = training_request(hyperparameters={"num_round": "200000", "max_depth": "8"})
    quota_service.create_training_job(**first)

    second = training_request(hyperparameters={"num_round": "3"})
    with pytest.raises(ClientError) as refused:
        quota_service.create_training_job(**second)
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "ResourceLimitExceeded"
    assert error["Message"].startswith(
        "The account-level service limit 'ml.m5.large for training job usage' is 1 Instances, with current "
        "utilization of 1 Instances and a request delta of 1 Instances."
    )
    # Refused means not created: the name is free to use once capacity returns.
    with pytest.raises(ClientError, match="ValidationException"):
        quota_service.describe_training_job(TrainingJobName=second["TrainingJobName"])

    # Another instance type is under no quota here.
    other = training_request(
        hyperparameters={"num_round": "3"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
    )
    quota_service.create_training_job(**other)

    quota_service.stop_training_job(TrainingJobName=first["TrainingJobName"])
    deadline = time.monotonic() + 60
    while quota_service.describe_training_job(TrainingJobName=first["TrainingJobName"])[
        "TrainingJobStatus"
    ] not in {"Stopped", "Completed", "Failed"}:
        assert time.monotonic() < deadline, "the first job never stopped"
        time.sleep(0.5)
    quota_service.create_training_job(**second)
    assert wait_training(quota_service, second["TrainingJobName"])["TrainingJobStatus"] == "Completed"
    assert wait_training(quota_service, other["TrainingJobName"])["TrainingJobStatus"] == "Completed"


def test_a_job_counts_every_one_of_its_instances(quota_service: Any, training_request: Any) -> None:
    """A two-instance job needs two of the quota's instances: alone it is over a quota of one."""
    request = training_request(
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 10}
    )
    with pytest.raises(ClientError) as refused:
        quota_service.create_training_job(**request)
    error = refused.value.response["Error"]
    assert error["Code"] == "ResourceLimitExceeded"
    assert "current utilization of 0 Instances and a request delta of 2 Instances" in error["Message"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("training-job:ml.m5.large=2", ("training-job:ml.m5.large", 2)),
        ("processing-job:*=4", ("processing-job:*", 4)),
    ],
)
def test_quotas_are_written_kind_type_count(text: str, expected: tuple[str, int]) -> None:
    assert parse_quota(text) == expected


@pytest.mark.parametrize(
    "text", ["training-job=2", "tuning-job:ml.m5.large=1", "training-job:ml.m5.large=two"]
)
def test_a_malformed_quota_is_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(ValueError, match=r"KIND:INSTANCE_TYPE=COUNT"):
        parse_quota(text)
