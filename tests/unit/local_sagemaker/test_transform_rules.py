"""Batch transform's own rules through boto3: DataProcessing, SplitType/BatchStrategy/MaxPayloadInMB, Gzip, manifests.

Follows https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html and
https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, channel, csv_bytes, unique, wait_training


@pytest.fixture(scope="module")
def served(local_stack: Any, sagemaker: Any, s3: Any) -> dict[str, Any]:
    """A 4-feature XGBoost model and its CreateModel name, trained once for the module."""
    rng = np.random.default_rng(3)
    features = rng.normal(size=(300, 4))
    rows = np.column_stack([features[:, 0] * 2 + features[:, 1], features])
    prefix = unique("rules")
    s3.put_object(Bucket=local_stack.bucket, Key=f"{prefix}/train/train.csv", Body=csv_bytes(rows))
    job = unique("train")
    sagemaker.create_training_job(
        TrainingJobName=job,
        AlgorithmSpecification={"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=[channel("train", f"s3://{local_stack.bucket}/{prefix}/train/")],
        OutputDataConfig={"S3OutputPath": f"s3://{local_stack.bucket}/{prefix}/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters={"objective": "reg:squarederror", "num_round": "5", "max_depth": "3"},
    )
    trained = wait_training(sagemaker, job)
    model = unique("model")
    sagemaker.create_model(
        ModelName=model,
        PrimaryContainer={
            "Image": XGBOOST_IMAGE,
            "ModelDataUrl": trained["ModelArtifacts"]["S3ModelArtifacts"],
        },
        ExecutionRoleArn=ROLE,
    )
    return {"bucket": local_stack.bucket, "prefix": prefix, "model": model, "features": features[:20]}


def run_transform(
    sagemaker: Any, served: dict[str, Any], source: dict[str, Any], **request: Any
) -> dict[str, Any]:
    name = unique("transform")
    output = f"s3://{served['bucket']}/{served['prefix']}/out/{name}"
    transform_input = {"DataSource": {"S3DataSource": source}, "ContentType": "text/csv", "SplitType": "Line"}
    transform_input.update(request.pop("TransformInput", {}))
    sagemaker.create_transform_job(
        TransformJobName=name,
        ModelName=served["model"],
        TransformInput=transform_input,
        TransformOutput={
            "S3OutputPath": output,
            "AssembleWith": "Line",
            **request.pop("TransformOutput", {}),
        },
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        **request,
    )
    with contextlib.suppress(WaiterError):  # a Failed job is described below, not raised here
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(
            TransformJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
    job: dict[str, Any] = sagemaker.describe_transform_job(TransformJobName=name)
    job["output_key"] = output.split("/", 3)[3]
    return job


def read(s3: Any, bucket: str, key: str) -> str:
    return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())


def put_csv(s3: Any, served: dict[str, Any], key: str, text: str, compress: bool = False) -> str:
    body = gzip.compress(text.encode()) if compress else text.encode()
    s3.put_object(Bucket=served["bucket"], Key=f"{served['prefix']}/{key}", Body=body)
    return f"s3://{served['bucket']}/{served['prefix']}/{key}"


def test_id_column_is_filtered_out_and_joined_back(sagemaker: Any, s3: Any, served: dict[str, Any]) -> None:
    """The issue's case: InputFilter $[1:], JoinSource Input, OutputFilter $[0,-1] keeps the ID by each prediction."""
    rows = [f"id-{i}," + ",".join(f"{v:.6f}" for v in row) for i, row in enumerate(served["features"])]
    uri = put_csv(s3, served, unique("ids") + "/scored.csv", "\n".join(rows) + "\n")
    plain = put_csv(
        s3, served, unique("plain") + "/plain.csv", "\n".join(r.split(",", 1)[1] for r in rows) + "\n"
    )
    job = run_transform(
        sagemaker,
        served,
        {"S3DataType": "S3Prefix", "S3Uri": uri},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    reference = run_transform(sagemaker, served, {"S3DataType": "S3Prefix", "S3Uri": plain})
    joined = read(s3, served["bucket"], f"{job['output_key']}/scored.csv.out").splitlines()
    predictions = read(s3, served["bucket"], f"{reference['output_key']}/plain.csv.out").splitlines()
    assert [line.split(",") for line in joined] == [[f"id-{i}", p] for i, p in enumerate(predictions)]


def test_many_gzipped_objects_keep_their_relative_keys(
    sagemaker: Any, s3: Any, served: dict[str, Any]
) -> None:
    """CompressionType Gzip and S3Prefix: one `.out` per input object, the key path below the prefix kept."""
    folder = unique("many")
    text = "\n".join(",".join(f"{v:.4f}" for v in row) for row in served["features"][:5]) + "\n"
    for key in ("day1/a.csv.gz", "day2/b.csv.gz"):
        put_csv(s3, served, f"{folder}/{key}", text, compress=True)
    job = run_transform(
        sagemaker,
        served,
        {"S3DataType": "S3Prefix", "S3Uri": f"s3://{served['bucket']}/{served['prefix']}/{folder}/"},
        TransformInput={"CompressionType": "Gzip"},
        MaxConcurrentTransforms=2,
        MaxPayloadInMB=1,
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    for key in ("day1/a.csv.gz.out", "day2/b.csv.gz.out"):
        assert len(read(s3, served["bucket"], f"{job['output_key']}/{key}").splitlines()) == 5


def test_manifest_file_names_the_inputs(sagemaker: Any, s3: Any, served: dict[str, Any]) -> None:
    """S3DataType ManifestFile: [{"prefix": ...}, "relative/key", ...] (API_TransformS3DataSource)."""
    folder = unique("manifest")
    text = "\n".join(",".join(f"{v:.4f}" for v in row) for row in served["features"][:3]) + "\n"
    put_csv(s3, served, f"{folder}/data/x.csv", text)
    put_csv(s3, served, f"{folder}/data/not-listed.csv", text)
    manifest = [{"prefix": f"s3://{served['bucket']}/{served['prefix']}/{folder}/data/"}, "x.csv"]
    uri = put_csv(s3, served, f"{folder}/input.manifest", json.dumps(manifest))
    job = run_transform(sagemaker, served, {"S3DataType": "ManifestFile", "S3Uri": uri})
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=served["bucket"], Prefix=job["output_key"])["Contents"]
    ]
    assert keys == [f"{job['output_key']}/x.csv.out"]


