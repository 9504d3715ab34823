"""Jobs really run: training, transform and processing through boto3, with SageMaker's states and artifacts."""

from __future__ import annotations

import io
import tarfile
import textwrap
import time
from typing import Any

import numpy as np
import pytest
import xgboost

from tests.support.sagemaker_api import (
    ROLE,
    SKLEARN_IMAGE,
    XGBOOST_IMAGE,
    channel,
    unique,
    wait_training,
    wait_until_done,
)


def describe_training(sagemaker: Any, name: str) -> Any:
    return lambda: sagemaker.describe_training_job(TrainingJobName=name)


def load_booster(s3: Any, uri: str) -> xgboost.Booster:
    bucket, key = uri[len("s3://") :].split("/", 1)
    archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None, "model.tar.gz must hold xgboost-model"
        raw = bytearray(member.read())
    booster = xgboost.Booster()
    booster.load_model(raw)
    return booster


def test_training_completes_with_metrics_artifact_and_status_history(
    sagemaker: Any, s3: Any, training_request: Any, dataset: dict[str, Any]
) -> None:
    request = training_request()
    sagemaker.create_training_job(**request)
    job = wait_training(sagemaker, request["TrainingJobName"])

    assert job["TrainingJobStatus"] == "Completed"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert job["CreationTime"] <= job["TrainingStartTime"] <= job["TrainingEndTime"]
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert set(metrics) == {"train:rmse", "validation:rmse"}
    expected_uri = (
        f"{request['OutputDataConfig']['S3OutputPath']}/{request['TrainingJobName']}/output/model.tar.gz"
    )
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == expected_uri
    booster = load_booster(s3, expected_uri)
    assert booster.num_boosted_rounds() == 10
    assert job["HyperParameters"] == request["HyperParameters"]


def test_training_logs_reach_cloudwatch_under_sagemakers_names(
    sagemaker: Any, logs: Any, training_request: Any
) -> None:
    request = training_request()
    sagemaker.create_training_job(**request)
    wait_training(sagemaker, request["TrainingJobName"])
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=request["TrainingJobName"] + "/"
    )["logStreams"]
    assert len(streams) == 1 and "/algo-1-" in streams[0]["logStreamName"]
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName=streams[0]["logStreamName"],
        startFromHead=True,
    )["events"]
    text = "\n".join(e["message"] for e in events)
    assert "[9]#011train-rmse:" in text and "validation-rmse:" in text


def test_bad_hyperparameter_fails_the_job_naming_it(sagemaker: Any, training_request: Any) -> None:
    request = training_request(hyperparameters={"num_round": "10", "max_depth": "deep"})
    sagemaker.create_training_job(**request)
    job = wait_until_done(describe_training(sagemaker, request["TrainingJobName"]), "TrainingJobStatus")
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("AlgorithmError:")
    assert "max_depth" in job["FailureReason"] and "deep" in job["FailureReason"]
    assert job["SecondaryStatus"] == "Failed"


def test_missing_input_data_fails_as_client_error(
    sagemaker: Any, training_request: Any, dataset: Any
) -> None:
    request = training_request()
    request["InputDataConfig"] = [channel("train", f"s3://{dataset['bucket']}/nothing-here/")]
    sagemaker.create_training_job(**request)
    job = wait_until_done(describe_training(sagemaker, request["TrainingJobName"]), "TrainingJobStatus")
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError:") and "nothing-here" in job["FailureReason"]


