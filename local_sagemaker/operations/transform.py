"""Transform jobs: checks against the model they use, and their first description."""

from __future__ import annotations

from typing import Any

from local_sagemaker.errors import ValidationException
from local_sagemaker.images import SUPPORTED_TRAINING, XGBOOST, algorithm_for_image
from local_sagemaker.jobs import TRANSFORM
from local_sagemaker.operations.context import ServiceContext, require_s3_uri
from local_sagemaker.operations.jobs import job_operations
from local_sagemaker.transform.settings import check_request

# What the XGBoost container's /invocations parses (serve_utils.parse_content_data); Parquet is training-only.
SUPPORTED_CONTENT_TYPES = (
    "text/csv",
    "csv",
    "text/libsvm",
    "text/x-libsvm",
    "libsvm",
    "application/x-recordio-protobuf",
    "recordio-protobuf",
)


def prepare_transform(ctx: ServiceContext, body: dict[str, Any]) -> None:
    model_name = body["ModelName"]
    model = ctx.store.get("model", model_name)
    if model is None:
        raise ValidationException(f'Could not find model "{ctx.arn("model", model_name)}".')
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    image = container.get("Image", "")
    if algorithm_for_image(image) is not XGBOOST:
        raise ValidationException(
            f"ModelName: model {model_name!r} uses image {image!r}, which the local service cannot serve; "
            f"use {SUPPORTED_TRAINING}"
        )
    source = body["TransformInput"]["DataSource"].get("S3DataSource")
    if source is None:
        raise ValidationException("TransformInput.DataSource: only S3DataSource is supported locally")
    if source["S3DataType"] not in ("S3Prefix", "ManifestFile"):
        raise ValidationException(
            f"TransformInput.DataSource.S3DataSource.S3DataType: {source['S3DataType']!r} is not supported "
            "by the local service; use S3Prefix or ManifestFile"
        )
    require_s3_uri(source["S3Uri"], "TransformInput.DataSource.S3DataSource.S3Uri")
    content_type = body["TransformInput"].get("ContentType", "text/csv").split(";")[0].strip().lower()
    if content_type not in SUPPORTED_CONTENT_TYPES:
        training_only = " (Parquet is read by training only)" if "parquet" in content_type else ""
        raise ValidationException(
            f"TransformInput.ContentType: {content_type!r} is not supported by the XGBoost container, which "
            f"would answer 415{training_only}; use one of {', '.join(SUPPORTED_CONTENT_TYPES)}"
        )
    require_s3_uri(body["TransformOutput"]["S3OutputPath"], "TransformOutput.S3OutputPath")
    check_request(body, container)


OPERATIONS = job_operations(TRANSFORM, prepare_transform, dict)
