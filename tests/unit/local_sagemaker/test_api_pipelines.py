"""SageMaker Pipelines through boto3 on the local service: definitions, executions, steps, caching, stop.

Follows the AWS "Pipeline definition JSON schema" and "Pipelines steps" pages (schema 2020-12-01:
Parameters, `Get`, `Std:Join`, `Std:JsonGet` over PropertyFiles, Condition and Fail steps, CacheConfig) and
botocore's model of the pipeline operations (ResourceNotFound for an unknown pipeline or execution)."""

from __future__ import annotations

import json
import textwrap
import time
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


def test_pipeline_lifecycle_s3_definition_tags_lists_parallelism_retry_delete(
    sagemaker: Any, s3: Any, local_stack: Any, pipeline: str
) -> None:
    definition = sagemaker.describe_pipeline(PipelineName=pipeline)["PipelineDefinition"]
    key = f"{unique('definitions')}/pipeline.json"
    s3.put_object(Bucket=local_stack.bucket, Key=key, Body=definition.encode())
    name = unique("serial")
    created_after = time.time()
    token = uuid.uuid4().hex
    request = {
        "PipelineName": name,
        "PipelineDisplayName": "Serial-gate",
        "PipelineDescription": "one step at a time",
        "RoleArn": ROLE,
        "PipelineDefinitionS3Location": {"Bucket": local_stack.bucket, "ObjectKey": key},
        "ParallelismConfiguration": {"MaxParallelExecutionSteps": 1},
        "Tags": [{"Key": "team", "Value": "ml"}],
        "ClientRequestToken": token,
    }
    arn = sagemaker.create_pipeline(**request)["PipelineArn"]
    assert sagemaker.create_pipeline(**request)["PipelineArn"] == arn  # the same request again
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    described = sagemaker.describe_pipeline(PipelineName=name)
    assert described["PipelineDisplayName"] == "Serial-gate" and described["PipelineDefinition"] == definition

    # One step at a time: the two independent scoring steps do not overlap.
    _, steps = run(sagemaker, name)
    a, b = sorted((steps["ScoreA"], steps["ScoreB"]), key=lambda s: s["StartTime"])
    assert a["EndTime"] <= b["StartTime"]

    # A second version fails the gate; version 1 can still be started by id.
    changed = json.loads(definition)
    changed["Parameters"][0]["DefaultValue"] = 1.0
    sagemaker.update_pipeline(
        PipelineName=name,
        PipelineDisplayName="Strict-gate",
        PipelineDefinition=json.dumps(changed),
        ParallelismConfiguration={"MaxParallelExecutionSteps": 2},
    )
    assert (
        sagemaker.describe_pipeline(PipelineName=name, PipelineVersionId=1)["PipelineDefinition"]
        == definition
    )
    failed = sagemaker.start_pipeline_execution(
        PipelineName=name, PipelineExecutionDisplayName="strict", PipelineExecutionDescription="v2"
    )["PipelineExecutionArn"]
    wait_for(
        lambda: (
            sagemaker.describe_pipeline_execution(PipelineExecutionArn=failed)["PipelineExecutionStatus"]
            == "Failed"
        ),
        "the strict gate to fail",
    )
    first_job = {
        s["StepName"]: s
        for s in sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=failed)[
            "PipelineExecutionSteps"
        ]
    }["ScoreB"]["Metadata"]
    # Retry re-runs what did not succeed (the condition and its Fail step), keeping the scoring steps' jobs.
    sagemaker.retry_pipeline_execution(
        PipelineExecutionArn=failed, ParallelismConfiguration={"MaxParallelExecutionSteps": 3}
    )
    wait_for(
        lambda: (
            sagemaker.describe_pipeline_execution(PipelineExecutionArn=failed)["PipelineExecutionStatus"]
            == "Failed"
        ),
        "the retried gate to fail again",
    )
    retried = sagemaker.describe_pipeline_execution(PipelineExecutionArn=failed)
    assert retried["ParallelismConfiguration"] == {"MaxParallelExecutionSteps": 3}
    assert "TooHigh" in retried["FailureReason"]
    page = sagemaker.list_pipeline_execution_steps(
        PipelineExecutionArn=failed, MaxResults=2, SortOrder="Ascending"
    )
    assert page["PipelineExecutionSteps"][0]["StepName"] in ("ScoreA", "ScoreB")
    rest = sagemaker.list_pipeline_execution_steps(
        PipelineExecutionArn=failed, NextToken=page["NextToken"], SortOrder="Ascending"
    )
    by_name = {s["StepName"]: s for s in page["PipelineExecutionSteps"] + rest["PipelineExecutionSteps"]}
    assert set(by_name) == {"ScoreA", "ScoreB", "MseGate", "TooHigh"}
    assert by_name["ScoreB"]["Metadata"] == first_job
    started_v1 = sagemaker.start_pipeline_execution(PipelineName=name, PipelineVersionId=1)[
        "PipelineExecutionArn"
    ]
    assert sagemaker.describe_pipeline_execution(PipelineExecutionArn=started_v1)["PipelineVersionId"] == 1
    wait_for(
        lambda: (
            sagemaker.describe_pipeline_execution(PipelineExecutionArn=started_v1)["PipelineExecutionStatus"]
            == "Succeeded"
        ),
        "version 1 to pass its gate",
    )

    # Lists: time filters, order and pages.
    executions = sagemaker.list_pipeline_executions(PipelineName=name, SortOrder="Ascending", MaxResults=1)
    assert len(executions["PipelineExecutionSummaries"]) == 1 and "NextToken" in executions
    later = sagemaker.list_pipeline_executions(
        PipelineName=name, NextToken=executions["NextToken"], SortBy="CreationTime"
    )
    assert len(later["PipelineExecutionSummaries"]) == 2
    by_arn = sagemaker.list_pipeline_executions(
        PipelineName=name, SortBy="PipelineExecutionArn", SortOrder="Ascending"
    )
    arns = [e["PipelineExecutionArn"] for e in by_arn["PipelineExecutionSummaries"]]
    assert arns == sorted(arns)
    assert not sagemaker.list_pipeline_executions(PipelineName=name, CreatedBefore=created_after)[
        "PipelineExecutionSummaries"
    ]
    assert (
        len(
            sagemaker.list_pipeline_executions(PipelineName=name, CreatedAfter=created_after)[
                "PipelineExecutionSummaries"
            ]
        )
        == 3
    )
    strict = [
        e
        for e in sagemaker.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]
        if e["PipelineExecutionDisplayName"] == "strict"
    ]
    assert (
        strict[0]["PipelineExecutionDescription"] == "v2"
        and "TooHigh" in strict[0]["PipelineExecutionFailureReason"]
    )
    versions = sagemaker.list_pipeline_versions(PipelineName=name, MaxResults=1, CreatedAfter=created_after)
    more = sagemaker.list_pipeline_versions(
        PipelineName=name, NextToken=versions["NextToken"], CreatedBefore=time.time() + 60
    )
    assert [
        v["PipelineVersionId"]
        for v in versions["PipelineVersionSummaries"] + more["PipelineVersionSummaries"]
    ] == [2, 1]
    parameters = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=failed, MaxResults=1)
    assert len(parameters["PipelineParameters"]) == 1
    rest_parameters = sagemaker.list_pipeline_parameters_for_execution(
        PipelineExecutionArn=failed, NextToken=parameters["NextToken"]
    )
    assert {p["Name"] for p in parameters["PipelineParameters"] + rest_parameters["PipelineParameters"]} == {
        "MseThreshold",
        "Score",
    }
    listed = sagemaker.list_pipelines(
        CreatedAfter=created_after,
        CreatedBefore=time.time() + 60,
        SortBy="Name",
        SortOrder="Ascending",
        MaxResults=100,
    )
    assert name in [p["PipelineName"] for p in listed["PipelineSummaries"]]
    assert pipeline not in [p["PipelineName"] for p in listed["PipelineSummaries"]]  # created earlier

    sagemaker.delete_pipeline(PipelineName=name)
    with pytest.raises(ClientError) as error:
        sagemaker.describe_pipeline(PipelineName=name)
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


