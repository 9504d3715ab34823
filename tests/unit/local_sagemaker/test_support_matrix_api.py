"""Members the support matrix calls implemented that no other test proved: list filters, paging, registry metadata.

Each follows the SageMaker API reference page of its operation (ListTrainingJobs, ListModels, ListTags,
DeleteTags, ListModelPackageGroups, ListModelPackages, ListHyperParameterTuningJobs, CreateModelPackage —
"ClientToken: a unique token that guarantees that the call to this API is idempotent" —, DescribeModelPackage,
UpdateModelPackage).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, channel, put_model_data, unique, wait_training

MODEL_URL = "s3://bucket/models/model.tar.gz"
OTHER_MODEL_URL = "s3://bucket/other.tar.gz"
INFERENCE = {
    "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": MODEL_URL}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


@pytest.fixture(scope="module", autouse=True)
def model_data(s3: Any) -> None:
    """Models and versions may name only data that exists (CreateModel: "Could not find model data")."""
    for url in (MODEL_URL, OTHER_MODEL_URL):
        put_model_data(s3, url)


def _names(summaries: list[dict[str, Any]], key: str) -> list[str]:
    return [s[key] for s in summaries]


def test_list_filters_by_time_and_status(sagemaker: Any, training_request: Any) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    request = training_request(hyperparameters={"objective": "reg:logistic", "num_round": "1"})
    name = request["TrainingJobName"]
    sagemaker.create_training_job(**request)
    wait_training(sagemaker, name)
    after = datetime.now(UTC) + timedelta(seconds=1)

    def listed(**filters: Any) -> list[str]:
        pages = sagemaker.get_paginator("list_training_jobs").paginate(NameContains=name, **filters)
        return [s["TrainingJobName"] for page in pages for s in page["TrainingJobSummaries"]]

    assert listed(CreationTimeAfter=before, CreationTimeBefore=after) == [name]
    assert listed(CreationTimeAfter=after) == []
    assert listed(CreationTimeBefore=before) == []
    assert listed(LastModifiedTimeAfter=before, LastModifiedTimeBefore=after) == [name]
    assert listed(LastModifiedTimeAfter=after) == []
    assert listed(LastModifiedTimeBefore=before) == []
    assert listed(StatusEquals="Completed") == [name]
    assert listed(StatusEquals="Failed") == []


def test_model_lists_and_tags_sort_filter_and_page(sagemaker: Any) -> None:
    marker = unique("listmodels")
    names = [f"{marker}-{i}" for i in range(3)]
    for name in names:
        sagemaker.create_model(
            ModelName=name,
            PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": MODEL_URL},
            ExecutionRoleArn=ROLE,
        )
    first = sagemaker.list_models(NameContains=marker, SortBy="Name", SortOrder="Ascending", MaxResults=2)
    assert _names(first["Models"], "ModelName") == names[:2]
    rest = sagemaker.list_models(
        NameContains=marker, SortBy="Name", SortOrder="Ascending", MaxResults=2, NextToken=first["NextToken"]
    )
    assert _names(rest["Models"], "ModelName") == names[2:] and "NextToken" not in rest
    newest_first = sagemaker.list_models(NameContains=marker, SortBy="CreationTime", SortOrder="Descending")
    assert _names(newest_first["Models"], "ModelName") == names[::-1]

    arn = sagemaker.describe_model(ModelName=names[0])["ModelArn"]
    tags = [{"Key": f"k{i}", "Value": f"v{i}"} for i in range(3)]
    sagemaker.add_tags(ResourceArn=arn, Tags=tags)
    assert sagemaker.list_tags(ResourceArn=arn, MaxResults=50)["Tags"] == tags
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["k1"])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [tags[0], tags[2]]


def test_registry_lists_filter_sort_and_page(sagemaker: Any) -> None:
    marker = unique("listgroups")
    groups = [f"{marker}-{i}" for i in range(3)]
    for group in groups:
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
    first = sagemaker.list_model_package_groups(
        NameContains=marker, SortBy="Name", SortOrder="Descending", MaxResults=2
    )
    assert _names(first["ModelPackageGroupSummaryList"], "ModelPackageGroupName") == groups[:0:-1]
    rest = sagemaker.list_model_package_groups(
        NameContains=marker, SortBy="Name", SortOrder="Descending", MaxResults=2, NextToken=first["NextToken"]
    )
    assert _names(rest["ModelPackageGroupSummaryList"], "ModelPackageGroupName") == groups[:1]

    sagemaker.create_model_package(ModelPackageGroupName=groups[0], InferenceSpecification=INFERENCE)
    sagemaker.create_model_package(ModelPackageGroupName=groups[1], InferenceSpecification=INFERENCE)
    named = sagemaker.list_model_packages(NameContains=groups[1])["ModelPackageSummaryList"]
    assert _names(named, "ModelPackageGroupName") == [groups[1]]
    assert sagemaker.list_model_packages(NameContains=marker, ModelPackageType="Versioned")[
        "ModelPackageSummaryList"
    ]
    assert (
        sagemaker.list_model_packages(NameContains=marker, ModelPackageType="Unversioned")[
            "ModelPackageSummaryList"
        ]
        == []
    )


def test_model_package_metadata_is_kept_as_given(sagemaker: Any) -> None:
    group = unique("metadata")
    sagemaker.create_model_package_group(
        ModelPackageGroupName=group,
        ModelPackageGroupDescription="all the metadata",
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    statistics = {"ContentType": "application/json", "S3Uri": "s3://bucket/eval/statistics.json"}
    metadata: dict[str, Any] = {
        "ModelPackageDescription": "candidate for 2026-03-02",
        "ModelPackageRegistrationType": "Registered",
        "InferenceSpecification": INFERENCE,
        "MetadataProperties": {
            "CommitId": "abc123",
            "Repository": "git@example:ml.git",
            "GeneratedBy": "nightly",
        },
        "ModelMetrics": {"ModelQuality": {"Statistics": statistics}},
        "Domain": "MACHINE_LEARNING",
        "Task": "REGRESSION",
        "SamplePayloadUrl": "s3://bucket/eval/sample.csv",
        "CustomerMetadataProperties": {"data_date": "2026-03-02", "mse": "0.01"},
        "DriftCheckBaselines": {"ModelQuality": {"Statistics": statistics}},
        "AdditionalInferenceSpecifications": [{"Name": "cpu", **INFERENCE}],
        "SourceUri": "s3://bucket/models/model.tar.gz",
        "ModelCard": {"ModelCardContent": '{"model_overview": {}}', "ModelCardStatus": "Draft"},
        "ModelLifeCycle": {
            "Stage": "Development",
            "StageStatus": "InProgress",
            "StageDescription": "nightly",
        },
    }
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="PendingManualApproval",
        Tags=[{"Key": "k", "Value": "v"}],
        **metadata,
    )["ModelPackageArn"]
    described = sagemaker.describe_model_package(ModelPackageName=arn, IncludedData="AllData")
    assert {key: described[key] for key in metadata} == metadata
    assert sagemaker.describe_model_package_group(ModelPackageGroupName=group)[
        "ModelPackageGroupDescription"
    ] == ("all the metadata")
    group_arn = sagemaker.describe_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    assert sagemaker.list_tags(ResourceArn=group_arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_a_repeated_client_token_registers_one_version(sagemaker: Any) -> None:
    group = unique("token")
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    token = unique("retry")
    first = sagemaker.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=INFERENCE, ClientToken=token
    )
    again = sagemaker.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=INFERENCE, ClientToken=token
    )
    other = sagemaker.create_model_package(ModelPackageGroupName=group, InferenceSpecification=INFERENCE)
    assert first["ModelPackageArn"] == again["ModelPackageArn"] != other["ModelPackageArn"]
    versions = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert [v["ModelPackageVersion"] for v in versions] == [1, 2]


def test_model_package_updates_change_what_describe_shows(sagemaker: Any) -> None:
    group = unique("update")
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=INFERENCE,
        CustomerMetadataProperties={"keep": "1", "drop": "2"},
    )["ModelPackageArn"]
    replaced = {
        **INFERENCE,
        "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": OTHER_MODEL_URL}],
    }
    card = {
        "ModelCardContent": '{"model_overview": {"model_description": "v2"}}',
        "ModelCardStatus": "PendingReview",
    }
    sagemaker.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="Approved",
        ApprovalDescription="beat the champion",
        CustomerMetadataProperties={"added": "3"},
        CustomerMetadataPropertiesToRemove=["drop"],
        InferenceSpecification=replaced,
        SourceUri="s3://bucket/other.tar.gz",
        ModelCard=card,
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "beat the champion"
    assert described["CustomerMetadataProperties"] == {"keep": "1", "added": "3"}
    assert described["InferenceSpecification"] == replaced
    assert described["SourceUri"] == "s3://bucket/other.tar.gz"
    assert described["ModelCard"] == card


def test_tuning_job_lists_sort_and_page(sagemaker: Any, dataset: dict[str, Any]) -> None:
    marker = unique("tl")[:20]
    names = [f"{marker}-{i}" for i in range(3)]
    for name in names:
        sagemaker.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name,
            HyperParameterTuningJobConfig={
                "Strategy": "Random",
                "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1},
                "ParameterRanges": {
                    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "3"}]
                },
            },
            TrainingJobDefinition={
                "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
                "RoleArn": ROLE,
                "InputDataConfig": [channel(c, dataset["uris"][c]) for c in ("train", "validation")],
                "OutputDataConfig": {"S3OutputPath": f"s3://{dataset['bucket']}/{dataset['prefix']}/tl"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
                "StoppingCondition": {"MaxRuntimeInSeconds": 600},
                "StaticHyperParameters": {"objective": "reg:logistic", "num_round": "1"},
            },
        )
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        time.sleep(0.01)  # distinct creation times
    first = sagemaker.list_hyper_parameter_tuning_jobs(
        NameContains=marker, SortBy="Name", SortOrder="Descending", MaxResults=2
    )
    assert _names(first["HyperParameterTuningJobSummaries"], "HyperParameterTuningJobName") == names[:0:-1]
    rest = sagemaker.list_hyper_parameter_tuning_jobs(
        NameContains=marker, SortBy="Name", SortOrder="Descending", MaxResults=2, NextToken=first["NextToken"]
    )
    assert _names(rest["HyperParameterTuningJobSummaries"], "HyperParameterTuningJobName") == names[:1]
    by_time = sagemaker.list_hyper_parameter_tuning_jobs(
        NameContains=marker, SortBy="CreationTime", SortOrder="Ascending"
    )
    assert _names(by_time["HyperParameterTuningJobSummaries"], "HyperParameterTuningJobName") == names
    future = datetime.now(UTC) + timedelta(minutes=1)
    assert (
        sagemaker.list_hyper_parameter_tuning_jobs(NameContains=marker, CreationTimeAfter=future)[
            "HyperParameterTuningJobSummaries"
        ]
        == []
    )
    past = datetime.now(UTC) - timedelta(minutes=10)
    assert (
        sagemaker.list_hyper_parameter_tuning_jobs(NameContains=marker, CreationTimeBefore=past)[
            "HyperParameterTuningJobSummaries"
        ]
        == []
    )
    assert (
        sagemaker.list_hyper_parameter_tuning_jobs(NameContains=marker, LastModifiedTimeAfter=future)[
            "HyperParameterTuningJobSummaries"
        ]
        == []
    )
    within = {"CreationTimeAfter": past, "CreationTimeBefore": future, "LastModifiedTimeAfter": past}
    listed = sagemaker.list_hyper_parameter_tuning_jobs(
        NameContains=marker, LastModifiedTimeBefore=future, **within
    )
    assert len(listed["HyperParameterTuningJobSummaries"]) == 3


def test_a_tuning_job_with_shared_resources_tags_and_a_target_stops_at_the_target(
    sagemaker: Any, dataset: dict[str, Any]
) -> None:
    """CreateHyperParameterTuningJob: HyperParameterTuningResourceConfig stands in for ResourceConfig, and
    TuningJobCompletionCriteria.TargetObjectiveMetricValue ends the job once a child reaches it."""
    name = unique("target")[:32]
    arn = sagemaker.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "3"}]
            },
            "TuningJobCompletionCriteria": {"TargetObjectiveMetricValue": 1.0},  # any rmse of a probability
        },
        TrainingJobDefinition={
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "InputDataConfig": [channel(c, dataset["uris"][c]) for c in ("train", "validation")],
            "OutputDataConfig": {"S3OutputPath": f"s3://{dataset['bucket']}/{dataset['prefix']}/target"},
            "HyperParameterTuningResourceConfig": {
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeSizeInGB": 5,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
            "StaticHyperParameters": {"objective": "reg:logistic", "num_round": "2"},
        },
        Tags=[{"Key": "stage", "Value": "matrix"}],
    )["HyperParameterTuningJobArn"]
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "matrix"}]
    deadline = time.monotonic() + 120
    while (job := sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name))[
        "HyperParameterTuningJobStatus"
    ] in ("InProgress", "Stopping"):
        assert time.monotonic() < deadline, "the tuning job did not end"
        time.sleep(0.5)
    assert job["HyperParameterTuningJobStatus"] == "Completed"
    children = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "TrainingJobSummaries"
    ]
    assert len(children) == 1, "the first child reached the target, so no other was started"
    child = sagemaker.describe_training_job(TrainingJobName=children[0]["TrainingJobName"])
    assert child["ResourceConfig"] == {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5}


def test_a_model_takes_its_one_container_from_containers(sagemaker: Any) -> None:
    """CreateModel: Containers with one entry serves like PrimaryContainer; an inference pipeline is refused."""
    name = unique("containers")
    container = {"Image": XGBOOST_IMAGE, "ModelDataUrl": MODEL_URL}
    sagemaker.create_model(ModelName=name, Containers=[container], ExecutionRoleArn=ROLE)
    assert sagemaker.describe_model(ModelName=name)["Containers"] == [container]
    with pytest.raises(ClientError) as caught:
        sagemaker.create_model(
            ModelName=unique("pipeline"), Containers=[container, container], ExecutionRoleArn=ROLE
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "inference pipelines are not supported locally" in caught.value.response["Error"]["Message"]
