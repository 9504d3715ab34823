"""`train_and_transform` end to end on the local stack, with Airflow's own `dag.test()`."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime
from typing import Any

import pytest
import xgboost

from scripts.dag_runs import run_dag, task_result

pytestmark = pytest.mark.e2e


def read_s3(s3: Any, uri: str) -> bytes:
    bucket, key = uri[len("s3://") :].split("/", 1)
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_train_and_transform_trains_a_real_model_and_scores_every_row(
    local_stack: Any, airflow_db: Any, sagemaker: Any, s3: Any
) -> None:
    result = run_dag(
        "train_and_transform",
        datetime(2026, 11, 1, tzinfo=UTC),
        {"rows": 3000, "num_round": 8},
    )
    assert result.succeeded(), result.task_states

    plan = task_result(result.dag_id, result.run_id, "plan")
    training = sagemaker.describe_training_job(TrainingJobName=plan["training_job_name"])
    assert training["TrainingJobStatus"] == "Completed"
    metrics = {m["MetricName"]: m["Value"] for m in training["FinalMetricDataList"]}
    assert "validation:rmse" in metrics

    with tarfile.open(fileobj=io.BytesIO(read_s3(s3, training["ModelArtifacts"]["S3ModelArtifacts"]))) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        booster = xgboost.Booster()
        booster.load_model(bytearray(member.read()))
    assert booster.num_boosted_rounds() == 8

    transform = sagemaker.describe_transform_job(TransformJobName=plan["transform_job_name"])
    assert transform["TransformJobStatus"] == "Completed"
    test_input = transform["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    input_rows = sum(
        len(read_s3(s3, f"s3://{local_stack.bucket}/{key}").decode().splitlines())
        for key in list_keys(s3, test_input)
    )
    output_rows = read_s3(s3, plan["transform_output_s3_uri"]).decode().splitlines()
    assert input_rows == len(output_rows) == 3000 * 15 // 100

    evaluation = task_result(result.dag_id, result.run_id, "evaluate")
    assert evaluation["n"] == len(output_rows)
    assert 0 < evaluation["rmse"] < 0.5


def list_keys(s3: Any, uri: str) -> list[str]:
    bucket, prefix = uri[len("s3://") :].split("/", 1)
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
