"""Batch transform with the user's own inference code (SAGEMAKER_PROGRAM), through boto3 against the local stack.

Follows the framework images' serving code: aws/sagemaker-scikit-learn-container and
aws/sagemaker-xgboost-container `serving.py` over aws/sagemaker-containers `_transformer.Transformer`
(model_fn / input_fn / predict_fn / output_fn, or transform_fn; the images' defaults for what is missing),
the SageMaker Python SDK's packing (SAGEMAKER_SUBMIT_DIRECTORY an S3 sourcedir.tar.gz, or /opt/ml/model/code
inside model.tar.gz), "Associate Prediction Results with Input Records"
(https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html) for DataProcessing on
JSON and JSON Lines records, and API_TransformInput / API_TransformOutput for SplitType RecordIO and
AssembleWith None.
"""

from __future__ import annotations

import contextlib
import io
import json
import pickle
import struct
import tarfile
import textwrap
import time
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.support.sagemaker_api import ROLE, SKLEARN_IMAGE, XGBOOST_IMAGE, unique, wait_for

# An XGBoost inference.py reading JSON (one feature array per line, or a document of arrays).
JSON_INFERENCE = textwrap.dedent(
    """
    import json, os
    import numpy as np
    import xgboost as xgb

    def model_fn(model_dir):
        if os.environ.get("FAIL_IN") == "model_fn":
            raise RuntimeError("cannot load the booster on purpose")
        # The sandbox's own /opt/ml: the model is where SageMaker puts it.
        assert model_dir == "/opt/ml/model" and os.path.isfile("/opt/ml/model/xgboost-model"), model_dir
        booster = xgb.Booster()
        booster.load_model(os.path.join(model_dir, "xgboost-model"))
        return booster

    def input_fn(body, content_type):
        text = body.decode() if isinstance(body, bytes) else body
        if content_type == "application/jsonlines":
            return np.array([json.loads(line) for line in text.splitlines() if line.strip()], dtype=float)
        if content_type == "application/json":
            return np.array(json.loads(text), dtype=float)
        raise ValueError("unsupported content type " + content_type)

    def predict_fn(features, booster):
        if os.environ.get("FAIL_IN") == "predict_fn":
            raise ValueError("the features are not what this model takes")
        return booster.inplace_predict(features)

    def output_fn(predictions, accept):
        values = [round(float(p), 5) for p in predictions]
        if accept == "application/jsonlines":
            return "".join(json.dumps(v) + "\\n" for v in values), accept
        return json.dumps(values), accept
    """
)

# A RecordIO reader: each request must be exactly the records the transform split out.
RECORDIO_INFERENCE = textwrap.dedent(
    """
    import json, os, struct
    import xgboost as xgb

    def model_fn(model_dir):
        booster = xgb.Booster()
        booster.load_model(os.path.join(model_dir, "xgboost-model"))
        return booster

    def transform_fn(booster, body, content_type, accept):
        rows, offset = [], 0
        while offset < len(body):
            magic, length = struct.unpack_from("<II", body, offset)
            assert magic == 0xCED7230A, "not a RecordIO record"
            rows.append([float(x) for x in body[offset + 8 : offset + 8 + length].decode().split(",")])
            offset += 8 + length + (-length % 4)
        return json.dumps([round(float(p), 5) for p in booster.inplace_predict(rows)]), "application/json"
    """
)

# Only model_fn: the XGBoost image's default input_fn, predict_fn and output_fn do the rest.
XGBOOST_MODEL_FN_ONLY = textwrap.dedent(
    """
    import os
    import xgboost as xgb

    def model_fn(model_dir):
        booster = xgb.Booster()
        booster.load_model(os.path.join(model_dir, "xgboost-model"))
        return booster
    """
)

