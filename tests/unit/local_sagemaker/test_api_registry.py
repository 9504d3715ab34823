"""The model registry through boto3: groups, numbered versions, approval, filters.

Follows the SageMaker API reference pages of CreateModelPackageGroup, CreateModelPackage, DescribeModelPackage,
ListModelPackages and UpdateModelPackage; missing model data is refused with CreateModel's own error
("Could not find model data at s3://...", a ValidationException)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, put_model_data, unique


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


def test_versions_are_numbered_within_a_group_and_filterable(
    sagemaker: Any, s3: Any, local_stack: Any
) -> None:
    group = unique("group")
    sagemaker.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="demo")
    urls = [put_model_data(s3, f"s3://{local_stack.bucket}/{group}/m{i}.tar.gz") for i in (1, 2, 3)]
    arns = [
        register(sagemaker, group, urls[0], "Approved"),
        register(sagemaker, group, urls[1], "Rejected"),
        register(sagemaker, group, urls[2], "Approved"),
    ]
    assert [arn.rsplit("/", 1)[-1] for arn in arns] == ["1", "2", "3"]
    described = sagemaker.describe_model_package(ModelPackageName=arns[1])
    assert described["ModelPackageVersion"] == 2 and described["ModelApprovalStatus"] == "Rejected"
    assert described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == urls[1]

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


def test_unknown_group_and_package_are_validation_errors(sagemaker: Any, model_data_url: str) -> None:
    for call, kwargs in (
        (sagemaker.describe_model_package_group, {"ModelPackageGroupName": "nope"}),
        (sagemaker.describe_model_package, {"ModelPackageName": "nope/1"}),
    ):
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError, match="does not exist"):
        register(sagemaker, "no-such-group", model_data_url, "Approved")


def test_a_group_lists_only_its_own_versions_beside_groups_with_similar_names(
    sagemaker: Any, model_data_url: str
) -> None:
    base = unique("Group")  # capitals: the group's ARNs are lower-cased, its name is not
    groups = [base, f"{base}-2", f"{base}0"]
    for group in groups:
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
    for index, group in enumerate(groups):
        for _ in range(index + 1):
            register(sagemaker, group, model_data_url, "Approved")

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


def test_read_group_reads_every_version_in_pages_of_100(sagemaker: Any, model_data_url: str) -> None:
    from retraining.history import read_group

    group = unique("history")
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    for version in range(1, 106):
        register(sagemaker, group, model_data_url, "Approved" if version % 2 else "Rejected")
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


def test_model_data_must_exist_for_a_model_and_a_version(
    sagemaker: Any, s3: Any, local_stack: Any, model_data_url: str
) -> None:
    """CreateModel refuses a ModelDataUrl with no object ("Could not find model data at s3://..."), and so do
    CreateModelPackage and UpdateModelPackage for InferenceSpecification.Containers[].ModelDataUrl, before a
    version number is taken: a registry version never points at data that is not there."""
    missing = f"s3://{local_stack.bucket}/{unique('gone')}/model.tar.gz"
    no_bucket = f"s3://{unique('no-such-bucket')}/model.tar.gz"
    for url in (missing, no_bucket):
        with pytest.raises(ClientError) as refused:
            sagemaker.create_model(
                ModelName=unique("model"),
                PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": url},
                ExecutionRoleArn=ROLE,
            )
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert refused.value.response["Error"]["Message"].startswith(f"Could not find model data at {url}.")
        assert "PrimaryContainer.ModelDataUrl" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match=r"Containers\[0\]\.ModelDataUrl"):
        sagemaker.create_model(
            ModelName=unique("model"),
            Containers=[{"Image": XGBOOST_IMAGE, "ModelDataUrl": missing}],
            ExecutionRoleArn=ROLE,
        )

    group = unique("group")
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    with pytest.raises(ClientError) as refused:
        register(sagemaker, group, missing, "Approved")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    message = refused.value.response["Error"]["Message"]
    assert message.startswith(f"Could not find model data at {missing}.")
    assert "InferenceSpecification.Containers[0].ModelDataUrl" in message
    assert sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == []

    arn = register(sagemaker, group, model_data_url, "Approved")
    assert arn.endswith("/1"), "the refused call took no version number"
    with pytest.raises(ClientError, match="Could not find model data at"):
        sagemaker.update_model_package(
            ModelPackageArn=arn,
            InferenceSpecification={
                "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": missing}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == model_data_url

    put_model_data(s3, missing)  # once the data is there, the same requests succeed
    sagemaker.create_model(
        ModelName=unique("model"),
        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": missing},
        ExecutionRoleArn=ROLE,
    )
    assert register(sagemaker, group, missing, "Approved").endswith("/2")
