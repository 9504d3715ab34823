"""Training jobs: what the service checks before accepting one, and its first description."""

from __future__ import annotations

from typing import Any

from local_sagemaker.checkpoint_sync import DEFAULT_LOCAL_PATH
from local_sagemaker.containers.cluster import MAX_LOCAL_HOSTS
from local_sagemaker.containers.isolation import bubblewrap
from local_sagemaker.containers.metrics import check_metric_definitions
from local_sagemaker.containers.runtime import NO_BUBBLEWRAP
from local_sagemaker.containers.toolkit_env import decode_hyperparameters, runs_user_code
from local_sagemaker.errors import ValidationException
from local_sagemaker.images import SUPPORTED_TRAINING, XGBOOST, algorithm_for_image, is_other_framework_image
from local_sagemaker.jobs import TRAINING
from local_sagemaker.operations.context import ServiceContext, now, reject_duplicates, require_s3_uri
from local_sagemaker.operations.jobs import job_operations

SUPPORTED_INPUT_MODES = ("File", "FastFile")


def _check_checkpoint_config(config: dict[str, Any] | None) -> None:
    if config is None:
        return
    require_s3_uri(config["S3Uri"], "CheckpointConfig.S3Uri")
    local_path = config.get("LocalPath")
    if local_path is not None and (not local_path.startswith("/") or ".." in local_path.split("/")):
        raise ValidationException(
            f"CheckpointConfig.LocalPath: {local_path!r} must be an absolute path without '..', "
            f"e.g. {DEFAULT_LOCAL_PATH} (the default)"
        )


def _check_instance_count(resources: dict[str, Any]) -> None:
    count = resources.get("InstanceCount", 1)
    if not 1 <= count <= MAX_LOCAL_HOSTS:
        raise ValidationException(
            f"ResourceConfig.InstanceCount: {count} is not supported by the local service, which runs every "
            f"host as a process on this machine; give 1 to {MAX_LOCAL_HOSTS}"
        )


def prepare_training(ctx: ServiceContext, body: dict[str, Any]) -> None:
    spec = body["AlgorithmSpecification"]
    _check_instance_count(body.get("ResourceConfig") or {})
    if "AlgorithmName" in spec and "TrainingImage" not in spec:
        raise ValidationException(
            "AlgorithmSpecification.AlgorithmName: the local service does not run Marketplace algorithms; "
            f"give AlgorithmSpecification.TrainingImage, one of {SUPPORTED_TRAINING}"
        )
    image = spec.get("TrainingImage")
    if not image:
        raise ValidationException("AlgorithmSpecification.TrainingImage is required")
    if runs_user_code(body):
        _check_user_code(body, image)
    elif algorithm_for_image(image) is not XGBOOST:
        raise ValidationException(
            f"AlgorithmSpecification.TrainingImage: {image!r} has no built-in algorithm the local service "
            f"runs; give HyperParameters sagemaker_program and sagemaker_submit_directory (script mode) or "
            f"AlgorithmSpecification.ContainerEntrypoint, with {SUPPORTED_TRAINING}"
        )
    elif spec.get("MetricDefinitions"):
        raise ValidationException(
            "AlgorithmSpecification.MetricDefinitions: the built-in XGBoost algorithm reports its own metrics "
            "(train:rmse, validation:auc, ...); metric definitions apply to your own training code"
        )
    if spec.get("TrainingInputMode", "File") not in SUPPORTED_INPUT_MODES:
        raise ValidationException(
            f"AlgorithmSpecification.TrainingInputMode: {spec['TrainingInputMode']!r} is not supported by "
            f"the local service; use one of {', '.join(SUPPORTED_INPUT_MODES)}"
        )
    channels = body.get("InputDataConfig", [])
    reject_duplicates([c["ChannelName"] for c in channels], "InputDataConfig.ChannelName")
    for channel in channels:
        source = channel["DataSource"].get("S3DataSource")
        if source is None:
            raise ValidationException(
                f"InputDataConfig channel {channel['ChannelName']!r}: only S3DataSource is supported locally"
            )
        if source["S3DataType"] != "S3Prefix":
            raise ValidationException(
                f"InputDataConfig channel {channel['ChannelName']!r}: S3DataType {source['S3DataType']!r} "
                "is not supported by the local service; use S3Prefix"
            )
        require_s3_uri(source["S3Uri"], f"InputDataConfig channel {channel['ChannelName']!r} S3Uri")
    require_s3_uri(body["OutputDataConfig"]["S3OutputPath"], "OutputDataConfig.S3OutputPath")
    _check_checkpoint_config(body.get("CheckpointConfig"))
    body.setdefault("HyperParameters", {})
    body.setdefault("EnableNetworkIsolation", False)
    body.setdefault("EnableInterContainerTrafficEncryption", False)
    body.setdefault("EnableManagedSpotTraining", False)


