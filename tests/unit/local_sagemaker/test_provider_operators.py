"""The provider's own operators, used the plain way (waiting and printing logs), against the local service."""

from __future__ import annotations

from typing import Any

from tests.support.sagemaker_api import unique


def test_training_operator_waits_and_prints_the_jobs_logs(local_stack: Any, training_request: Any) -> None:
    from airflow.providers.amazon.aws.operators.sagemaker import SageMakerTrainingOperator
    from structlog.testing import capture_logs

    request = training_request(name=unique("provider"))
    operator = SageMakerTrainingOperator(
        task_id="train",
        config=request,
        wait_for_completion=True,
        print_log=True,
        check_interval=1,
        aws_conn_id="aws_default",
    )
    with capture_logs() as events:
        result = operator.execute(context={})  # type: ignore[arg-type]
    assert result["Training"]["TrainingJobStatus"] == "Completed"
    logged = "\n".join(str(event.get("event")) for event in events)
    assert "[9]#011train-rmse:" in logged, "the job's CloudWatch log lines must appear in the task log"
    assert "Billable seconds" in logged