# Reports whether the model server can reach the local S3 (a transform_fn, so nothing else is needed).
NETWORK_INFERENCE = textwrap.dedent(
    """
    import os, socket, urllib.parse

    def model_fn(model_dir):
        return None

    def transform_fn(model, body, content_type, accept):
        endpoint = urllib.parse.urlsplit(os.environ["AWS_ENDPOINT_URL_S3"])
        try:
            socket.create_connection((endpoint.hostname, endpoint.port), timeout=3).close()
            return "reachable\\n", "text/csv"
        except OSError:
            return "unreachable\\n", "text/csv"
    """
)

# Says (with an S3 marker, through the job's credentials) that it is answering, then answers slowly.
SLOW_INFERENCE = textwrap.dedent(
    """
    import os, time
    import boto3

    def model_fn(model_dir):
        return None

    def transform_fn(model, body, content_type, accept):
        bucket, key = os.environ["MARKER"].split("/", 1)
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"answering")
        time.sleep(120)
        return body, content_type
    """
)

SKLEARN_INFERENCE = textwrap.dedent(
    """
    import os, pickle
    import colors  # from code/requirements.txt, installed before the server starts

    def model_fn(model_dir):
        assert "/requirements/" in colors.__file__, colors.__file__  # the cached layer, not the service's packages
        with open(os.path.join(model_dir, "model.pkl"), "rb") as handle:
            return pickle.load(handle)
    """
)


def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def trained(local_stack: Any, s3: Any) -> dict[str, Any]:
    """A 4-feature XGBoost booster and a scikit-learn regressor, packed as model.tar.gz the way training packs them."""
    import xgboost
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(7)
    features = rng.normal(size=(200, 4))
    labels = features[:, 0] * 2 + features[:, 1]
    booster = xgboost.train({"max_depth": 3}, xgboost.DMatrix(features, label=labels), num_boost_round=5)
    regressor = LinearRegression().fit(features, labels)
    prefix = unique("usercode")
    bucket = local_stack.bucket
    s3.put_object(
        Bucket=bucket,
        Key=f"{prefix}/xgb/model.tar.gz",
        Body=tar_gz({"xgboost-model": bytes(booster.save_raw("ubj"))}),
    )
    return {
        "bucket": bucket,
        "prefix": prefix,
        "booster": booster,
        "regressor": regressor,
        "features": features[:12],
        "xgb_model": f"s3://{bucket}/{prefix}/xgb/model.tar.gz",
    }


def put(s3: Any, trained: dict[str, Any], key: str, body: bytes) -> str:
    s3.put_object(Bucket=trained["bucket"], Key=f"{trained['prefix']}/{key}", Body=body)
    return f"s3://{trained['bucket']}/{trained['prefix']}/{key}"


def create_model(
    sagemaker: Any, image: str, model_data: str, environment: dict[str, str], network_isolation: bool = False
) -> str:
    name = unique("model")
    sagemaker.create_model(
        ModelName=name,
        PrimaryContainer={"Image": image, "ModelDataUrl": model_data, "Environment": environment},
        ExecutionRoleArn=ROLE,
        EnableNetworkIsolation=network_isolation,
    )
    return name


