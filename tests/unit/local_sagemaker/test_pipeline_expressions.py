"""The pipeline definition language without a service: property paths, Std:Join, conditions, retry waits.

Follows the AWS "Pipeline definition JSON schema" page (Get, Std:Join, Std:JsonGet, condition types) and the
"Retry policy for pipeline steps" page (IntervalSeconds, BackoffRate, MaxAttempts)."""

from __future__ import annotations

from typing import Any

import pytest

from local_sagemaker.errors import ValidationException
from local_sagemaker.pipelines.definition import parse_definition, seconds_of
from local_sagemaker.pipelines.expressions import ExpressionError, PropertyFileRef, condition_holds, evaluate
from local_sagemaker.pipelines.steps import JOB_INTERNAL_ERROR, retry_delay, retry_type

DESCRIBE = {
    "ProcessingOutputConfig": {"Outputs": [{"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}}]},
    "FinalMetricDataList": [{"MetricName": "validation:rmse", "Value": 0.25}],
}


class Scope:
    parameters: dict[str, Any] = {"Threshold": 0.5, "Flag": True}
    variables: dict[str, Any] = {"PipelineExecutionId": "abc123"}

    def step_properties(self, step: str) -> dict[str, Any]:
        if step != "Train":
            raise ExpressionError(f"no step {step}")
        return DESCRIBE

    def read_property_file(self, ref: PropertyFileRef) -> Any:
        return {"metrics": {"mse": [{"value": 3.5}]}}

    def read_json(self, s3_uri: str) -> Any:
        return {}


def test_get_join_and_json_get() -> None:
    scope = Scope()
    value = {
        "Uri": {"Get": "Steps.Train.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"},
        "Rmse": {"Get": "Steps.Train.FinalMetricDataList['validation:rmse'].Value"},
        "Name": {
            "Std:Join": {
                "On": "-",
                "Values": ["run", {"Get": "Execution.PipelineExecutionId"}, {"Get": "Parameters.Flag"}],
            }
        },
        "Mse": {
            "Std:JsonGet": {
                "PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"},
                "Path": "metrics.mse[0].value",
            }
        },
    }
    assert evaluate(value, scope, "test") == {
        "Uri": "s3://b/train",
        "Rmse": 0.25,
        "Name": "run-abc123-true",
        "Mse": 3.5,
    }
    with pytest.raises(ExpressionError, match="no member named 'test'"):
        evaluate({"Get": "Steps.Train.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"}, scope, "test")


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (
            {"Type": "LessThanOrEqualTo", "LeftValue": 0.5, "RightValue": {"Get": "Parameters.Threshold"}},
            True,
        ),
        ({"Type": "GreaterThan", "LeftValue": "0.7", "RightValue": 0.5}, True),
        ({"Type": "GreaterThanOrEqualTo", "LeftValue": 0.4, "RightValue": 0.5}, False),
        ({"Type": "LessThan", "LeftValue": 1, "RightValue": 2}, True),
        ({"Type": "Equals", "LeftValue": "a", "RightValue": "a"}, True),
        ({"Type": "In", "QueryValue": "b", "Values": ["a", "b"]}, True),
        ({"Type": "Not", "Condition": {"Type": "Equals", "LeftValue": 1, "RightValue": 1}}, False),
        (
            {
                "Type": "Or",
                "Conditions": [
                    {"Type": "Equals", "LeftValue": 1, "RightValue": 2},
                    {"Type": "LessThan", "LeftValue": 1, "RightValue": 2},
                ],
            },
            True,
        ),
    ],
)
def test_every_condition_type(condition: dict[str, Any], holds: bool) -> None:
    assert condition_holds(condition, Scope(), "test") is holds


def test_retry_waits_back_off_and_stop_after_max_attempts() -> None:
    policies = [
        {"ExceptionType": [JOB_INTERNAL_ERROR], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 2}
    ]
    kind = retry_type("InternalServerError: the local service failed to run the job: boom")
    assert kind == JOB_INTERNAL_ERROR
    assert [retry_delay(policies, kind, attempt) for attempt in (1, 2, 3)] == [2.0, 6.0, None]
    assert retry_delay(policies, retry_type("AlgorithmError: bad data"), 1) is None  # the user's failure


def test_definition_checks() -> None:
    assert seconds_of("PT1H") == 3600 and seconds_of("P1DT30M") == 86400 + 1800
    cyclic = '{"Version": "2020-12-01", "Steps": [{"Name": "A", "Type": "Fail", "DependsOn": ["B"]}, {"Name": "B", "Type": "Fail", "DependsOn": ["A"]}]}'
    with pytest.raises(ValidationException, match="cycle"):
        parse_definition(cyclic)
