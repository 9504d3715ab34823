"""`python -m local_sagemaker doctor`: every completed job's outputs and every registered model's data, checked.

Asks the running stack through boto3, as any client would: DescribeTrainingJob's S3ModelArtifacts,
DescribeProcessingJob's S3 outputs, DescribeTransformJob's S3OutputPath, each model's and each model
package's ModelDataUrl must still exist in S3 (they existed when made: CreateModel and CreateModelPackage
refuse missing data). Prints what is missing and what to do; exit status 1 if anything is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class Finding:
    what: str  # "training job nr-train-..." / "model package arn:..."
    uri: str
    fix: str


def _exists(s3: Any, uri: str) -> bool:
    bucket, _, key = uri[len("s3://") :].partition("/")
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
            raise
    try:
        return bool(
            s3.list_objects_v2(Bucket=bucket, Prefix=key.rstrip("/") + "/", MaxKeys=1).get("KeyCount")
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucket":
            return False
        raise


def _completed(sagemaker: Any, kind: str) -> Iterator[dict[str, Any]]:
    """Descriptions of every Completed job of a kind (TrainingJob, ProcessingJob, TransformJob)."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in kind).lstrip("_")
    pages = sagemaker.get_paginator(f"list_{snake}s").paginate(StatusEquals="Completed")
    for page in pages:
        for summary in page[f"{kind}Summaries"]:
            yield getattr(sagemaker, f"describe_{snake}")(**{f"{kind}Name": summary[f"{kind}Name"]})


def _job_outputs(sagemaker: Any) -> Iterator[tuple[str, str]]:
    for job in _completed(sagemaker, "TrainingJob"):
        artifact = job.get("ModelArtifacts", {}).get("S3ModelArtifacts")
        if artifact:
            yield f"training job {job['TrainingJobName']}", artifact
    for job in _completed(sagemaker, "ProcessingJob"):
        for output in job.get("ProcessingOutputConfig", {}).get("Outputs", []):
            if "S3Output" in output:
                yield f"processing job {job['ProcessingJobName']}", output["S3Output"]["S3Uri"]
    for job in _completed(sagemaker, "TransformJob"):
        yield f"transform job {job['TransformJobName']}", job["TransformOutput"]["S3OutputPath"]


def _models(sagemaker: Any) -> Iterator[tuple[str, str]]:
    for page in sagemaker.get_paginator("list_models").paginate():
        for summary in page["Models"]:
            model = sagemaker.describe_model(ModelName=summary["ModelName"])
            for container in [model.get("PrimaryContainer", {}), *model.get("Containers", [])]:
                if container.get("ModelDataUrl"):
                    yield f"model {summary['ModelName']}", container["ModelDataUrl"]


def _model_data(sagemaker: Any) -> Iterator[tuple[str, str]]:
    for groups in sagemaker.get_paginator("list_model_package_groups").paginate():
        for group in groups["ModelPackageGroupSummaryList"]:
            pages = sagemaker.get_paginator("list_model_packages").paginate(
                ModelPackageGroupName=group["ModelPackageGroupName"]
            )
            for page in pages:
                for summary in page["ModelPackageSummaryList"]:
                    package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
                    for container in package.get("InferenceSpecification", {}).get("Containers", []):
                        if container.get("ModelDataUrl"):
                            yield f"model package {summary['ModelPackageArn']}", container["ModelDataUrl"]


def findings(sagemaker: Any, s3: Any) -> tuple[int, list[Finding]]:
    """(how many URIs were checked, the ones missing)."""
    # What is checked, and what to do when it is missing.
    sources = [
        (
            _job_outputs,
            "re-run the task that started it: a completed job without outputs is run again as -aN",
        ),
        (
            _models,
            "transform jobs of this model will fail: delete it (aws sagemaker delete-model) and create "
            "it again from a completed training job's S3ModelArtifacts",
        ),
        (
            _model_data,
            "this version cannot be deployed or trained from: set it Rejected "
            "(aws sagemaker update-model-package --model-approval-status Rejected) so it is never champion",
        ),
    ]
    missing: list[Finding] = []
    checked = 0
    for listing, fix in sources:
        for what, uri in listing(sagemaker):
            checked += 1
            if not _exists(s3, uri):
                missing.append(Finding(what, uri, fix))
    return checked, missing


def report(sagemaker: Any, s3: Any) -> int:
    checked, missing = findings(sagemaker, s3)
    if not missing:
        print(f"doctor: all {checked} job outputs and registered model data exist")
        return 0
    print(f"doctor: {len(missing)} of {checked} job outputs or registered model data are missing:")
    for finding in missing:
        print(f"- {finding.what}: {finding.uri} is missing; {finding.fix}")
    return 1
