"""Processing jobs: which containers and paths the service accepts, and their first description."""

from __future__ import annotations

from typing import Any

from local_sagemaker.containers.cluster import MAX_LOCAL_HOSTS
from local_sagemaker.containers.isolation import bubblewrap
from local_sagemaker.containers.runtime import NO_BUBBLEWRAP
from local_sagemaker.errors import ValidationException
from local_sagemaker.images import PYTHON_PROCESSING, SUPPORTED_PROCESSING, XGBOOST, algorithm_for_image
from local_sagemaker.jobs import PROCESSING
from local_sagemaker.operations.context import ServiceContext, reject_duplicates, require_s3_uri
from local_sagemaker.operations.jobs import job_operations

PROCESSING_ROOT = "/opt/ml/processing"
PYTHON_INTERPRETERS = ("python3", "python")


def _require_processing_path(path: str, field: str) -> None:
    parts = path.rstrip("/").split("/")
    if not path.startswith(PROCESSING_ROOT + "/") or ".." in parts:
        raise ValidationException(f"{field}: {path!r} must be a path under {PROCESSING_ROOT}/ without '..'")


def _check_entrypoint(body: dict[str, Any]) -> None:
    """Any program runs inside bubblewrap; without it only a python script whose paths can be rewritten."""
    entrypoint = body["AppSpecification"].get("ContainerEntrypoint") or []
    if not entrypoint:
        raise ValidationException(
            "AppSpecification.ContainerEntrypoint is required locally: the service has no copy of the image "
            "to take its default entrypoint from; give the command, e.g. "
            f"['python3', '{PROCESSING_ROOT}/input/code/<script>.py']"
        )
    hosts = int(((body.get("ProcessingResources") or {}).get("ClusterConfig") or {}).get("InstanceCount", 1))
    if not 1 <= hosts <= MAX_LOCAL_HOSTS:
        raise ValidationException(
            f"ProcessingResources.ClusterConfig.InstanceCount: {hosts} is not supported by the local service, "
            f"which runs every host as a process on this machine; give 1 to {MAX_LOCAL_HOSTS}"
        )
    if hosts > 1 and not bubblewrap():
        raise ValidationException(
            f"ProcessingResources.ClusterConfig.InstanceCount: {hosts} hosts need bubblewrap, which gives each "
            f"its name and /opt/ml; {NO_BUBBLEWRAP}"
        )
    if hosts > 1 and body.get("NetworkConfig", {}).get("EnableNetworkIsolation"):
        raise ValidationException(
            f"NetworkConfig.EnableNetworkIsolation: with ClusterConfig.InstanceCount {hosts} the local hosts "
            "would each get a network of their own and could not reach one another; use one instance or no "
            "isolation"
        )
    if bubblewrap():
        return
    if body.get("NetworkConfig", {}).get("EnableNetworkIsolation"):
        raise ValidationException(
            f"NetworkConfig.EnableNetworkIsolation: {NO_BUBBLEWRAP}, so the local service cannot cut the "
            "job's network; install bubblewrap or leave EnableNetworkIsolation false"
        )
    if len(entrypoint) < 2 or entrypoint[0].rsplit("/", 1)[-1] not in PYTHON_INTERPRETERS:
        raise ValidationException(
            f"AppSpecification.ContainerEntrypoint: {NO_BUBBLEWRAP}, and without it the local service runs "
            f"only python scripts; give ['python3', '{PROCESSING_ROOT}/input/code/<script>.py'], "
            f"got {entrypoint!r}"
        )
    _require_processing_path(entrypoint[1], "AppSpecification.ContainerEntrypoint[1]")


def prepare_processing(ctx: ServiceContext, body: dict[str, Any]) -> None:
    app = body["AppSpecification"]
    # The XGBoost image also runs python3 scripts (SageMaker Pipelines evaluates models with it).
    if algorithm_for_image(app["ImageUri"]) not in (PYTHON_PROCESSING, XGBOOST):
        raise ValidationException(
            f"AppSpecification.ImageUri: {app['ImageUri']!r} is not supported by the local service; use "
            f"{SUPPORTED_PROCESSING}"
        )
    _check_entrypoint(body)
    inputs = body.get("ProcessingInputs", [])
    reject_duplicates([i["InputName"] for i in inputs], "ProcessingInputs.InputName")
    for item in inputs:
        source = item.get("S3Input")
        if source is None:
            raise ValidationException(
                f"ProcessingInputs {item['InputName']!r}: only S3Input is supported locally (not DatasetDefinition)"
            )
        if source["S3DataType"] != "S3Prefix":
            raise ValidationException(
                f"ProcessingInputs {item['InputName']!r}: S3DataType {source['S3DataType']!r} is not "
                "supported locally; use S3Prefix"
            )
        require_s3_uri(source["S3Uri"], f"ProcessingInputs {item['InputName']!r} S3Uri")
        _require_processing_path(source["LocalPath"], f"ProcessingInputs {item['InputName']!r} LocalPath")
    outputs = body.get("ProcessingOutputConfig", {}).get("Outputs", [])
    reject_duplicates([o["OutputName"] for o in outputs], "ProcessingOutputConfig.Outputs.OutputName")
    for item in outputs:
        target = item.get("S3Output")
        if target is None:
            raise ValidationException(
                f"ProcessingOutputConfig output {item['OutputName']!r}: only S3Output is supported locally"
            )
        require_s3_uri(target["S3Uri"], f"ProcessingOutputConfig output {item['OutputName']!r} S3Uri")
        _require_processing_path(
            target["LocalPath"], f"ProcessingOutputConfig output {item['OutputName']!r} LocalPath"
        )


OPERATIONS = job_operations(PROCESSING, prepare_processing, dict)
