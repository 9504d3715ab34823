"""A transform job's request read once, with SageMaker's defaults, and checked before the job is accepted."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_sagemaker.errors import ValidationException
from local_sagemaker.transform import jsonpath

API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html"
MEGABYTE = 1024 * 1024
# The built-in XGBoost container's /execution-parameters answer (serve.py): one worker per CPU,
# MULTI_RECORD, and its 6 MiB MAX_CONTENT_LENGTH as the payload.
_XGBOOST_DEFAULT_PAYLOAD_MB = 6
# TransformOutput.Accept values the XGBoost container's /invocations answers (serve.py SUPPORTED_ACCEPTS).
XGBOOST_ACCEPTS = ("text/csv", "application/json", "application/jsonlines", "application/x-recordio-protobuf")
# Record formats DataProcessing applies to ("Associate Prediction Results with Input Records").
DATA_PROCESSING_TYPES = ("text/csv", "application/json", "application/jsonlines")
# Environment variables the XGBoost container reads whose effect the local service does not reproduce.
_UNSUPPORTED_ENVIRONMENT: dict[str, str] = {}


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class TransformSettings:
    content_type: str  # as given, parameters included (text/csv;label_size=1)
    compression: str
    split_type: str
    batch_strategy: str
    max_payload_bytes: int
    max_concurrent: int
    accept: str
    assemble_with: str
    input_filter: str
    join_source: str
    output_filter: str
    environment: Mapping[str, str]

    @property
    def media_type(self) -> str:
        return media_type(self.content_type)

    @property
    def processes_records(self) -> bool:
        """Whether records must be handled one by one (a filter or a join), not as opaque mini-batches."""
        return self.input_filter != "$" or self.join_source == "Input" or self.output_filter != "$"


def read_settings(job: Mapping[str, Any], container: Mapping[str, Any]) -> TransformSettings:
    transform_input = job["TransformInput"]
    transform_output = job["TransformOutput"]
    processing = job.get("DataProcessing") or {}
    # The job's Environment is added to the model container's, and wins on a clash.
    environment = {**(container.get("Environment") or {}), **(job.get("Environment") or {})}
    return TransformSettings(
        content_type=transform_input.get("ContentType") or "text/csv",
        compression=transform_input.get("CompressionType", "None"),
        split_type=transform_input.get("SplitType", "None"),
        batch_strategy=job.get("BatchStrategy", "MultiRecord"),
        max_payload_bytes=int(job.get("MaxPayloadInMB", _XGBOOST_DEFAULT_PAYLOAD_MB)) * MEGABYTE,
        max_concurrent=int(job.get("MaxConcurrentTransforms") or os.cpu_count() or 1),
        accept=_accept(transform_output.get("Accept"), environment),
        assemble_with=transform_output.get("AssembleWith", "None"),
        input_filter=processing.get("InputFilter") or "$",
        join_source=processing.get("JoinSource", "None"),
        output_filter=processing.get("OutputFilter") or "$",
        environment=environment,
    )


def _accept(accept: str | None, environment: Mapping[str, str]) -> str:
    """No Accept, or */*, is the container's SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (text/csv unless set; serve.py)."""
    if not accept or media_type(accept) == "*/*":
        return environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "text/csv")
    return accept


def check_request(job: Mapping[str, Any], container: Mapping[str, Any]) -> TransformSettings:
    """The checks SageMaker makes at CreateTransformJob, and refusals of what the local service cannot do."""
    settings = read_settings(job, container)
    payload_mb = job.get("MaxPayloadInMB")
    if payload_mb == 0:
        raise ValidationException(
            "MaxPayloadInMB: 0 asks for HTTP chunked encoding, which SageMaker's built-in algorithms (XGBoost) "
            f"do not support; give 1-100 ({API})"
        )
    concurrent = job.get("MaxConcurrentTransforms")
    if payload_mb is not None and concurrent is not None and payload_mb * concurrent > 100:
        raise ValidationException(
            f"MaxConcurrentTransforms * MaxPayloadInMB must not exceed 100 MB, got {concurrent} * {payload_mb}; "
            f"lower one of them ({API})"
        )
    if settings.split_type == "TFRecord":
        raise ValidationException(
            "TransformInput.SplitType: 'TFRecord' is not supported locally (the XGBoost container reads no "
            "TFRecord data); use None, Line or RecordIO"
        )
    accept = media_type(settings.accept)
    if accept not in XGBOOST_ACCEPTS:
        raise ValidationException(
            f"TransformOutput.Accept: {settings.accept!r} is not an accept type the XGBoost container answers; "
            f"use one of {', '.join(XGBOOST_ACCEPTS)}"
        )
    for name, reason in _UNSUPPORTED_ENVIRONMENT.items():
        if name in settings.environment:
            raise ValidationException(f"Environment: {name} is not supported by the local service: {reason}")
    _check_data_processing(settings)
    return settings


def _check_data_processing(settings: TransformSettings) -> None:
    for field, expression in (
        ("DataProcessing.InputFilter", settings.input_filter),
        ("DataProcessing.OutputFilter", settings.output_filter),
    ):
        try:
            jsonpath.parse(expression)
        except ValueError as exc:
            raise ValidationException(f"{field}: {exc}") from exc
    if not settings.processes_records:
        return
    for field, value in (
        ("TransformInput.ContentType", settings.media_type),
        ("TransformOutput.Accept", media_type(settings.accept)),
    ):
        if value not in DATA_PROCESSING_TYPES:
            raise ValidationException(
                f"{field}: DataProcessing works on {', '.join(DATA_PROCESSING_TYPES)} records only, got "
                f"{value!r} (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html)"
            )
    if settings.split_type != "Line" and settings.media_type != "application/json":
        raise ValidationException(
            f"TransformInput.SplitType: DataProcessing on {settings.media_type} records needs SplitType 'Line' "
            f"(got {settings.split_type!r}), so that each line is one record"
        )