def test_the_execution_page_shows_the_step_graph_with_links_to_the_jobs(
    sagemaker: Any, local_stack: Any, pipeline: str
) -> None:
    """The page the Airflow link opens (include/retraining/links.py builds its URL from the execution ARN)."""
    import urllib.request

    from retraining import links

    execution, steps = run(sagemaker, pipeline, MseThreshold="2.5")
    arn = execution["PipelineExecutionArn"]
    kind = links.PIPELINE_EXECUTION.kind
    url = links.resource_url(
        kind, links.name_from_result(kind, arn) or "", links.Target("us-east-1", local_stack.sagemaker_url)
    )
    with urllib.request.urlopen(url, timeout=30) as answer:
        page = answer.read().decode()
    job = steps["ScoreA"]["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[1]
    assert f'href="/jobs/processing-job/{job}"' in page
    assert 'class="step Failed" id="step-TooHigh"' in page and "MSE 3.5 is above 2.5" in page
    assert 'class="step NotRun" id="step-AfterGate"' in page
    # Columns by dependency depth: the scoring steps come before the gate, the gate before its branches.
    assert page.index("step-ScoreB") < page.index("step-MseGate") < page.index("step-TooHigh")
    console = links.resource_url(kind, "AbalonePipeline/abc123", links.Target("eu-west-1", None))
    assert console.endswith("#/pipelines/AbalonePipeline/executions/abc123")
    with urllib.request.urlopen(f"{local_stack.sagemaker_url}/pipelines", timeout=30) as answer:
        assert pipeline in answer.read().decode()


def test_a_restart_ends_a_running_execution_failed_with_a_reason_and_keeps_its_steps(
    sagemaker: Any, local_stack: Any, pipeline: str
) -> None:
    """As jobs do (test_api_restart): a worker cut off by a crash ends Failed, saying why."""
    import signal

    from local_sagemaker.stack import stop_service, up

    definition = json.loads(sagemaker.describe_pipeline(PipelineName=pipeline)["PipelineDefinition"])
    definition["Steps"][1]["Arguments"]["Environment"]["SLEEP"] = "60"
    name = unique("crash")
    sagemaker.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=json.dumps(definition))
    arn = sagemaker.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]

    def step(step_name: str) -> dict[str, Any]:
        listed = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        return next((s for s in listed if s["StepName"] == step_name), {})

    wait_for(lambda: step("ScoreA").get("StepStatus") == "Succeeded", "ScoreA to succeed")
    assert step("ScoreB")["StepStatus"] == "Executing"
    stop_service(local_stack, "sagemaker", signal.SIGKILL)
    up(local_stack)

    execution = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert "stopped while this pipeline execution was running" in execution["FailureReason"]
    assert step("ScoreA")["StepStatus"] == "Succeeded"
    assert step("ScoreB")["StepStatus"] == "Failed"
    job = step("ScoreB")["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[1]
    assert sagemaker.describe_processing_job(ProcessingJobName=job)["ProcessingJobStatus"] == "Failed"