def test_stop_training_job(sagemaker: Any, training_request: Any) -> None:
    request = training_request(hyperparameters={"num_round": "200000", "max_depth": "6"})
    sagemaker.create_training_job(**request)
    wait_for_secondary(sagemaker, request["TrainingJobName"], "Training")
    sagemaker.stop_training_job(TrainingJobName=request["TrainingJobName"])
    assert sagemaker.describe_training_job(TrainingJobName=request["TrainingJobName"])[
        "TrainingJobStatus"
    ] in ("Stopping", "Stopped")
    job = wait_training(sagemaker, request["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Stopped"
    assert job["SecondaryStatus"] == "Stopped"


def test_max_runtime_is_enforced(sagemaker: Any, training_request: Any) -> None:
    request = training_request(
        hyperparameters={"num_round": "200000", "max_depth": "6"},
        StoppingCondition={"MaxRuntimeInSeconds": 2},
    )
    sagemaker.create_training_job(**request)
    job = wait_training(sagemaker, request["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Stopped"
    assert job["SecondaryStatus"] == "MaxRuntimeExceeded"
    # Ended within the limit plus the supervisor's grace, not when 200000 rounds were done.
    assert (job["TrainingEndTime"] - job["TrainingStartTime"]).total_seconds() < 2 + 10


def wait_for_secondary(sagemaker: Any, name: str, status: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sagemaker.describe_training_job(TrainingJobName=name)["SecondaryStatus"] == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} never reached {status}")


def test_incremental_training_from_a_model_channel(sagemaker: Any, s3: Any, training_request: Any) -> None:
    first = training_request()
    sagemaker.create_training_job(**first)
    prior = wait_training(sagemaker, first["TrainingJobName"])
    second = training_request(hyperparameters={"objective": "reg:logistic", "num_round": "5"})
    second["InputDataConfig"].append(
        channel("model", prior["ModelArtifacts"]["S3ModelArtifacts"], "application/x-sagemaker-model")
    )
    sagemaker.create_training_job(**second)
    job = wait_training(sagemaker, second["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Completed"
    assert load_booster(s3, job["ModelArtifacts"]["S3ModelArtifacts"]).num_boosted_rounds() == 15


def test_batch_transform_writes_one_prediction_per_row(
    sagemaker: Any, s3: Any, training_request: Any, dataset: dict[str, Any]
) -> None:
    request = training_request()
    sagemaker.create_training_job(**request)
    trained = wait_training(sagemaker, request["TrainingJobName"])
    model_name = unique("model")
    sagemaker.create_model(
        ModelName=model_name,
        PrimaryContainer={
            "Image": XGBOOST_IMAGE,
            "ModelDataUrl": trained["ModelArtifacts"]["S3ModelArtifacts"],
        },
        ExecutionRoleArn=ROLE,
    )
    job_name = unique("transform")
    output = f"s3://{dataset['bucket']}/{dataset['prefix']}/{job_name}"
    sagemaker.create_transform_job(
        TransformJobName=job_name,
        ModelName=model_name,
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": dataset["uris"]["test"]}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": output, "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )
    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(
        TransformJobName=job_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    job = sagemaker.describe_transform_job(TransformJobName=job_name)
    assert job["TransformJobStatus"] == "Completed"
    body = s3.get_object(Bucket=dataset["bucket"], Key=f"{dataset['prefix']}/{job_name}/test.csv.out")[
        "Body"
    ].read()
    predictions = np.array([float(line) for line in body.decode().splitlines()])
    assert len(predictions) == dataset["test_rows"]
    rmse = float(np.sqrt(np.mean((predictions - dataset["test_labels"]) ** 2)))
    assert rmse < float(np.std(dataset["test_labels"])), "the model must beat predicting the mean"


def test_transform_of_an_unknown_model_is_rejected(sagemaker: Any, dataset: dict[str, Any]) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(
            TransformJobName=unique("transform"),
            ModelName="no-such-model",
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": dataset["uris"]["test"]}}
            },
            TransformOutput={"S3OutputPath": f"s3://{dataset['bucket']}/out"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "no-such-model" in caught.value.response["Error"]["Message"]


PROCESSING_SCRIPT = textwrap.dedent(
    """
    import os, sys
    source = "/opt/ml/processing/input/data/numbers.txt"
    target_dir = sys.argv[sys.argv.index("--out") + 1]
    total = sum(int(line) for line in open(source))
    os.makedirs(target_dir, exist_ok=True)
    with open(os.path.join(target_dir, "sum.txt"), "w") as out:
        out.write(str(total))
    print("summed", total)
    if os.environ.get("FAIL_ON_PURPOSE"):
        sys.exit(3)
    """
)


def processing_request(
    bucket: str, prefix: str, name: str, environment: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "AppSpecification": {
            "ImageUri": SKLEARN_IMAGE,
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/job.py"],
            "ContainerArguments": ["--out", "/opt/ml/processing/output/result"],
        },
        "Environment": environment or {},
        "ProcessingInputs": [
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/{prefix}/code/job.py",
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            },
            {
                "InputName": "data",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/{prefix}/numbers/",
                    "LocalPath": "/opt/ml/processing/input/data",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            },
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/{prefix}/{name}/result",
                        "LocalPath": "/opt/ml/processing/output/result",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


@pytest.fixture(scope="module")
def processing_inputs(s3: Any, local_stack: Any) -> tuple[str, str]:
    prefix = unique("processing")
    s3.put_object(Bucket=local_stack.bucket, Key=f"{prefix}/code/job.py", Body=PROCESSING_SCRIPT.encode())
    s3.put_object(Bucket=local_stack.bucket, Key=f"{prefix}/numbers/numbers.txt", Body=b"1\n2\n3\n4\n")
    return local_stack.bucket, prefix


def test_processing_runs_the_script_in_a_sandbox_and_uploads_outputs(
    sagemaker: Any, s3: Any, processing_inputs: tuple[str, str]
) -> None:
    bucket, prefix = processing_inputs
    name = unique("process")
    sagemaker.create_processing_job(**processing_request(bucket, prefix, name))
    sagemaker.get_waiter("processing_job_completed_or_stopped").wait(
        ProcessingJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    job = sagemaker.describe_processing_job(ProcessingJobName=name)
    assert job["ProcessingJobStatus"] == "Completed"
    result = s3.get_object(Bucket=bucket, Key=f"{prefix}/{name}/result/sum.txt")["Body"].read()
    assert result == b"10"


def test_failing_script_fails_the_job_with_its_exit_code(
    sagemaker: Any, processing_inputs: tuple[str, str]
) -> None:
    bucket, prefix = processing_inputs
    name = unique("process")
    sagemaker.create_processing_job(**processing_request(bucket, prefix, name, {"FAIL_ON_PURPOSE": "1"}))
    job = wait_until_done(
        lambda: sagemaker.describe_processing_job(ProcessingJobName=name), "ProcessingJobStatus"
    )
    assert job["ProcessingJobStatus"] == "Failed"
    assert "exited with code 3" in job["FailureReason"]
    assert "summed 10" in job["ExitMessage"]


def test_processing_paths_outside_opt_ml_processing_are_rejected(
    sagemaker: Any, processing_inputs: tuple[str, str]
) -> None:
    from botocore.exceptions import ClientError

    bucket, prefix = processing_inputs
    request = processing_request(bucket, prefix, unique("process"))
    request["ProcessingInputs"][1]["S3Input"]["LocalPath"] = "/opt/ml/processing/../../../etc"
    with pytest.raises(ClientError) as caught:
        sagemaker.create_processing_job(**request)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "LocalPath" in caught.value.response["Error"]["Message"]
