"""A completed job is reused only while its outputs exist; a task reading a vanished output fails at once.

Follows SageMaker's DescribeTrainingJob (ModelArtifacts.S3ModelArtifacts), DescribeHyperParameterTuningJob
(BestTrainingJob.TrainingJobName) and Amazon S3 HeadObject/GetObject (404 NoSuchKey) through the provider's
hooks against the local stack (issue 17, item 7)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, channel, unique


class TaskInstanceStub:
    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def _message(event: dict[str, Any]) -> str:
    """A captured log event as the task log shows it (%-style arguments filled in)."""
    args = event.get("positional_args")
    return str(event.get("event")) % tuple(args) if args else str(event.get("event"))


def test_training_is_reused_while_its_artifact_exists_and_rerun_once_it_is_gone(
    local_stack: Any, s3: Any, training_request: Any
) -> None:
    from structlog.testing import capture_logs

    from retraining_airflow.idempotent import JOB_NAME_XCOM_KEY, IdempotentTrainingOperator

    request = training_request(name=unique("reuse"), hyperparameters={"num_round": "2"})

    def run_task() -> tuple[str, str, str]:
        operator = IdempotentTrainingOperator(
            task_id="train", config=dict(request), wait_for_completion=True, print_log=False, check_interval=1
        )
        ti = TaskInstanceStub()
        with capture_logs() as events:
            result = operator.execute({"ti": ti})  # type: ignore[arg-type]
        logged = "\n".join(_message(event) for event in events)
        return ti.xcom[JOB_NAME_XCOM_KEY], result["Training"]["ModelArtifacts"]["S3ModelArtifacts"], logged

    first, artifact, _ = run_task()
    again, same_artifact, logged = run_task()
    assert (again, same_artifact) == (first, artifact)
    assert "Reusing completed" in logged

    bucket, _, key = artifact[len("s3://") :].partition("/")
    s3.delete_object(Bucket=bucket, Key=key)
    rerun, new_artifact, logged = run_task()
    assert rerun == f"{first}-a2"
    assert new_artifact != artifact
    assert f"{first} ended Completed, but its outputs are gone ({artifact})" in logged
    assert s3.head_object(Bucket=bucket, Key=new_artifact.split("/", 3)[3])["ContentLength"] > 0


def test_reading_a_vanished_job_output_fails_at_once_naming_object_and_job(local_stack: Any) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from retraining_airflow.job_outputs import read_job_output

    uri = f"s3://{local_stack.bucket}/{unique('gone')}/evaluation.json"
    with pytest.raises(AirflowFailException) as failure:
        read_job_output(uri, "nr-evaluate-20310201-abc", "aws_default")
    message = str(failure.value)
    assert uri in message and "nr-evaluate-20310201-abc" in message and "clear the task" in message


def test_tuning_is_reused_while_its_best_jobs_artifact_exists_and_rerun_once_it_is_gone(
    sagemaker: Any, s3: Any, dataset: dict[str, Any]
) -> None:
    """What a tuning job is reused for is its best training job's model: once that artifact is gone, the
    task runs a new attempt (-a2) and the log says why."""
    from structlog.testing import capture_logs

    from retraining_airflow.idempotent import JOB_NAME_XCOM_KEY, IdempotentTuningOperator

    request = {
        "HyperParameterTuningJobName": unique("reuse-tune")[:32],
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "4"}]
            },
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "InputDataConfig": [channel(c, dataset["uris"][c]) for c in ("train", "validation")],
            "OutputDataConfig": {
                "S3OutputPath": f"s3://{dataset['bucket']}/{dataset['prefix']}/reuse-tuning"
            },
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
            "StaticHyperParameters": {"objective": "reg:logistic", "eval_metric": "rmse", "num_round": "2"},
        },
    }

    def run_task(wait: bool = True) -> tuple[str, dict[str, Any], str]:
        operator = IdempotentTuningOperator(
            task_id="tune", config=dict(request), wait_for_completion=wait, check_interval=1
        )
        ti = TaskInstanceStub()
        with capture_logs() as events:
            result = operator.execute({"ti": ti})  # type: ignore[arg-type]
        logged = "\n".join(_message(event) for event in events)
        return ti.xcom[JOB_NAME_XCOM_KEY], result["Tuning"], logged

    first, tuned, _ = run_task()
    best = tuned["BestTrainingJob"]["TrainingJobName"]
    again, reused, logged = run_task()
    assert (again, reused["BestTrainingJob"]["TrainingJobName"]) == (first, best)
    assert "Reusing completed" in logged

    artifact = sagemaker.describe_training_job(TrainingJobName=best)["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, _, key = artifact[len("s3://") :].partition("/")
    s3.delete_object(Bucket=bucket, Key=key)
    rerun, started, logged = run_task(wait=False)  # that it starts is the point; its run is proven above
    try:
        assert rerun == f"{first}-a2"
        assert started["HyperParameterTuningJobName"] == rerun
        assert f"{first} ended Completed, but its outputs are gone ({artifact})" in logged
    finally:
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=rerun)
