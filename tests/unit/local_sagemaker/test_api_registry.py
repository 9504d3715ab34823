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


def test_a_group_lists_only_its_own_versions_beside_groups_with_similar_names(sagemaker: Any) -> None:
    base = unique("Group")  # capitals: the group's ARNs are lower-cased, its name is not
    groups = [base, f"{base}-2", f"{base}0"]
    for group in groups:
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
    for index, group in enumerate(groups):
        for version in range(index + 1):
            register(sagemaker, group, f"s3://b/{index}/{version}.tar.gz", "Approved")

    for index, group in enumerate(groups):
        listed = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
        assert [p["ModelPackageVersion"] for p in listed] == list(range(1, index + 2))
        assert {p["ModelPackageGroupName"] for p in listed} == {group}

    group_arn = sagemaker.describe_model_package_group(ModelPackageGroupName=base)["ModelPackageGroupArn"]
    assert group_arn == group_arn.lower()
    by_arn = sagemaker.list_model_packages(ModelPackageGroupName=group_arn)["ModelPackageSummaryList"]
    assert [p["ModelPackageGroupName"] for p in by_arn] == [base]
    described = sagemaker.describe_model_package(ModelPackageName=by_arn[0]["ModelPackageArn"])
    assert described["ModelPackageGroupName"] == base
    with pytest.raises(ClientError, match="still has model packages"):
        sagemaker.delete_model_package_group(ModelPackageGroupName=base)


def test_read_group_reads_every_version_in_pages_of_100(sagemaker: Any) -> None:
    from retraining.history import read_group

    group = unique("history")
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    for version in range(1, 106):
        register(sagemaker, group, f"s3://b/{version}.tar.gz", "Approved" if version % 2 else "Rejected")
    list_calls: list[int] = []

    def count(**kwargs: Any) -> None:
        list_calls.append(1)

    sagemaker.meta.events.register("before-call.sagemaker.ListModelPackages", count)
    try:
        records = read_group(sagemaker, group)
    finally:
        sagemaker.meta.events.unregister("before-call.sagemaker.ListModelPackages", count)
    assert [r["version"] for r in records] == list(range(1, 106))
    assert len(list_calls) == 2, "105 versions are two pages of 100"
    approved = read_group(sagemaker, group, approval="Approved")
    assert [r["version"] for r in approved] == list(range(1, 106, 2))
    assert read_group(sagemaker, unique("no-such-group")) == []
