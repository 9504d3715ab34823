"""SageMaker request dicts for the provider operators, each checked against botocore's service model."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from retraining.naming import job_name, model_name, run_key
from retraining.settings import AwsJobSettings, SeededRunSettings, TrainingRunSettings

SEED_SCRIPT = "seed_data.py"
PROCESSING_ROOT = "/opt/ml/processing"
SEED_OUTPUTS = ("train", "validation", "test", "test_labels")
MODEL_CONTENT_TYPE = "application/x-sagemaker-model"


@functools.cache
def _operation_input(operation: str) -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(operation).input_shape


def checked(operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """Raise ValueError if boto3's own client would reject the request."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(request, _operation_input(operation))
    if report.has_errors():
        raise ValueError(f"{operation} request is invalid: {report.generate_report()}")
    return request


def s3_channel(name: str, uri: str, content_type: str = "text/csv") -> dict[str, Any]:
    return {
        "ChannelName": name,
        "ContentType": content_type,
        "InputMode": "File",
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }


def seed_processing_request(
    *, job: str, settings: SeededRunSettings, image_uri: str, code_s3_uri: str, output_s3_prefix: str
) -> dict[str, Any]:
    return checked(
        "CreateProcessingJob",
        {
            "ProcessingJobName": job,
            "RoleArn": settings.role_arn,
            "AppSpecification": {
                "ImageUri": image_uri,
                "ContainerEntrypoint": ["python3", f"{PROCESSING_ROOT}/input/code/{SEED_SCRIPT}"],
                "ContainerArguments": ["--rows", str(settings.rows), "--seed", str(settings.data_seed)],
            },
            "ProcessingInputs": [
                {
                    "InputName": "code",
                    "S3Input": {
                        "S3Uri": code_s3_uri,
                        "LocalPath": f"{PROCESSING_ROOT}/input/code",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": name,
                        "S3Output": {
                            "S3Uri": f"{output_s3_prefix}/{name}",
                            "LocalPath": f"{PROCESSING_ROOT}/output/{name}",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                    for name in SEED_OUTPUTS
                ]
            },
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime_seconds},
        },
    )


def training_request(
    *,
    job: str,
    settings: AwsJobSettings,
    hyperparameters: dict[str, str],
    image_uri: str,
    train_s3_uri: str,
    validation_s3_uri: str | None,
    output_s3_path: str,
    model_s3_uri: str | None = None,
) -> dict[str, Any]:
    """A training job; with `model_s3_uri` it continues from that artifact (SageMaker incremental training)."""
    channels = [s3_channel("train", train_s3_uri)]
    if validation_s3_uri:
        channels.append(s3_channel("validation", validation_s3_uri))
    if model_s3_uri:
        channels.append(s3_channel("model", model_s3_uri, MODEL_CONTENT_TYPE))
    return checked(
        "CreateTrainingJob",
        {
            "TrainingJobName": job,
            "AlgorithmSpecification": {"TrainingImage": image_uri, "TrainingInputMode": "File"},
            "RoleArn": settings.role_arn,
            "InputDataConfig": channels,
            "OutputDataConfig": {"S3OutputPath": output_s3_path},
            "ResourceConfig": {
                "InstanceCount": 1,
                "InstanceType": settings.training_instance_type,
                "VolumeSizeInGB": 30,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime_seconds},
            "HyperParameters": dict(hyperparameters),
        },
    )


def model_request(*, model: str, image_uri: str, model_data_url: str, role_arn: str) -> dict[str, Any]:
    return checked(
        "CreateModel",
        {
            "ModelName": model,
            "PrimaryContainer": {"Image": image_uri, "ModelDataUrl": model_data_url, "Environment": {}},
            "ExecutionRoleArn": role_arn,
        },
    )


def transform_request(
    *, job: str, model: str, input_s3_uri: str, output_s3_path: str, instance_type: str
) -> dict[str, Any]:
    return checked(
        "CreateTransformJob",
        {
            "TransformJobName": job,
            "ModelName": model,
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_s3_uri}},
                "ContentType": "text/csv",
                "CompressionType": "None",
                "SplitType": "Line",
            },
            "TransformOutput": {"S3OutputPath": output_s3_path, "AssembleWith": "Line"},
            "TransformResources": {"InstanceCount": 1, "InstanceType": instance_type},
        },
    )


@dataclass(frozen=True)
class SeededRunLayout:
    """Where one run of a seeded DAG keeps everything: s3://<bucket>/<dag>/<run key>/{code,data,models,transform}."""

    key: str
    root: str

    @property
    def data(self) -> str:
        return f"{self.root}/data"

    @property
    def transform_output(self) -> str:
        return f"{self.root}/transform"


def seeded_run_plan(
    settings: SeededRunSettings,
    *,
    job_prefix: str,
    dag_id: str,
    run_id: str,
    logical_date: datetime | None,
    xgboost_image: str,
    processing_image: str,
) -> tuple[SeededRunLayout, dict[str, Any]]:
    """What every seeded run plans the same way: its S3 layout, the seeding job, the training data channels'
    home and where the transform of the test rows writes (and its labels)."""
    key = run_key(run_id, logical_date)
    layout = SeededRunLayout(key=key, root=f"s3://{settings.bucket}/{dag_id}/{key}")
    seed_job = job_name(job_prefix, "seed", key)
    return layout, {
        "run_key": key,
        "code_s3_uri": f"{layout.root}/code/",
        "seed_job_name": seed_job,
        "seed_request": seed_processing_request(
            job=seed_job,
            settings=settings,
            image_uri=processing_image,
            code_s3_uri=f"{layout.root}/code/",
            output_s3_prefix=layout.data,
        ),
        "xgboost_image": xgboost_image,
        "role_arn": settings.role_arn,
        # SageMaker writes <S3OutputPath>/<input file name>.out
        "transform_output_s3_uri": f"{layout.transform_output}/test.csv.out",
        "test_labels_s3_uri": f"{layout.data}/test_labels/test_labels.csv",
    }


def plan_train_and_transform(
    settings: TrainingRunSettings,
    *,
    dag_id: str,
    run_id: str,
    logical_date: datetime | None,
    xgboost_image: str,
    processing_image: str,
) -> dict[str, Any]:
    """Every name, S3 location and request of one `train_and_transform` run."""
    layout, plan = seeded_run_plan(
        settings,
        job_prefix="tt",
        dag_id=dag_id,
        run_id=run_id,
        logical_date=logical_date,
        xgboost_image=xgboost_image,
        processing_image=processing_image,
    )
    training_job = job_name("tt", "train", layout.key)
    model = model_name(training_job)
    transform_job = job_name("tt", "transform", layout.key)
    return {
        **plan,
        "training_job_name": training_job,
        "training_request": training_request(
            job=training_job,
            settings=settings,
            hyperparameters=settings.hyperparameters,
            image_uri=xgboost_image,
            train_s3_uri=f"{layout.data}/train/",
            validation_s3_uri=f"{layout.data}/validation/",
            output_s3_path=f"{layout.root}/models",
        ),
        "model_name": model,
        "transform_job_name": transform_job,
        "transform_request": transform_request(
            job=transform_job,
            model=model,
            input_s3_uri=f"{layout.data}/test/",
            output_s3_path=layout.transform_output,
            instance_type=settings.transform_instance_type,
        ),
    }
