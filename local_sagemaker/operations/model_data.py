"""A model or registry version may name only model data that exists, as SageMaker checks when it is created."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local_sagemaker.config import ServiceSettings, aws_client
from local_sagemaker.errors import ServiceUnavailable, ValidationException
from local_sagemaker.operations.context import ServiceContext, require_s3_uri

_MISSING = ("404", "NoSuchKey", "NotFound", "NoSuchBucket")
# One S3 client per endpoint: botocore clients are thread-safe, and building one per request is not free.
_clients: dict[str, Any] = {}


def _s3(settings: ServiceSettings) -> Any:
    if settings.s3_endpoint_url not in _clients:
        _clients[settings.s3_endpoint_url] = aws_client(settings, "s3")
    return _clients[settings.s3_endpoint_url]


def require_model_data(ctx: ServiceContext, uri: str, field: str) -> None:
    """Refuse a ModelDataUrl that names no S3 object, with the message SageMaker's CreateModel gives."""
    require_s3_uri(uri, field)
    bucket, _, key = uri[len("s3://") :].partition("/")
    try:
        _s3(ctx.settings).head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in _MISSING:
            raise ServiceUnavailable(f"{field}: cannot check the model data at {uri}: {exc}") from exc
        raise ValidationException(
            f"Could not find model data at {uri}. ({field}: upload the model.tar.gz there first, or give "
            "the S3ModelArtifacts of a completed training job)"
        ) from exc
    except BotoCoreError as exc:  # the local S3 is down: a fault to retry, not the caller's mistake
        raise ServiceUnavailable(f"{field}: cannot check the model data at {uri}: {exc}") from exc


def require_package_model_data(ctx: ServiceContext, params: dict[str, Any]) -> None:
    """Every ModelDataUrl a CreateModelPackage/UpdateModelPackage request names must exist."""
    specifications = [("InferenceSpecification", params.get("InferenceSpecification"))]
    specifications += [
        (f"AdditionalInferenceSpecifications[{i}]", spec)
        for i, spec in enumerate(params.get("AdditionalInferenceSpecifications") or [])
    ]
    for where, specification in specifications:
        for index, container in enumerate((specification or {}).get("Containers") or []):
            if container.get("ModelDataUrl"):
                require_model_data(
                    ctx, container["ModelDataUrl"], f"{where}.Containers[{index}].ModelDataUrl"
                )
