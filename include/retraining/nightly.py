"""The nightly retraining line: its settings, the night's names and paths, and full-vs-incremental choice."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, Literal

from pydantic import Field

from retraining.builders import checked, model_request, training_request, transform_request
from retraining.naming import job_name
from retraining.settings import AwsJobSettings

TrainingMode = Literal["full", "incremental"]
PROCESSING_ROOT = "/opt/ml/processing"
DATA_SCRIPT = "daily_data.py"
EVALUATION_SCRIPT = "evaluate_model.py"
EVALUATION_FILE = "evaluation.json"
PARTITION_FILES = ("train", "validation", "test", "score")


class NightlySettings(AwsJobSettings):
    """What the trigger form and the schedule give one night's run."""

    model_package_group: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    training_mode: Literal["auto", "incremental", "full"] = "auto"
    mse_threshold: float = Field(gt=0)
    # A fraction of the champion's MSE: 0.02 means "at most 2 % worse than the champion".
    tolerance: float = Field(ge=0, le=1)
    extra_rounds: int = Field(ge=1, le=1000)
    full_rounds: int = Field(ge=1, le=5000)
    full_retrain_every_days: int = Field(ge=0, le=366)
    rows_per_day: int = Field(ge=200, le=2_000_000)
    label_noise: float = Field(default=0.0, ge=0, le=100)
    max_depth: int = Field(default=4, ge=1, le=16)
    eta: float = Field(default=0.2, gt=0, le=1)


def decide_training_mode(
    requested: str, champion: dict[str, Any] | None, partition: date, full_retrain_every_days: int
) -> tuple[TrainingMode, str]:
    """Full when asked, when there is no champion to continue from, or on the periodic refresh day."""
    if requested == "full":
        return "full", "a full retrain was requested"
    if champion is None:
        if requested == "incremental":
            return "full", "incremental was requested but there is no champion yet, so training starts fresh"
        return "full", "there is no champion yet"
    if (
        requested == "auto"
        and full_retrain_every_days
        and partition.toordinal() % full_retrain_every_days == 0
    ):
        return "full", f"periodic full retrain (every {full_retrain_every_days} days)"
    return "incremental", f"continuing from champion version {champion['version']} ({champion['data_date']})"


def parse_partition_date(text: str) -> date:
    """The form's optional partition_date, with a message that names the field and the format."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(
            f"partition_date: {text!r} is not a date ({error}); use YYYY-MM-DD, or leave it empty for the "
            "day before the run's logical date"
        ) from None


def input_digest(*inputs: Any) -> str:
    """Six hex characters that change whenever an input that shapes a job's output changes."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()[:6]


def plan_night(
    settings: NightlySettings, *, dag_id: str, partition: date, xgboost_image: str, processing_image: str
) -> dict[str, Any]:
    """Names, S3 layout and the requests that do not depend on the champion, for one partition date.

    Names are the date plus a digest of what shapes the job's output: re-running a date with the same
    inputs finds the same jobs; changing an input (say, the rows per day) makes new ones."""
    ds = partition.isoformat()
    root = f"s3://{settings.bucket}/{dag_id}"
    data_variant = input_digest(settings.rows_per_day, settings.label_noise)
    partition_uri = f"{root}/data/ds={ds}/variant={data_variant}"
    seed_job = job_name("nr", "data", f"{partition:%Y%m%d}-{data_variant}")
    return {
        "partition_date": ds,
        "dag_id": dag_id,
        # Top level because an XComArg can look up one key deep only.
        "model_package_group": settings.model_package_group,
        "root_s3_uri": root,
        "code_s3_uri": f"{root}/code/",
        "partition_s3_uri": partition_uri,
        "seed_job_name": seed_job,
        "seed_request": _seed_request(
            settings, seed_job, processing_image, f"{root}/code/", partition_uri, ds
        ),
        "models_s3_uri": f"{root}/models",
        "xgboost_image": xgboost_image,
        "processing_image": processing_image,
        "settings": settings.model_dump(),
    }


def night_names(plan: dict[str, Any], mode: TrainingMode, champion: dict[str, Any] | None) -> dict[str, str]:
    """The night's training, evaluation and scoring names: the date plus a digest of the training inputs."""
    settings = plan["settings"]
    rounds = settings["extra_rounds"] if mode == "incremental" else settings["full_rounds"]
    parent = champion["model_data_url"] if mode == "incremental" and champion else None
    key = f"{plan['partition_date'].replace('-', '')}-" + input_digest(
        plan["partition_s3_uri"], mode, rounds, settings["max_depth"], settings["eta"], parent
    )
    ds, root = plan["partition_date"], plan["root_s3_uri"]
    return {
        "training_job_name": job_name("nr", "train", key),
        "evaluation_job_name": job_name("nr", "evaluate", key),
        "evaluation_s3_uri": f"{root}/evaluation/ds={ds}/{key}",
        "transform_job_name": job_name("nr", "score", key),
        "scores_s3_uri": f"{root}/scores/ds={ds}/{key}",
    }


