"""The model registry through boto3: groups, numbered versions, approval, filters."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import XGBOOST_IMAGE, unique


def register(sagemaker: Any, group: str, url: str, status: str, metrics: dict[str, str] | None = None) -> str:
    return str(
        sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription=f"model at {url}",
            InferenceSpecification={
                "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": url}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelApprovalStatus=status,
            **({"CustomerMetadataProperties": metrics} if metrics else {}),
        )["ModelPackageArn"]
    )


def test_versions_are_numbered_within_a_group_and_filterable(sagemaker: Any) -> None:
    group = unique("group")
    sagemaker.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="demo")
    arns = [
        register(sagemaker, group, "s3://b/m1.tar.gz", "Approved"),
        register(sagemaker, group, "s3://b/m2.tar.gz", "Rejected"),
        register(sagemaker, group, "s3://b/m3.tar.gz", "Approved"),
    ]
    assert [arn.rsplit("/", 1)[-1] for arn in arns] == ["1", "2", "3"]
    described = sagemaker.describe_model_package(ModelPackageName=arns[1])
    assert described["ModelPackageVersion"] == 2 and described["ModelApprovalStatus"] == "Rejected"
    assert described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == "s3://b/m2.tar.gz"

    latest_approved = sagemaker.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )["ModelPackageSummaryList"]
    assert [p["ModelPackageVersion"] for p in latest_approved] == [3]

    sagemaker.update_model_package(
        ModelPackageArn=arns[2], ModelApprovalStatus="Rejected", ApprovalDescription="drift"
    )
    approved = sagemaker.list_model_packages(ModelPackageGroupName=group, ModelApprovalStatus="Approved")
    assert [p["ModelPackageVersion"] for p in approved["ModelPackageSummaryList"]] == [1]


def test_duplicate_group_message_is_what_the_provider_expects(sagemaker: Any) -> None:
    group = unique("group")
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    with pytest.raises(ClientError) as caught:
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"].startswith("Model Package Group already exists")


def test_unknown_group_and_package_are_validation_errors(sagemaker: Any) -> None:
    for call, kwargs in (
        (sagemaker.describe_model_package_group, {"ModelPackageGroupName": "nope"}),
        (sagemaker.describe_model_package, {"ModelPackageName": "nope/1"}),
    ):
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError, match="does not exist"):
        register(sagemaker, "no-such-group", "s3://b/m.tar.gz", "Approved")
