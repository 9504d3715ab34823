"""The provider's SageMaker sensors, with two corrections for a pipeline that builds on the job's output.

- A job that ended Stopped did not finish its work: the provider's transform and tuning sensors count
  Stopped as success (its training and processing sensors already count it as failed), so a stopped batch
  transform's partial output would be scored and published. Here Stopped fails the task for every kind.
- A job that ended Failed or Stopped fails the task at once (AirflowFailException): a sensor retry only
  reads the same ended job again. Re-running the run starts a new attempt through the idempotent operator.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.sensors.sagemaker import (
    SageMakerPipelineSensor,
    SageMakerProcessingSensor,
    SageMakerTrainingSensor,
    SageMakerTransformSensor,
    SageMakerTuningSensor,
)
from airflow.sdk.exceptions import AirflowFailException

ENDED_UNFINISHED = {"Failed", "Stopped"}


class _EndedJobFailsTheTask:
    """Mixed in before a provider SageMaker sensor (which supplies the methods used here)."""

    resource_type: str
    job_name: str

    def failed_states(self) -> set[str]:
        return ENDED_UNFINISHED

    def poke(self, context: Any) -> bool:
        sensor: Any = self
        response = sensor.get_sagemaker_response()
        if response["ResponseMetadata"]["HTTPStatusCode"] != 200:
            sensor.log.info("Bad HTTP response: %s", response)
            return False
        state = sensor.state_from_response(response)
        sensor.log.info("%s %s currently %s", self.resource_type, self.job_name, state)
        if state in sensor.non_terminal_states():
            return False
        if state in ENDED_UNFINISHED:
            reason = response.get("FailureReason") or "no reason given"
            raise AirflowFailException(
                f"SageMaker {self.resource_type} {self.job_name} ended {state}: {reason}. Retrying this sensor "
                "cannot change that; re-run the DAG run to start a new attempt."
            )
        return True


class ProcessingSensor(_EndedJobFailsTheTask, SageMakerProcessingSensor):
    pass


class TrainingSensor(_EndedJobFailsTheTask, SageMakerTrainingSensor):
    pass


class TransformSensor(_EndedJobFailsTheTask, SageMakerTransformSensor):
    pass


class TuningSensor(_EndedJobFailsTheTask, SageMakerTuningSensor):
    pass


class PipelineSensor(_EndedJobFailsTheTask, SageMakerPipelineSensor):
    """A Failed or Stopped pipeline execution fails the task at once, with the execution's FailureReason."""

    @property
    def job_name(self) -> str:  # type: ignore[override]  # the mixin logs it; here it is the execution ARN
        return str(self.pipeline_exec_arn)