def _processing_input(name: str, uri: str, local: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {"S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix", "S3InputMode": "File"},
    }


def _processing_output(name: str, uri: str) -> dict[str, Any]:
    return {
        "OutputName": name,
        "S3Output": {
            "S3Uri": uri,
            "LocalPath": f"{PROCESSING_ROOT}/output/{name}",
            "S3UploadMode": "EndOfJob",
        },
    }


def _processing_request(
    settings: NightlySettings,
    job: str,
    image: str,
    script: str,
    arguments: list[str],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
) -> dict[str, Any]:
    app: dict[str, Any] = {
        "ImageUri": image,
        "ContainerEntrypoint": ["python3", f"{PROCESSING_ROOT}/input/code/{script}"],
    }
    if arguments:  # the API rejects an empty ContainerArguments list
        app["ContainerArguments"] = arguments
    return checked(
        "CreateProcessingJob",
        {
            "ProcessingJobName": job,
            "RoleArn": settings.role_arn,
            "AppSpecification": app,
            "ProcessingInputs": inputs,
            "ProcessingOutputConfig": {"Outputs": outputs},
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime_seconds},
        },
    )


def _seed_request(
    settings: NightlySettings, job: str, image: str, code_uri: str, partition_uri: str, ds: str
) -> dict[str, Any]:
    arguments = [
        "--date",
        ds,
        "--rows",
        str(settings.rows_per_day),
        "--label-noise",
        str(settings.label_noise),
    ]
    return _processing_request(
        settings,
        job,
        image,
        DATA_SCRIPT,
        arguments,
        [_processing_input("code", code_uri + DATA_SCRIPT, f"{PROCESSING_ROOT}/input/code")],
        [_processing_output(name, f"{partition_uri}/{name}") for name in PARTITION_FILES],
    )


def night_training_request(
    plan: dict[str, Any], names: dict[str, str], mode: TrainingMode, champion: dict[str, Any] | None
) -> dict[str, Any]:
    settings = NightlySettings.model_validate(plan["settings"])
    rounds = settings.extra_rounds if mode == "incremental" else settings.full_rounds
    hyperparameters = {
        "objective": "reg:squarederror",
        "eval_metric": "rmse",
        "num_round": str(rounds),
        "max_depth": str(settings.max_depth),
        "eta": str(settings.eta),
    }
    return training_request(
        job=names["training_job_name"],
        settings=settings,
        hyperparameters=hyperparameters,
        image_uri=plan["xgboost_image"],
        train_s3_uri=f"{plan['partition_s3_uri']}/train/",
        validation_s3_uri=f"{plan['partition_s3_uri']}/validation/",
        output_s3_path=plan["models_s3_uri"],
        model_s3_uri=champion["model_data_url"] if mode == "incremental" and champion else None,
    )


def evaluation_request(
    plan: dict[str, Any], names: dict[str, str], candidate_model_uri: str, champion: dict[str, Any] | None
) -> dict[str, Any]:
    """A processing job (XGBoost image) scoring the candidate and the champion on the night's held-out rows."""
    settings = NightlySettings.model_validate(plan["settings"])
    inputs = [
        _processing_input("code", plan["code_s3_uri"] + EVALUATION_SCRIPT, f"{PROCESSING_ROOT}/input/code"),
        _processing_input("candidate", candidate_model_uri, f"{PROCESSING_ROOT}/input/candidate"),
        _processing_input("test", f"{plan['partition_s3_uri']}/test/", f"{PROCESSING_ROOT}/input/test"),
    ]
    if champion:
        inputs.append(
            _processing_input("champion", champion["model_data_url"], f"{PROCESSING_ROOT}/input/champion")
        )
    return _processing_request(
        settings,
        names["evaluation_job_name"],
        plan["xgboost_image"],
        EVALUATION_SCRIPT,
        [],
        inputs,
        [_processing_output("evaluation", names["evaluation_s3_uri"])],
    )


def night_model_request(plan: dict[str, Any], model: str, model_data_url: str) -> dict[str, Any]:
    return model_request(
        model=model,
        image_uri=plan["xgboost_image"],
        model_data_url=model_data_url,
        role_arn=plan["settings"]["role_arn"],
    )


def night_transform_request(plan: dict[str, Any], names: dict[str, str], model: str) -> dict[str, Any]:
    return transform_request(
        job=names["transform_job_name"],
        model=model,
        input_s3_uri=f"{plan['partition_s3_uri']}/score/",
        output_s3_path=names["scores_s3_uri"],
        instance_type=plan["settings"]["transform_instance_type"],
    )
