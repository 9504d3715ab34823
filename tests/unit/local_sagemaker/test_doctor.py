"""`doctor` (and `make local-status`) names every completed job output and registered ModelDataUrl that is gone.

Follows SageMaker's DescribeTrainingJob (ModelArtifacts.S3ModelArtifacts), DescribeModel
(PrimaryContainer.ModelDataUrl) and DescribeModelPackage (InferenceSpecification.Containers[].ModelDataUrl),
checked with S3 HeadObject, through boto3 (issue 17)."""

from __future__ import annotations

from typing import Any

from local_sagemaker import doctor
from local_sagemaker.stack import status
from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, unique, wait_training


def test_doctor_reports_a_deleted_artifact_and_a_version_without_data(
    sagemaker: Any, s3: Any, local_stack: Any, training_request: Any, capsys: Any
) -> None:
    kept, lost = (training_request(hyperparameters={"num_round": "2"}) for _ in range(2))
    for request in (kept, lost):
        sagemaker.create_training_job(**request)
    artifacts = {}
    for request in (kept, lost):
        name = request["TrainingJobName"]
        wait_training(sagemaker, name)
        artifacts[name] = sagemaker.describe_training_job(TrainingJobName=name)["ModelArtifacts"][
            "S3ModelArtifacts"
        ]
    gone = artifacts[lost["TrainingJobName"]]
    group = unique("doctor")
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": gone}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    model = unique("doctor-model")
    sagemaker.create_model(
        ModelName=model,
        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": gone},
        ExecutionRoleArn=ROLE,
    )
    # Registered while its data existed (CreateModelPackage refuses missing data), removed afterwards, as
    # an S3 lifecycle rule or a person would.
    bucket, _, key = gone[len("s3://") :].partition("/")
    s3.delete_object(Bucket=bucket, Key=key)

    _, missing = doctor.findings(sagemaker, s3)
    by_what = {finding.what: finding for finding in missing}
    assert by_what[f"training job {lost['TrainingJobName']}"].uri == gone
    assert "-aN" in by_what[f"training job {lost['TrainingJobName']}"].fix
    assert by_what[f"model package {arn}"].uri == gone
    assert "Rejected" in by_what[f"model package {arn}"].fix
    assert by_what[f"model {model}"].uri == gone and "delete-model" in by_what[f"model {model}"].fix
    assert f"training job {kept['TrainingJobName']}" not in by_what

    assert status(local_stack) == 1
    printed = capsys.readouterr().out
    assert "aws: up" in printed and "S3 objects:" in printed and "MB in" in printed
    assert f"training job {lost['TrainingJobName']}: {gone} is missing" in printed