def test_a_record_larger_than_the_payload_fails_the_job(
    sagemaker: Any, s3: Any, served: dict[str, Any]
) -> None:
    """A single record over MaxPayloadInMB cannot be sent; the job fails and writes no partial output."""
    uri = put_csv(s3, served, unique("huge") + "/big.csv", ",".join(["1.0"] * 600_000) + "\n")
    job = run_transform(
        sagemaker,
        served,
        {"S3DataType": "S3Prefix", "S3Uri": uri},
        MaxPayloadInMB=1,
        BatchStrategy="SingleRecord",
    )
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError:") and "MaxPayloadInMB" in job["FailureReason"]
    assert "Contents" not in s3.list_objects_v2(Bucket=served["bucket"], Prefix=job["output_key"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"MaxPayloadInMB": 0}, "MaxPayloadInMB"),
        ({"MaxPayloadInMB": 60, "MaxConcurrentTransforms": 2}, "MaxConcurrentTransforms"),
        ({"TransformOutput": {"Accept": "image/png"}}, "TransformOutput.Accept"),
        ({"DataProcessing": {"InputFilter": "$[?(@.a)]"}}, "DataProcessing.InputFilter"),
        ({"TransformInput": {"SplitType": "TFRecord"}}, "TransformInput.SplitType"),
    ],
)
def test_what_cannot_run_is_refused_naming_the_field(
    sagemaker: Any, served: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    """CreateTransformJob's own limits (MaxConcurrentTransforms * MaxPayloadInMB <= 100) and local refusals."""
    transform_input = {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{served['bucket']}/x"}},
        "ContentType": "text/csv",
        **change.pop("TransformInput", {}),
    }
    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(
            TransformJobName=unique("refused"),
            ModelName=served["model"],
            TransformInput=transform_input,
            TransformOutput={
                "S3OutputPath": f"s3://{served['bucket']}/out",
                **change.pop("TransformOutput", {}),
            },
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
            **change,
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert field in caught.value.response["Error"]["Message"]


def test_environment_reaches_the_container(sagemaker: Any, s3: Any, served: dict[str, Any]) -> None:
    """Environment: the XGBoost container's MAX_CONTENT_LENGTH (serve.py) refuses a larger request with 413."""
    text = "\n".join(",".join(f"{v:.4f}" for v in row) for row in served["features"]) + "\n"
    uri = put_csv(s3, served, unique("env") + "/e.csv", text)
    job = run_transform(
        sagemaker, served, {"S3DataType": "S3Prefix", "S3Uri": uri}, Environment={"MAX_CONTENT_LENGTH": "100"}
    )
    assert job["TransformJobStatus"] == "Failed"
    assert "413" in job["FailureReason"] and "MAX_CONTENT_LENGTH" in job["FailureReason"]
