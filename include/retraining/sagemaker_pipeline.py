"""Seed 003's SageMaker Pipeline as a definition (schema 2020-12-01), and how a DAG run names its execution.

The same steps the SDK's workflow classes write for the seed (tests/unit/local_sagemaker/test_sdk_pipeline.py
builds it that way): process -> train -> evaluate -> condition on the MSE -> create model -> batch transform,
else fail. Plain dicts, so the DAG needs no SageMaker SDK; pure Python, no Airflow, no network."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CODE_DIR = Path(__file__).resolve().parent / "pipeline_code"
SCRIPTS = ("preprocess.py", "evaluate.py")
PIPELINE_NAME = "AbalonePipeline"
INSTANCE = "ml.m5.xlarge"
_DISPLAY_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$")


def get(path: str) -> dict[str, str]:
    return {"Get": path}


def _s3_input(name: str, uri: Any, local_path: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File"},
    }


def _s3_output(name: str, uri: str, local_path: str) -> dict[str, Any]:
    return {
        "OutputName": name,
        "S3Output": {"S3Uri": uri, "LocalPath": local_path, "S3UploadMode": "EndOfJob"},
    }


def _processing(
    role_arn: str, image: str, script: str, code_uri: str, inputs: list[Any], outputs: list[Any]
) -> dict[str, Any]:
    return {
        "RoleArn": role_arn,
        "AppSpecification": {
            "ImageUri": image,
            "ContainerEntrypoint": ["python3", f"/opt/ml/processing/input/code/{script}"],
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": INSTANCE, "VolumeSizeInGB": 30}
        },
        "ProcessingInputs": [
            *inputs,
            _s3_input("code", f"{code_uri}{script}", "/opt/ml/processing/input/code"),
        ],
        "ProcessingOutputConfig": {"Outputs": outputs},
    }


def abalone_definition(bucket: str, role_arn: str, image: str, num_round: int = 30) -> dict[str, Any]:
    """The pipeline; its parameters are InputData, BatchData (S3 URIs) and MseThreshold."""
    root = f"s3://{bucket}/{PIPELINE_NAME}"
    code_uri = f"{root}/code/"
    split = get("Steps.AbaloneProcess.ProcessingOutputConfig.Outputs['{}'].S3Output.S3Uri")
    model_artifact = get("Steps.AbaloneTrain.ModelArtifacts.S3ModelArtifacts")
    mse = {
        "Std:JsonGet": {
            "PropertyFile": get("Steps.AbaloneEval.PropertyFiles.EvaluationReport"),
            "Path": "regression_metrics.mse.value",
        }
    }

    def output_of(name: str) -> dict[str, str]:
        return get(split["Get"].format(name))

    def channel(name: str) -> dict[str, Any]:
        source = {
            "S3DataType": "S3Prefix",
            "S3Uri": output_of(name),
            "S3DataDistributionType": "FullyReplicated",
        }
        return {"ChannelName": name, "ContentType": "text/csv", "DataSource": {"S3DataSource": source}}

    process = {
        "Name": "AbaloneProcess",
        "Type": "Processing",
        "Arguments": _processing(
            role_arn,
            image,
            "preprocess.py",
            code_uri,
            [_s3_input("input", get("Parameters.InputData"), "/opt/ml/processing/input")],
            [
                _s3_output(s, f"{root}/data/{s}", f"/opt/ml/processing/{s}")
                for s in ("train", "validation", "test")
            ],
        ),
        "CacheConfig": {"Enabled": True, "ExpireAfter": "P30D"},
    }
    train = {
        "Name": "AbaloneTrain",
        "Type": "Training",
        "Arguments": {
            "RoleArn": role_arn,
            "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
            "HyperParameters": {
                "objective": "reg:squarederror",
                "num_round": str(num_round),
                "max_depth": "4",
                "eta": "0.3",
            },
            "InputDataConfig": [channel("train"), channel("validation")],
            "OutputDataConfig": {"S3OutputPath": f"{root}/model"},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": INSTANCE, "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        },
        "RetryPolicies": [
            {
                "ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"],
                "IntervalSeconds": 1,
                "BackoffRate": 2.0,
                "MaxAttempts": 2,
            }
        ],
    }
    evaluate = {
        "Name": "AbaloneEval",
        "Type": "Processing",
        "Arguments": _processing(
            role_arn,
            image,
            "evaluate.py",
            code_uri,
            [
                _s3_input("model", model_artifact, "/opt/ml/processing/model"),
                _s3_input("test", output_of("test"), "/opt/ml/processing/test"),
            ],
            [_s3_output("evaluation", f"{root}/evaluation", "/opt/ml/processing/evaluation")],
        ),
        "PropertyFiles": [
            {
                "PropertyFileName": "EvaluationReport",
                "OutputName": "evaluation",
                "FilePath": "evaluation.json",
            }
        ],
    }
    create_model = {
        "Name": "AbaloneCreateModel",
        "Type": "Model",
        "Arguments": {
            "ExecutionRoleArn": role_arn,
            "PrimaryContainer": {"Image": image, "ModelDataUrl": model_artifact},
        },
    }
    transform = {
        "Name": "AbaloneTransform",
        "Type": "Transform",
        "Arguments": {
            "ModelName": get("Steps.AbaloneCreateModel.ModelName"),
            "TransformInput": {
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": get("Parameters.BatchData")}
                },
                "ContentType": "text/csv",
            },
            "TransformOutput": {
                "S3OutputPath": {
                    "Std:Join": {
                        "On": "/",
                        "Values": [f"{root}/transform", get("Execution.PipelineExecutionId")],
                    }
                }
            },
            "TransformResources": {"InstanceCount": 1, "InstanceType": INSTANCE},
        },
    }
    fail = {
        "Name": "AbaloneMSEFail",
        "Type": "Fail",
        "Arguments": {
            "ErrorMessage": {
                "Std:Join": {
                    "On": " ",
                    "Values": ["Execution failed due to MSE >", get("Parameters.MseThreshold")],
                }
            }
        },
    }
    condition = {
        "Name": "AbaloneMSECond",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {"Type": "LessThanOrEqualTo", "LeftValue": mse, "RightValue": get("Parameters.MseThreshold")}
            ],
            "IfSteps": [create_model, transform],
            "ElseSteps": [fail],
        },
    }
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [
            {"Name": "InputData", "Type": "String", "DefaultValue": f"{root}/raw/abalone.csv"},
            {"Name": "BatchData", "Type": "String", "DefaultValue": f"{root}/batch/"},
            {"Name": "MseThreshold", "Type": "Float", "DefaultValue": 7.0},
        ],
        "PipelineExperimentConfig": {
            "ExperimentName": get("Execution.PipelineName"),
            "TrialName": get("Execution.PipelineExecutionId"),
        },
        "Steps": [process, train, evaluate, condition],
    }


def definition_text(definition: dict[str, Any]) -> str:
    """Stable text, so an unchanged definition is recognised and not uploaded as a new version."""
    return json.dumps(definition, sort_keys=True)


def execution_display_name(dag_id: str, run_id: str) -> str:
    """A run's execution display name (SageMaker: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}), the same on every retry,
    so a retried start finds the execution its first try started."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", f"{dag_id}-{run_id}").strip("-")
    if len(slug) > 82:
        import hashlib

        digest = hashlib.sha256(slug.encode()).hexdigest()[:10]
        slug = f"{slug[:71].rstrip('-')}-{digest}"
    assert _DISPLAY_NAME_PATTERN.match(slug), slug
    return slug
