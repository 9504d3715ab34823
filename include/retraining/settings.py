"""What a run is given (DAG Params), validated before any job starts, with errors that say how to fix them."""

from __future__ import annotations

import functools
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SettingsT = TypeVar("SettingsT", bound=BaseModel)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@\-/]+$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")


@functools.cache
def instance_types(shape: str) -> frozenset[str]:
    """Instance types SageMaker accepts for a job kind, from botocore's own service model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return frozenset(getattr(model.shape_for(shape), "enum", []))


class AwsJobSettings(BaseModel):
    """Where and as whom SageMaker jobs run: what every DAG's settings share."""

    model_config = ConfigDict(extra="forbid")

    bucket: str
    role_arn: str
    region: str
    training_instance_type: str = "ml.m5.xlarge"
    transform_instance_type: str = "ml.m5.xlarge"
    max_runtime_seconds: int = Field(default=3600, ge=1, le=432_000)

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if value.startswith("s3://"):
            raise ValueError("give the bucket name without s3:// (e.g. my-ml-bucket)")
        if not _BUCKET.match(value) or ".." in value or _IP_ADDRESS.match(value):
            raise ValueError(
                "is not a valid S3 bucket name; use 3-63 lowercase letters, digits, dots and hyphens, "
                "starting and ending with a letter or digit"
            )
        return value

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str) -> str:
        if not _ROLE_ARN.match(value):
            raise ValueError(
                "is not an IAM role ARN; give the SageMaker execution role as "
                "arn:aws:iam::<12-digit account>:role/<name>"
            )
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError("is not an AWS region name such as us-east-1; set region_name on the connection")
        return value

    @field_validator("training_instance_type")
    @classmethod
    def _training_instance(cls, value: str) -> str:
        return _check_instance(value, "TrainingInstanceType")

    @field_validator("transform_instance_type")
    @classmethod
    def _transform_instance(cls, value: str) -> str:
        return _check_instance(value, "TransformInstanceType")


class SeededRunSettings(AwsJobSettings):
    """Settings of the DAGs that seed a synthetic data set with a processing job before training on it."""

    rows: int = Field(default=20_000, ge=100, le=5_000_000)
    data_seed: int = Field(default=42, ge=0)


class TrainingRunSettings(SeededRunSettings):
    """Settings of the DAGs that seed a data set, train on it and transform."""

    hyperparameters: dict[str, str]

    @field_validator("hyperparameters")
    @classmethod
    def _hyperparameters(cls, value: dict[str, str]) -> dict[str, str]:
        for name, setting in value.items():
            if not isinstance(setting, str) or not setting.strip():
                raise ValueError(
                    f"{name} must be a non-empty string (SageMaker passes hyperparameters as strings)"
                )
        rounds = value.get("num_round")
        if rounds is None or not rounds.isdigit() or int(rounds) < 1:
            raise ValueError(f"num_round must be a positive whole number such as '100', got {rounds!r}")
        return value


def _check_instance(value: str, shape: str) -> str:
    allowed = instance_types(shape)
    if value not in allowed:
        examples = ", ".join(sorted(t for t in allowed if t.startswith("ml.m5."))[:4])
        raise ValueError(f"is not a SageMaker instance type for this job; use one such as {examples}")
    return value


def validation_message(error: ValidationError) -> str:
    """One readable line per problem: field, the value given, and what to do."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "settings"
        given = problem.get("input")
        reason = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{field}: {given!r} {reason}" if not isinstance(given, dict) else f"{field}: {reason}")
    return "; ".join(lines)


def parse_settings(values: dict[str, Any], model: type[SettingsT]) -> SettingsT:
    """Validate, raising ValueError with `validation_message` text."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ValueError(validation_message(error)) from None