def sourcedir_model(
    sagemaker: Any, s3: Any, trained: dict[str, Any], files: dict[str, str], network_isolation: bool = False
) -> str:
    """An XGBoost framework model whose code is an S3 sourcedir.tar.gz, as the SDK uploads it."""
    code = put(
        s3, trained, f"{unique('code')}/sourcedir.tar.gz", tar_gz({k: v.encode() for k, v in files.items()})
    )
    return create_model(
        sagemaker,
        XGBOOST_IMAGE,
        trained["xgb_model"],
        {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": code},
        network_isolation,
    )


def transform(
    sagemaker: Any, trained: dict[str, Any], model: str, uri: str, **request: Any
) -> dict[str, Any]:
    name = unique("transform")
    output = f"s3://{trained['bucket']}/{trained['prefix']}/out/{name}"
    sagemaker.create_transform_job(
        TransformJobName=name,
        ModelName=model,
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
            **request.pop("TransformInput"),
        },
        TransformOutput={"S3OutputPath": output, **request.pop("TransformOutput", {})},
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


def output_of(s3: Any, trained: dict[str, Any], job: dict[str, Any], name: str) -> str:
    body = s3.get_object(Bucket=trained["bucket"], Key=f"{job['output_key']}/{name}.out")["Body"].read()
    return str(body.decode())


def predictions(trained: dict[str, Any], rows: np.ndarray) -> list[float]:
    return [round(float(p), 5) for p in trained["booster"].inplace_predict(rows)]


@pytest.fixture(scope="module")
def json_model(sagemaker: Any, s3: Any, trained: dict[str, Any]) -> str:
    return sourcedir_model(sagemaker, s3, trained, {"inference.py": JSON_INFERENCE})


def test_json_lines_id_is_filtered_out_and_joined_back(
    sagemaker: Any, s3: Any, trained: dict[str, Any], json_model: str
) -> None:
    """The documented JSON case: InputFilter $.features, JoinSource Input, OutputFilter $['id','SageMakerOutput']."""
    rows = trained["features"]
    text = "".join(json.dumps({"id": f"r{i}", "features": row.tolist()}) + "\n" for i, row in enumerate(rows))
    uri = put(s3, trained, f"{unique('jsonl')}/records.jsonl", text.encode())
    job = transform(
        sagemaker,
        trained,
        json_model,
        uri,
        TransformInput={"ContentType": "application/jsonlines", "SplitType": "Line"},
        TransformOutput={"Accept": "application/jsonlines", "AssembleWith": "Line"},
        DataProcessing={
            "InputFilter": "$.features",
            "JoinSource": "Input",
            "OutputFilter": "$['id','SageMakerOutput']",
        },
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    lines = [json.loads(line) for line in output_of(s3, trained, job, "records.jsonl").splitlines()]
    assert lines == [{"id": f"r{i}", "SageMakerOutput": p} for i, p in enumerate(predictions(trained, rows))]


def test_a_json_record_that_is_not_an_object_is_wrapped(
    sagemaker: Any, s3: Any, trained: dict[str, Any], json_model: str
) -> None:
    """JoinSource Input on a JSON array record: {"SageMakerInput": <record>, "SageMakerOutput": <prediction>}."""
    rows = trained["features"][:4].round(3)
    uri = put(
        s3,
        trained,
        f"{unique('arrays')}/a.jsonl",
        "".join(json.dumps(r.tolist()) + "\n" for r in rows).encode(),
    )
    job = transform(
        sagemaker,
        trained,
        json_model,
        uri,
        TransformInput={"ContentType": "application/jsonlines", "SplitType": "Line"},
        TransformOutput={"Accept": "application/jsonlines", "AssembleWith": "Line"},
        DataProcessing={"JoinSource": "Input"},
        BatchStrategy="SingleRecord",
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    lines = [json.loads(line) for line in output_of(s3, trained, job, "a.jsonl").splitlines()]
    expected = [
        {"SageMakerInput": r.tolist(), "SageMakerOutput": p}
        for r, p in zip(rows, predictions(trained, rows), strict=True)
    ]
    assert lines == expected


def test_a_json_document_gains_sagemaker_output(
    sagemaker: Any, s3: Any, trained: dict[str, Any], json_model: str
) -> None:
    """A whole application/json object (SplitType None): its `features` go to the model, the answer joins as SageMakerOutput."""
    rows = trained["features"][:3]
    document = {"batch": "b-1", "features": rows.tolist()}
    uri = put(s3, trained, f"{unique('doc')}/doc.json", json.dumps(document).encode())
    job = transform(
        sagemaker,
        trained,
        json_model,
        uri,
        TransformInput={"ContentType": "application/json", "SplitType": "None"},
        TransformOutput={"Accept": "application/json"},
        DataProcessing={
            "InputFilter": "$.features",
            "JoinSource": "Input",
            "OutputFilter": "$['batch','SageMakerOutput']",
        },
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    assert json.loads(output_of(s3, trained, job, "doc.json")) == {
        "batch": "b-1",
        "SageMakerOutput": predictions(trained, rows),
    }


@pytest.mark.parametrize(("handler", "message"), [("predict_fn", "ValueError"), ("model_fn", "RuntimeError")])
def test_a_handler_exception_fails_the_job_naming_it(
    sagemaker: Any, s3: Any, logs: Any, trained: dict[str, Any], json_model: str, handler: str, message: str
) -> None:
    """A user-code exception: FailureReason names the handler and the last log lines; the traceback is in the job's log."""
    uri = put(s3, trained, f"{unique('fail')}/f.jsonl", b"[1, 2, 3, 4]\n")
    job = transform(
        sagemaker,
        trained,
        json_model,
        uri,
        TransformInput={"ContentType": "application/jsonlines", "SplitType": "Line"},
        Environment={"FAIL_IN": handler},
    )
    assert job["TransformJobStatus"] == "Failed"
    reason = job["FailureReason"]
    assert reason.startswith("ClientError:") and f"{handler} raised {message}" in reason, reason
    assert "last log lines" in reason and "inference.py" in reason, reason
    assert "Contents" not in s3.list_objects_v2(Bucket=trained["bucket"], Prefix=job["output_key"])
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=job["TransformJobName"]
    )["logStreams"]
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamName=streams[0]["logStreamName"]
    )
    messages = [event["message"] for event in events["events"]]
    assert any("Traceback" in message for message in messages)
    if handler == "predict_fn":  # the data log starts once the model server is up
        # No MaxConcurrentTransforms and no /execution-parameters in the framework images: the API's default of 1.
        assert any(message.startswith("MaxConcurrentTransforms=1,") for message in messages)


@pytest.mark.parametrize(
    ("module", "reason"),
    [
        (
            "def model_fn(model_dir):\n    return None\n"
            "def transform_fn(model, body, content_type, accept):\n    return body\n"
            "def input_fn(body, content_type):\n    return body\n",
            "cannot use transform_fn implementation with input_fn",
        ),
        ("def predict_fn(data, model):\n    return data\n", "Please provide a model_fn implementation"),
    ],
    ids=["transform_fn-with-input_fn", "no-model_fn"],
)
def test_an_incomplete_inference_module_fails_the_job_at_start(
    sagemaker: Any, s3: Any, trained: dict[str, Any], module: str, reason: str
) -> None:
    """The images' rules: transform_fn excludes input_fn/predict_fn/output_fn, and model_fn has no default."""
    model = sourcedir_model(sagemaker, s3, trained, {"inference.py": module})
    uri = put(s3, trained, f"{unique('bad')}/b.csv", b"1,2,3,4\n")
    job = transform(
        sagemaker, trained, model, uri, TransformInput={"ContentType": "text/csv", "SplitType": "Line"}
    )
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError: Model error: the model server did not start")
    assert reason in job["FailureReason"], job["FailureReason"]


@pytest.mark.parametrize(("assemble_with", "separator"), [("None", ""), ("Line", "\n")])
def test_recordio_records_reach_the_model_one_by_one(
    sagemaker: Any, s3: Any, trained: dict[str, Any], assemble_with: str, separator: str
) -> None:
    """SplitType RecordIO with SingleRecord: one framed record per request; AssembleWith None concatenates the answers."""
    rows = trained["features"][:5].round(4)
    data = b""
    for row in rows:
        record = ",".join(str(v) for v in row).encode()
        data += struct.pack("<II", 0xCED7230A, len(record)) + record + b"\0" * (-len(record) % 4)
    uri = put(s3, trained, f"{unique('recordio')}/rows.rec", data)
    model = sourcedir_model(sagemaker, s3, trained, {"inference.py": RECORDIO_INFERENCE})
    job = transform(
        sagemaker,
        trained,
        model,
        uri,
        TransformInput={"ContentType": "application/x-recordio", "SplitType": "RecordIO"},
        TransformOutput={"Accept": "application/json", "AssembleWith": assemble_with},
        BatchStrategy="SingleRecord",
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    expected = separator.join(json.dumps([p]) for p in predictions(trained, rows)) + separator
    assert output_of(s3, trained, job, "rows.rec") == expected


@pytest.mark.parametrize(("isolated", "outcome"), [(True, "unreachable"), (False, "reachable")])
def test_model_network_isolation_cuts_the_local_s3(
    sagemaker: Any, s3: Any, trained: dict[str, Any], isolated: bool, outcome: str
) -> None:
    """CreateModel EnableNetworkIsolation: the inference code gets no network (the code still arrives from S3,
    fetched by the platform), as API_CreateModel documents; without it the local S3 is reachable."""
    model = sourcedir_model(
        sagemaker, s3, trained, {"inference.py": NETWORK_INFERENCE}, network_isolation=isolated
    )
    assert sagemaker.describe_model(ModelName=model)["EnableNetworkIsolation"] is isolated
    uri = put(s3, trained, f"{unique('net')}/n.csv", b"1,2,3,4\n")
    job = transform(
        sagemaker, trained, model, uri, TransformInput={"ContentType": "text/csv", "SplitType": "Line"}
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    assert output_of(s3, trained, job, "n.csv") == f"{outcome}\n"


def test_stop_ends_the_model_servers_mid_answer(
    sagemaker: Any, s3: Any, logs: Any, trained: dict[str, Any]
) -> None:
    """StopTransformJob: the job ends Stopped (not Failed) without waiting for the answer in progress."""
    model = sourcedir_model(sagemaker, s3, trained, {"inference.py": SLOW_INFERENCE})
    uri = put(s3, trained, f"{unique('slow')}/s.csv", b"1,2,3,4\n")
    name = unique("stopped")
    marker = f"{trained['prefix']}/{name}-answering"
    sagemaker.create_transform_job(
        TransformJobName=name,
        ModelName=model,
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": f"s3://{trained['bucket']}/{trained['prefix']}/out/{name}"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        MaxConcurrentTransforms=1,
        Environment={"MARKER": f"{trained['bucket']}/{marker}"},
    )
    wait_for(
        lambda: s3.list_objects_v2(Bucket=trained["bucket"], Prefix=marker).get("KeyCount", 0) > 0,
        "the model server to be answering",
        timeout_seconds=120,
    )
    sagemaker.stop_transform_job(TransformJobName=name)
    started = time.monotonic()
    with contextlib.suppress(WaiterError):
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(
            TransformJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
    job = sagemaker.describe_transform_job(TransformJobName=name)
    assert job["TransformJobStatus"] == "Stopped", job.get("FailureReason")
    assert time.monotonic() - started < 30  # not the 120 s the answer would take
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=name)
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamName=streams["logStreams"][0]["logStreamName"]
    )["events"]
    # The runner ended its servers itself, not the supervisor's kill of the whole worker after its grace period.
    assert any(event["message"].startswith("Stop requested: ending the model servers") for event in events)


@pytest.mark.parametrize("content_type", ["text/csv", "text/libsvm", "application/x-recordio-protobuf"])
def test_xgboost_image_defaults_decode_csv_libsvm_and_recordio_protobuf(
    sagemaker: Any, s3: Any, trained: dict[str, Any], content_type: str
) -> None:
    """sagemaker-xgboost-container serving.py defaults: text/csv, text/libsvm or application/x-recordio-protobuf
    (encoder.decode) into a DMatrix, booster.predict(validate_features=False), and sagemaker_containers' text/csv
    encoder (one value per row)."""
    from local_sagemaker.algorithms.builtin_xgboost.recordio_protobuf import encode_rows

    rows = trained["features"].round(4)
    if content_type == "text/csv":
        data = "".join(",".join(str(v) for v in row) + "\n" for row in rows).encode()
    elif content_type == "text/libsvm":
        data = "".join(
            "0 " + " ".join(f"{i + 1}:{v}" for i, v in enumerate(row)) + "\n" for row in rows
        ).encode()
    else:
        data = encode_rows(rows)
    model = sourcedir_model(sagemaker, s3, trained, {"inference.py": XGBOOST_MODEL_FN_ONLY})
    uri = put(s3, trained, f"{unique('xgbdefault')}/rows.txt", data)
    split = "RecordIO" if content_type == "application/x-recordio-protobuf" else "Line"
    job = transform(
        sagemaker,
        trained,
        model,
        uri,
        TransformInput={"ContentType": content_type, "SplitType": split},
        TransformOutput={"Accept": "text/csv", "AssembleWith": "Line"},
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    answers = [float(line) for line in output_of(s3, trained, job, "rows.txt").splitlines()]
    assert np.allclose(answers, trained["booster"].inplace_predict(rows.astype(np.float32)), rtol=1e-5)


def test_scikit_learn_code_in_model_tar_with_default_handlers(
    sagemaker: Any, s3: Any, trained: dict[str, Any]
) -> None:
    """Code repacked into model.tar.gz (SAGEMAKER_SUBMIT_DIRECTORY /opt/ml/model/code) with its requirements.txt and
    only model_fn: the scikit-learn image's default input_fn (CSV to float32), predict_fn (model.predict) and
    output_fn (text/csv)."""
    archive = tar_gz(
        {
            "model.pkl": pickle.dumps(trained["regressor"]),
            "code/inference.py": SKLEARN_INFERENCE.encode(),
            "code/requirements.txt": b"ansicolors==1.1.8\n",
        }
    )
    model_data = put(s3, trained, f"{unique('sk')}/model.tar.gz", archive)
    model = create_model(
        sagemaker,
        SKLEARN_IMAGE,
        model_data,
        {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
    )
    rows = trained["features"]
    text = "".join(",".join(f"{v:.6f}" for v in row) + "\n" for row in rows)
    uri = put(s3, trained, f"{unique('skin')}/x.csv", text.encode())
    job = transform(
        sagemaker,
        trained,
        model,
        uri,
        TransformInput={"ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"Accept": "text/csv", "AssembleWith": "Line"},
        MaxConcurrentTransforms=2,
    )
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    expected = trained["regressor"].predict(np.loadtxt(io.StringIO(text), delimiter=",").astype(np.float32))
    answers = [float(line) for line in output_of(s3, trained, job, "x.csv").splitlines()]
    assert np.allclose(answers, expected, rtol=1e-5)


@pytest.mark.parametrize(
    ("image", "environment", "field"),
    [
        (SKLEARN_IMAGE, {}, "ModelName"),
        (
            SKLEARN_IMAGE,
            {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "file:///home/me/code"},
            "SAGEMAKER_SUBMIT_DIRECTORY",
        ),
        (
            XGBOOST_IMAGE,
            {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_MODEL_SERVER_WORKERS": "many"},
            "SAGEMAKER_MODEL_SERVER_WORKERS",
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1",
            {"SAGEMAKER_PROGRAM": "inference.py"},
            "Image",
        ),
    ],
)
def test_a_model_that_cannot_serve_is_refused_naming_the_field(
    sagemaker: Any, trained: dict[str, Any], image: str, environment: dict[str, str], field: str
) -> None:
    """CreateTransformJob refuses, by field, a scikit-learn model without SAGEMAKER_PROGRAM (the image has no built-in
    algorithm), a local-mode file:// code path, a worker count that is not a number and an image whose framework is
    not served locally."""
    model = create_model(sagemaker, image, trained["xgb_model"], environment)
    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(
            TransformJobName=unique("refused"),
            ModelName=model,
            TransformInput={
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{trained['bucket']}/x"}
                },
                "ContentType": "text/csv",
            },
            TransformOutput={"S3OutputPath": f"s3://{trained['bucket']}/out"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert field in caught.value.response["Error"]["Message"]
