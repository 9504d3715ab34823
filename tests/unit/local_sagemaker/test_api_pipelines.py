"""SageMaker Pipelines through boto3 on the local service: definitions, executions, steps, caching, stop.

Follows the AWS "Pipeline definition JSON schema" and "Pipelines steps" pages (schema 2020-12-01:
Parameters, `Get`, `Std:Join`, `Std:JsonGet` over PropertyFiles, Condition and Fail steps, CacheConfig) and
botocore's model of the pipeline operations (ResourceNotFound for an unknown pipeline or execution)."""

from __future__ import annotations

import json
import textwrap
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import ROLE, SKLEARN_IMAGE, unique, wait_for

SCORE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    score = float(sys.argv[sys.argv.index("--score") + 1])
    time.sleep(float(os.environ.get("SLEEP", "0")))
    os.makedirs("/opt/ml/processing/evaluation", exist_ok=True)
    with open("/opt/ml/processing/evaluation/evaluation.json", "w") as out:
        json.dump({"regression_metrics": {"mse": {"value": score}}}, out)
    print("scored", score)
    """
)


def score_step(
    name: str, bucket: str, prefix: str, score: Any, sleep: str = "0", **extra: Any
) -> dict[str, Any]:
    """A Processing step as the SDK writes one: a `code` input, an `evaluation` output, a property file."""
    return {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "RoleArn": ROLE,
            "AppSpecification": {
                "ImageUri": SKLEARN_IMAGE,
                "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/score.py"],
                "ContainerArguments": ["--score", score],
            },
            "Environment": {"SLEEP": sleep},
            "ProcessingInputs": [
                {
                    "InputName": "code",
                    "S3Input": {
                        "S3Uri": f"s3://{bucket}/{prefix}/code/score.py",
                        "LocalPath": "/opt/ml/processing/input/code",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "evaluation",
                        "S3Output": {
                            "S3Uri": {
                                "Std:Join": {
                                    "On": "/",
                                    "Values": [
                                        f"s3://{bucket}/{prefix}",
                                        {"Get": "Execution.PipelineName"},
                                        name,
                                    ],
                                }
                            },
                            "LocalPath": "/opt/ml/processing/evaluation",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 300},
        },
        "PropertyFiles": [
            {"PropertyFileName": "Evaluation", "OutputName": "evaluation", "FilePath": "evaluation.json"}
        ],
        **extra,
    }


def gate_definition(bucket: str, prefix: str) -> dict[str, Any]:
    """Two independent scoring steps, a condition on the first's property file, a Fail step otherwise."""
    mse = {
        "Std:JsonGet": {
            "PropertyFile": {"Get": "Steps.ScoreA.PropertyFiles.Evaluation"},
            "Path": "regression_metrics.mse.value",
        }
    }
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [
            {"Name": "MseThreshold", "Type": "Float", "DefaultValue": 7.0},
            {"Name": "Score", "Type": "String", "DefaultValue": "3.5"},
        ],
        "Steps": [
            score_step(
                "ScoreA",
                bucket,
                prefix,
                {"Get": "Parameters.Score"},
                sleep="1",
                CacheConfig={"Enabled": True, "ExpireAfter": "PT1H"},
            ),
            score_step("ScoreB", bucket, prefix, "1.0", sleep="1"),
            {
                "Name": "MseGate",
                "Type": "Condition",
                "Arguments": {
                    "Conditions": [
                        {
                            "Type": "LessThanOrEqualTo",
                            "LeftValue": mse,
                            "RightValue": {"Get": "Parameters.MseThreshold"},
                        },
                        {
                            "Type": "Not",
                            "Condition": {
                                "Type": "In",
                                "QueryValue": {"Get": "Parameters.Score"},
                                "Values": ["bad", "worse"],
                            },
                        },
                        {
                            "Type": "Or",
                            "Conditions": [
                                {"Type": "GreaterThan", "LeftValue": mse, "RightValue": 0},
                                {"Type": "Equals", "LeftValue": 1, "RightValue": 2},
                            ],
                        },
                    ],
                    "IfSteps": [
                        score_step("AfterGate", bucket, prefix, "0.5", DependsOn=["ScoreB"]),
                    ],
                    "ElseSteps": [
                        {
                            "Name": "TooHigh",
                            "Type": "Fail",
                            "Arguments": {
                                "ErrorMessage": {
                                    "Std:Join": {
                                        "On": " ",
                                        "Values": [
                                            "MSE",
                                            mse,
                                            "is above",
                                            {"Get": "Parameters.MseThreshold"},
                                        ],
                                    }
                                }
                            },
                        }
                    ],
                },
            },
        ],
    }


