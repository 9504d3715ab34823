"""The DAGs' sensors: a job that ended Failed or Stopped fails the task for good, whatever its kind."""

from __future__ import annotations

from typing import Any

import pytest

from retraining_airflow.sensors import ProcessingSensor, TrainingSensor, TransformSensor, TuningSensor

STATUS_FIELD = {
    ProcessingSensor: "ProcessingJobStatus",
    TrainingSensor: "TrainingJobStatus",
    TransformSensor: "TransformJobStatus",
    TuningSensor: "HyperParameterTuningJobStatus",
}


def sensor_seeing(monkeypatch: pytest.MonkeyPatch, sensor_class: Any, status: str, reason: str = "") -> Any:
    sensor = sensor_class(task_id="await_job", job_name="job-1", aws_conn_id="aws_default")
    answer = {STATUS_FIELD[sensor_class]: status, "ResponseMetadata": {"HTTPStatusCode": 200}}
    if reason:
        answer["FailureReason"] = reason
    monkeypatch.setattr(sensor, "get_sagemaker_response", lambda: answer)
    return sensor


@pytest.mark.parametrize("sensor_class", list(STATUS_FIELD))
@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_an_ended_unfinished_job_fails_the_task_without_retries(
    monkeypatch: pytest.MonkeyPatch, sensor_class: Any, status: str
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    sensor = sensor_seeing(monkeypatch, sensor_class, status, "AlgorithmError: boom")
    with pytest.raises(AirflowFailException) as failed:
        sensor.poke({})
    assert f"job-1 ended {status}" in str(failed.value)
    if status == "Failed":
        assert "AlgorithmError: boom" in str(failed.value)


@pytest.mark.parametrize("sensor_class", list(STATUS_FIELD))
def test_running_jobs_are_waited_for_and_completed_ones_pass(
    monkeypatch: pytest.MonkeyPatch, sensor_class: Any
) -> None:
    assert sensor_seeing(monkeypatch, sensor_class, "InProgress").poke({}) is False
    assert sensor_seeing(monkeypatch, sensor_class, "Stopping").poke({}) is False
    assert sensor_seeing(monkeypatch, sensor_class, "Completed").poke({}) is True
