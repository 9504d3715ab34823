"""`sagemaker_pipeline` end to end on the local stack with Airflow's `dag.test()`: the provider's
SageMakerStartPipelineOperator starts seed 003's pipeline and SageMakerPipelineSensor waits for it (AWS:
"Pipelines steps", the provider's "Amazon SageMaker" operator guide)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from scripts.dag_runs import run_dag, task_result

pytestmark = pytest.mark.e2e

FEATURES = 7


def upload_abalone(s3: Any, bucket: str, prefix: str) -> tuple[str, str]:
    rng = np.random.default_rng(5)
    x = rng.uniform(0.1, 1.0, size=(300, FEATURES))
    rings = 3 + 12 * x[:, 0] + 6 * x[:, 6] + rng.normal(0, 0.5, len(x))
    raw = io.StringIO()
    raw.write(",".join([f"f{i}" for i in range(FEATURES)] + ["rings"]) + "\n")
    np.savetxt(raw, np.column_stack([x, rings]), delimiter=",", fmt="%.4f")
    batch = io.StringIO()
    np.savetxt(batch, x[:40], delimiter=",", fmt="%.4f")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/raw/abalone.csv", Body=raw.getvalue().encode())
    s3.put_object(Bucket=bucket, Key=f"{prefix}/batch/batch.csv", Body=batch.getvalue().encode())
    return f"s3://{bucket}/{prefix}/raw/abalone.csv", f"s3://{bucket}/{prefix}/batch/"


def test_the_dag_runs_the_pipeline_reattaches_on_a_rerun_and_fails_on_an_unmet_threshold(
    local_stack: Any, airflow_db: Any, sagemaker: Any, s3: Any
) -> None:
    raw, batch = upload_abalone(s3, local_stack.bucket, "pipeline-dag-data")
    conf = {"input_data": raw, "batch_data": batch, "num_round": 20}
    run_after = datetime(2026, 11, 2, 1, tzinfo=UTC)
    result = run_dag("sagemaker_pipeline", datetime(2026, 11, 2, tzinfo=UTC), conf, run_after=run_after)
    assert result.succeeded(), result.task_states
    arn = task_result(result.dag_id, result.run_id, "start_pipeline")
    execution = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert execution["PipelineExecutionStatus"] == "Succeeded"
    steps = {
        s["StepName"]
        for s in sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    }
    assert {"AbaloneTrain", "AbaloneTransform"} <= steps
    parameters = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)[
        "PipelineParameters"
    ]
    assert {"Name": "InputData", "Value": raw} in parameters

    # The same run again (a cleared run): the start re-attaches to its execution, the pipeline is unchanged.
    again = run_dag("sagemaker_pipeline", datetime(2026, 11, 2, tzinfo=UTC), conf, run_after=run_after)
    assert again.run_id == result.run_id and again.succeeded(), again.task_states
    assert task_result(again.dag_id, again.run_id, "start_pipeline") == arn
    executions = sagemaker.list_pipeline_executions(PipelineName="AbalonePipeline")[
        "PipelineExecutionSummaries"
    ]
    assert [e["PipelineExecutionArn"] for e in executions].count(arn) == 1 and len(executions) == 1
    assert (
        len(sagemaker.list_pipeline_versions(PipelineName="AbalonePipeline")["PipelineVersionSummaries"]) == 1
    )

    failing = run_dag(
        "sagemaker_pipeline", datetime(2026, 11, 3, tzinfo=UTC), {**conf, "mse_threshold": 0.0001}
    )
    assert failing.task_states["await_pipeline"] == "failed", failing.task_states
    failed_arn = task_result(failing.dag_id, failing.run_id, "start_pipeline")
    failed = sagemaker.describe_pipeline_execution(PipelineExecutionArn=failed_arn)
    assert failed["PipelineExecutionStatus"] == "Failed"
    assert "Execution failed due to MSE > 0.0001" in failed["FailureReason"]