@pytest.fixture(scope="module")
def pipeline(sagemaker: Any, s3: Any, local_stack: Any) -> str:
    prefix = unique("pipelines")
    s3.put_object(Bucket=local_stack.bucket, Key=f"{prefix}/code/score.py", Body=SCORE_SCRIPT.encode())
    name = unique("gate")
    sagemaker.create_pipeline(
        PipelineName=name,
        RoleArn=ROLE,
        PipelineDefinition=json.dumps(gate_definition(local_stack.bucket, prefix)),
    )
    return name


def run(sagemaker: Any, pipeline: str, **parameters: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    arn = sagemaker.start_pipeline_execution(
        PipelineName=pipeline, PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters.items()]
    )["PipelineExecutionArn"]
    wait_for(
        lambda: (
            sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]
            not in ("Executing", "Stopping")
        ),
        f"pipeline execution {arn}",
        timeout_seconds=120,
    )
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn), {s["StepName"]: s for s in steps}


def test_a_passing_gate_runs_its_branch_in_parallel_and_reuses_a_cached_step(
    sagemaker: Any, pipeline: str
) -> None:
    execution, steps = run(sagemaker, pipeline)
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")
    assert set(steps) == {"ScoreA", "ScoreB", "MseGate", "AfterGate"}  # the Fail step never ran
    assert steps["MseGate"]["Metadata"]["Condition"]["Outcome"] == "True"
    # The two scoring steps ran at once: each started before the other ended.
    a, b = steps["ScoreA"], steps["ScoreB"]
    assert a["StartTime"] < b["EndTime"] and b["StartTime"] < a["EndTime"]
    job_arn = a["Metadata"]["ProcessingJob"]["Arn"]
    jobs = sagemaker.list_processing_jobs(NameContains=execution["PipelineExecutionArn"].rsplit("/", 1)[1])
    assert job_arn in {j["ProcessingJobArn"] for j in jobs["ProcessingJobSummaries"]}

    again, steps_again = run(sagemaker, pipeline)
    assert again["PipelineExecutionStatus"] == "Succeeded"
    assert (
        steps_again["ScoreA"]["CacheHitResult"]["SourcePipelineExecutionArn"]
        == execution["PipelineExecutionArn"]
    )
    assert steps_again["ScoreA"]["Metadata"]["ProcessingJob"]["Arn"] == job_arn
    assert "CacheHitResult" not in steps_again["ScoreB"]  # no CacheConfig: a new job


def test_a_failing_gate_ends_in_the_fail_steps_message(sagemaker: Any, pipeline: str) -> None:
    execution, steps = run(sagemaker, pipeline, MseThreshold="2.5")
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert "TooHigh" in execution["FailureReason"]
    assert "MSE 3.5 is above 2.5" in execution["FailureReason"]
    assert steps["TooHigh"]["StepStatus"] == "Failed"
    assert steps["TooHigh"]["Metadata"]["Fail"]["ErrorMessage"] == "MSE 3.5 is above 2.5"
    assert "AfterGate" not in steps
    parameters = sagemaker.list_pipeline_parameters_for_execution(
        PipelineExecutionArn=execution["PipelineExecutionArn"]
    )
    assert {"Name": "MseThreshold", "Value": "2.5"} in parameters["PipelineParameters"]


def test_a_failing_job_fails_the_execution_naming_the_step(sagemaker: Any, pipeline: str) -> None:
    execution, steps = run(sagemaker, pipeline, Score="not-a-number")
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert "'ScoreA'" in execution["FailureReason"] and "exited with code 1" in execution["FailureReason"]
    assert steps["ScoreA"]["StepStatus"] == "Failed"
    assert "MseGate" not in steps