def _check_user_code(body: dict[str, Any], image: str) -> None:
    """Script mode and ContainerEntrypoint jobs: an image whose Python the service has, a runnable program."""
    spec = body["AlgorithmSpecification"]
    if is_other_framework_image(image) or algorithm_for_image(image) is None:
        raise ValidationException(
            f"AlgorithmSpecification.TrainingImage: {image!r} is not supported by the local service, which "
            f"runs training code with its own Python (xgboost, scikit-learn, pandas); use {SUPPORTED_TRAINING}"
        )
    if "ContainerArguments" in spec and "ContainerEntrypoint" not in spec:
        raise ValidationException(
            "AlgorithmSpecification.ContainerArguments: without ContainerEntrypoint they would replace the "
            "image's own command, which the local service does not have; give ContainerEntrypoint too"
        )
    hosts = int((body.get("ResourceConfig") or {}).get("InstanceCount", 1))
    if hosts > 1 and bubblewrap() is None:
        raise ValidationException(
            f"ResourceConfig.InstanceCount: {hosts} hosts of user code need bubblewrap, which gives each "
            f"host its name and /opt/ml; {NO_BUBBLEWRAP}"
        )
    if hosts > 1 and body.get("EnableNetworkIsolation"):
        raise ValidationException(
            f"EnableNetworkIsolation: with ResourceConfig.InstanceCount {hosts} the local hosts would each get "
            "a network of their own and could not reach one another; use InstanceCount 1 or no isolation"
        )
    if body.get("EnableNetworkIsolation") and bubblewrap() is None:
        raise ValidationException(
            f"EnableNetworkIsolation: {NO_BUBBLEWRAP}, so the job's network cannot be cut"
        )
    problem = check_metric_definitions(spec.get("MetricDefinitions", []))
    if problem:
        raise ValidationException(problem)
    if spec.get("ContainerEntrypoint"):
        return
    hyperparameters = decode_hyperparameters(body.get("HyperParameters", {}))
    submit_directory = hyperparameters.get("sagemaker_submit_directory")
    if not isinstance(submit_directory, str) or not submit_directory.startswith("s3://"):
        raise ValidationException(
            "HyperParameters.sagemaker_submit_directory: script mode needs the S3 URI of the source "
            f"directory's archive (s3://<bucket>/<prefix>/sourcedir.tar.gz), got {submit_directory!r}"
        )
    if not str(hyperparameters.get("sagemaker_program", "")).strip():
        raise ValidationException("HyperParameters.sagemaker_program: name the script to run, e.g. train.py")


def initial_training() -> dict[str, Any]:
    started = now()
    return {
        "SecondaryStatus": "Starting",
        "SecondaryStatusTransitions": [
            {"Status": "Starting", "StartTime": started, "StatusMessage": "Launching requested ML instances"}
        ],
    }


OPERATIONS = job_operations(TRAINING, prepare_training, initial_training, {"SecondaryStatus": "Stopping"})