def test_stop_ends_the_execution_and_its_running_jobs(sagemaker: Any, pipeline: str) -> None:
    definition = json.loads(sagemaker.describe_pipeline(PipelineName=pipeline)["PipelineDefinition"])
    definition["Steps"][1]["Arguments"]["Environment"]["SLEEP"] = "60"
    name = unique("slow")
    sagemaker.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=json.dumps(definition))
    arn = sagemaker.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]

    def running_job() -> Any:
        steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        return [s for s in steps if s["StepName"] == "ScoreB" and "Metadata" in s]

    wait_for(running_job, "ScoreB's job to start")
    sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)
    wait_for(
        lambda: (
            sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]
            == "Stopped"
        ),
        "the execution to stop",
    )
    job_name = running_job()[0]["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[1]
    assert sagemaker.describe_processing_job(ProcessingJobName=job_name)["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as error:
        sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)
    assert error.value.response["Error"]["Code"] == "ConflictException"


def test_definitions_and_versions(sagemaker: Any, pipeline: str) -> None:
    described = sagemaker.describe_pipeline(PipelineName=pipeline)
    updated = sagemaker.update_pipeline(PipelineName=pipeline, PipelineDescription="second version")
    assert updated["PipelineVersionId"] == 2
    versions = sagemaker.list_pipeline_versions(PipelineName=pipeline)["PipelineVersionSummaries"]
    assert [v["PipelineVersionId"] for v in versions] == [2, 1]
    arn = sagemaker.list_pipeline_executions(PipelineName=pipeline)["PipelineExecutionSummaries"][0][
        "PipelineExecutionArn"
    ]
    kept = sagemaker.describe_pipeline_definition_for_execution(PipelineExecutionArn=arn)
    assert kept["PipelineDefinition"] == described["PipelineDefinition"]
    assert pipeline in {
        p["PipelineName"]
        for p in sagemaker.list_pipelines(PipelineNamePrefix=pipeline[:6])["PipelineSummaries"]
    }


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["Steps"].append({"Name": "Notify", "Type": "Lambda", "Arguments": {}}), "'Lambda'"),
        (lambda d: d["Steps"][1].update(DependsOn=["Nowhere"]), "'Nowhere'"),
        (
            lambda d: d["Steps"][0]["Arguments"]["Environment"].update(X={"Get": "Parameters.Missing"}),
            "Parameters.Missing",
        ),
        (lambda d: d["Steps"][0]["CacheConfig"].update(ExpireAfter="an hour"), "ExpireAfter"),
        (lambda d: d.update(Version="2019-01-01"), "Version"),
    ],
)
def test_a_definition_the_service_cannot_run_is_refused_naming_what(
    sagemaker: Any, local_stack: Any, change: Any, named: str
) -> None:
    definition = gate_definition(local_stack.bucket, "unused")
    change(definition)
    with pytest.raises(ClientError) as error:
        sagemaker.create_pipeline(
            PipelineName=unique("bad"), RoleArn=ROLE, PipelineDefinition=json.dumps(definition)
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert named in error.value.response["Error"]["Message"]


def test_unknown_pipelines_and_bad_parameters(sagemaker: Any, pipeline: str) -> None:
    with pytest.raises(ClientError) as error:
        sagemaker.describe_pipeline(PipelineName="no-such-pipeline")
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        sagemaker.start_pipeline_execution(
            PipelineName=pipeline, PipelineParameters=[{"Name": "MseThreshold", "Value": "low"}]
        )
    assert "MseThreshold" in error.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as error:
        sagemaker.start_pipeline_execution(
            PipelineName=pipeline, PipelineParameters=[{"Name": "Nope", "Value": "1"}]
        )
    assert "'Nope'" in error.value.response["Error"]["Message"]
    token = uuid.uuid4().hex
    first = sagemaker.start_pipeline_execution(PipelineName=pipeline, ClientRequestToken=token)
    second = sagemaker.start_pipeline_execution(PipelineName=pipeline, ClientRequestToken=token)
    assert first["PipelineExecutionArn"] == second["PipelineExecutionArn"]
