"""The built-in XGBoost container's data contract through boto3: training channel formats and transform answers.

Follows sagemaker-xgboost-container: data_utils.py (ContentTypes csv, libsvm, parquet, recordio-protobuf, their
messages, csv_weights, the validation channel read as train's type), recordio_protobuf.py, and
algorithm_mode/serve.py + serve_utils.py (batch answers one str(prediction) line per record; with
SAGEMAKER_INFERENCE_OUTPUT the selected keys in the Accept type). The RecordIO-protobuf schema is the one in
https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-training.html; the channel defaults and content types are
https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html ("Input/Output Interface").
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import struct
import tarfile
from typing import Any

import numpy as np
import pytest
import xgboost
from botocore.exceptions import ClientError, WaiterError

from local_sagemaker.algorithms.builtin_xgboost.recordio_protobuf import encode_rows, read_records
from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, channel, csv_bytes, unique

REGRESSION = {"objective": "reg:squarederror", "num_round": "8", "max_depth": "3"}
SOFTPROB = {"objective": "multi:softprob", "num_class": "3", "num_round": "6", "max_depth": "3"}


def _parquet(matrix: np.ndarray) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({f"c{i}": matrix[:, i] for i in range(matrix.shape[1])})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _libsvm(matrix: np.ndarray, weights: np.ndarray | None = None) -> bytes:
    """`<label>[:<weight>] <index>:<value> ...`, every feature written, indices from 0."""
    heads = [f"{row[0]:.6f}" for row in matrix]
    if weights is not None:
        heads = [f"{head}:{weight:.6f}" for head, weight in zip(heads, weights, strict=True)]
    lines = [
        head + " " + " ".join(f"{i}:{v:.6f}" for i, v in enumerate(row[1:]))
        for head, row in zip(heads, matrix, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


def _wait(sagemaker: Any, kind: str, name: str) -> dict[str, Any]:
    waiter, key, describe = {
        "training": ("training_job_completed_or_stopped", "TrainingJobName", sagemaker.describe_training_job),
        "transform": (
            "transform_job_completed_or_stopped",
            "TransformJobName",
            sagemaker.describe_transform_job,
        ),
    }[kind]
    with contextlib.suppress(WaiterError):  # Failed jobs are described, not raised
        sagemaker.get_waiter(waiter).wait(**{key: name}, WaiterConfig={"Delay": 1, "MaxAttempts": 180})
    return dict(describe(**{key: name}))


def _booster(s3: Any, job: dict[str, Any]) -> xgboost.Booster:
    bucket, key = job["ModelArtifacts"]["S3ModelArtifacts"].removeprefix("s3://").split("/", 1)
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())) as archive:
        member = archive.extractfile("xgboost-model")
        assert member is not None
        booster = xgboost.Booster()
        booster.load_model(bytearray(member.read()))
        return booster


@pytest.fixture(scope="module")
def jobs(local_stack: Any, sagemaker: Any, s3: Any) -> dict[str, Any]:
    """Every training job of the module, started together and waited for together (they run side by side)."""
    rng = np.random.default_rng(14)
    features = np.round(rng.normal(size=(300, 4)), 6)
    labels = np.round(features[:, 0] * 2 + features[:, 1] - features[:, 2] ** 2, 6)
    rows = np.column_stack([labels, features])
    classes = np.digitize(features[:, 0] + 0.5 * features[:, 3], [-0.5, 0.5]).astype(float)
    weights = np.round(rng.uniform(0.2, 3.0, size=300), 6)
    bucket, prefix = local_stack.bucket, unique("formats")
    objects = {
        "csv/train/part.csv": csv_bytes(rows[:240]),
        "csv/validation/part.csv": csv_bytes(rows[240:]),
        "parquet/train/part-0.parquet": _parquet(rows[:120]),
        "parquet/train/part-1.parquet": _parquet(rows[120:240]),
        "parquet/validation/part.parquet": _parquet(rows[240:]),
        "recordio/train/part.pbr": encode_rows(features[:240], labels[:240]),
        "recordio/validation/part.pbr": encode_rows(features[240:], labels[240:]),
        "weighted/train/part.csv": csv_bytes(np.column_stack([labels, weights, features])[:240]),
        "weighted/validation/part.csv": csv_bytes(np.column_stack([labels, weights, features])[240:]),
        "libsvm/validation/part.libsvm": _libsvm(rows[240:]),
        "libsvm-weighted/train/part.libsvm": _libsvm(rows[:240], weights[:240]),
        "libsvm-weighted/validation/part.libsvm": _libsvm(rows[240:], weights[240:]),
        "classes/train/part.csv": csv_bytes(np.column_stack([classes, features])),
        "transform/features.pbr": encode_rows(features[:25]),
        "transform/features.csv": csv_bytes(features[:25]),
        # Inference rows "may or may not have labels" (xgboost.html): every other row has one here.
        "transform/features.libsvm": b"".join(
            (b"" if i % 2 else b"0.5 ")
            + _libsvm(np.column_stack([labels, features])[i : i + 1]).split(b" ", 1)[1]
            for i in range(25)
        ),
    }
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{key}", Body=body)

    def uri(path: str) -> str:
        return f"s3://{bucket}/{prefix}/{path}/"

    def start(channels: list[dict[str, Any]], hyperparameters: dict[str, str]) -> str:
        name = unique("fmt")
        sagemaker.create_training_job(
            TrainingJobName=name,
            AlgorithmSpecification={"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            RoleArn=ROLE,
            InputDataConfig=channels,
            OutputDataConfig={"S3OutputPath": f"s3://{bucket}/{prefix}/models"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 600},
            HyperParameters=hyperparameters,
        )
        return name

    no_content_type = channel("train", uri("csv/train"))
    del no_content_type["ContentType"]
    started = {
        "csv": start(
            [channel("train", uri("csv/train")), channel("validation", uri("csv/validation"))], REGRESSION
        ),
        "parquet": start(
            [
                channel("train", uri("parquet/train"), "application/x-parquet"),
                channel("validation", uri("parquet/validation"), "application/x-parquet"),
            ],
            REGRESSION,
        ),
        "recordio": start(
            [
                channel("train", uri("recordio/train"), "application/x-recordio-protobuf"),
                channel("validation", uri("recordio/validation"), "recordio-protobuf"),
            ],
            REGRESSION,
        ),
        "weighted": start(
            [channel("train", uri("weighted/train")), channel("validation", uri("weighted/validation"))],
            {**REGRESSION, "csv_weights": "1"},
        ),
        "libsvm_weighted": start(
            [
                channel("train", uri("libsvm-weighted/train"), "text/libsvm"),
                channel("validation", uri("libsvm-weighted/validation"), "text/x-libsvm"),
            ],
            REGRESSION,
        ),
        "softprob": start([channel("train", uri("classes/train"))], SOFTPROB),
        "bad_type": start([channel("train", uri("csv/train"), "application/json")], REGRESSION),
        "mixed": start(
            [
                channel("train", uri("csv/train")),
                channel("validation", uri("libsvm/validation"), "text/libsvm"),
            ],
            REGRESSION,
        ),
        "no_type": start([no_content_type], REGRESSION),
    }
    done = {kind: _wait(sagemaker, "training", name) for kind, name in started.items()}
    return {"bucket": bucket, "prefix": prefix, "features": features[:25], "weights": weights, **done}


def _metrics(job: dict[str, Any]) -> dict[str, float]:
    return {metric["MetricName"]: metric["Value"] for metric in job["FinalMetricDataList"]}


@pytest.mark.parametrize("kind", ["parquet", "recordio"])
def test_parquet_and_recordio_channels_train_as_csv_does(jobs: dict[str, Any], s3: Any, kind: str) -> None:
    """The same rows as CSV, Parquet (label first column, two files) and RecordIO-protobuf give the same model."""
    assert jobs["csv"]["TrainingJobStatus"] == "Completed", jobs["csv"].get("FailureReason")
    assert jobs[kind]["TrainingJobStatus"] == "Completed", jobs[kind].get("FailureReason")
    assert set(_metrics(jobs[kind])) == {"train:rmse", "validation:rmse"}
    assert _metrics(jobs[kind]) == pytest.approx(_metrics(jobs["csv"]), rel=1e-6)
    features = xgboost.DMatrix(jobs["features"])
    np.testing.assert_allclose(
        _booster(s3, jobs[kind]).predict(features), _booster(s3, jobs["csv"]).predict(features), rtol=1e-6
    )


def test_csv_weights_reads_the_second_column_as_the_instance_weight(jobs: dict[str, Any], s3: Any) -> None:
    """csv_weights=1: in every channel the column after the label weighs the row and is not a feature
    (data_utils.get_csv_dmatrix, weight_column=1)."""
    job = jobs["weighted"]
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    booster = _booster(s3, job)
    assert booster.num_features() == 4
    assert _metrics(job)["validation:rmse"] != _metrics(jobs["csv"])["validation:rmse"]


def test_libsvm_rows_may_carry_their_weight(jobs: dict[str, Any]) -> None:
    """`<label>:<weight>` rows (the libsvm format data_utils validates) weigh as csv_weights=1 columns do."""
    job = jobs["libsvm_weighted"]
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert _metrics(job) == pytest.approx(_metrics(jobs["weighted"]), rel=1e-6)


def test_bad_mixed_and_missing_content_types_fail_the_job_saying_why(jobs: dict[str, Any]) -> None:
    """The container's messages: an unknown ContentType lists the accepted ones; a channel without one is libsvm."""
    for kind in ("bad_type", "mixed", "no_type"):
        assert jobs[kind]["TrainingJobStatus"] == "Failed", kind
    assert (
        "application/json is not an accepted ContentType: csv, libsvm, parquet, recordio-protobuf, text/csv"
        in jobs["bad_type"]["FailureReason"]
    )
    assert "channel 'validation': ContentType text/libsvm differs" in jobs["mixed"]["FailureReason"]
    assert "no ContentType, so it is read as text/libsvm" in jobs["no_type"]["FailureReason"]
    assert "give ContentType text/csv" in jobs["no_type"]["FailureReason"]


def test_recordio_protobuf_records_are_the_documented_schema() -> None:
    """Record{features["values"]: float32 values, label["values"]}, RecordIO-framed and padded (cdf-training.html)."""

    def field(number: int, payload: bytes) -> bytes:  # a length-delimited protobuf field
        return bytes([number << 3 | 2, len(payload)]) + payload

    def entry(tensor: bytes) -> bytes:  # map<string, Value> entry "values" -> Value{float32_tensor}
        return field(1, b"values") + field(2, field(2, field(1, tensor)))

    record = field(1, entry(struct.pack("<2f", 1.0, 2.5))) + field(2, entry(struct.pack("<f", 7.0)))
    expected = struct.pack("<II", 0xCED7230A, len(record)) + record + b"\0" * (-len(record) % 4)
    assert encode_rows(np.array([[1.0, 2.5]]), np.array([7.0])) == expected
    features, labels = read_records(expected * 2, "test")
    assert (
        features.tolist() == [[1.0, 2.5], [1.0, 2.5]] and labels is not None and labels.tolist() == [7.0, 7.0]
    )


# --- batch transform ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transforms(jobs: dict[str, Any], sagemaker: Any) -> dict[str, Any]:
    """Every transform job of the module, started together: the formats in, each Accept out."""
    bucket, prefix = jobs["bucket"], jobs["prefix"]

    def model(kind: str, environment: dict[str, str] | None = None) -> str:
        name = unique("fmtmodel")
        container = {"Image": XGBOOST_IMAGE, "ModelDataUrl": jobs[kind]["ModelArtifacts"]["S3ModelArtifacts"]}
        if environment:
            container["Environment"] = environment
        sagemaker.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE)
        return name

    regression, softprob = model("csv"), model("softprob")
    selected = model(
        "softprob", {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label, probabilities,predicted_score"}
    )
    defaulted = model(
        "softprob",
        {
            "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/jsonlines",
        },
    )

    def start(model_name: str, key: str, content_type: str, split: str, accept: str = "text/csv") -> str:
        name = unique("fmtxf")
        sagemaker.create_transform_job(
            TransformJobName=name,
            ModelName=model_name,
            TransformInput={
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}/{key}"}
                },
                "ContentType": content_type,
                "SplitType": split,
            },
            TransformOutput={"S3OutputPath": f"s3://{bucket}/{prefix}/out/{name}", "Accept": accept},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
        return name

    started = {
        "recordio": start(
            regression, "transform/features.pbr", "application/x-recordio-protobuf", "RecordIO"
        ),
        "softprob": start(softprob, "transform/features.csv", "text/csv", "Line"),
        "libsvm": start(regression, "transform/features.libsvm", "text/libsvm", "Line"),
        **{
            accept: start(selected, "transform/features.csv", "text/csv", "Line", accept)
            for accept in (
                "application/json",
                "application/jsonlines",
                "text/csv",
                "application/x-recordio-protobuf",
            )
        },
        "*/*": start(defaulted, "transform/features.csv", "text/csv", "Line", "*/*"),
    }
    done: dict[str, Any] = {kind: _wait(sagemaker, "transform", name) for kind, name in started.items()}
    with pytest.raises(ClientError) as refused:
        start(regression, "transform/features.csv", "application/x-parquet", "None")
    done["parquet"] = refused.value.response["Error"]
    return done


def _output(s3: Any, job: dict[str, Any], source_name: str) -> bytes:
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    bucket, prefix = job["TransformOutput"]["S3OutputPath"].removeprefix("s3://").split("/", 1)
    body: bytes = s3.get_object(Bucket=bucket, Key=f"{prefix}/{source_name}.out")["Body"].read()
    return body


def test_recordio_protobuf_input_answers_one_line_per_record(
    jobs: dict[str, Any], transforms: dict[str, Any], s3: Any
) -> None:
    """ContentType application/x-recordio-protobuf, SplitType RecordIO: str(prediction) per record (serve.py)."""
    expected = _booster(s3, jobs["csv"]).predict(xgboost.DMatrix(jobs["features"].astype(np.float32)))
    body = _output(s3, transforms["recordio"], "features.pbr").decode()
    assert body == "".join(f"{value}\n" for value in expected.tolist())


def test_libsvm_input_with_or_without_labels_answers_one_line_per_record(
    jobs: dict[str, Any], transforms: dict[str, Any], s3: Any
) -> None:
    """text/libsvm requests: `index:value` tokens are the features, a leading label is skipped
    (serve_utils._get_sparse_matrix_from_libsvm), so labelled and unlabelled rows predict alike."""
    expected = _booster(s3, jobs["csv"]).predict(xgboost.DMatrix(jobs["features"].astype(np.float32)))
    body = _output(s3, transforms["libsvm"], "features.libsvm").decode()
    assert body == "".join(f"{value}\n" for value in expected.tolist())


def test_parquet_is_not_an_inference_content_type(transforms: dict[str, Any]) -> None:
    """The container serves csv, libsvm and recordio-protobuf only (it would answer Parquet 415): refused by name."""
    error = transforms["parquet"]
    assert error["Code"] == "ValidationException"
    assert "TransformInput.ContentType: 'application/x-parquet'" in error["Message"]
    assert "415" in error["Message"]


def test_multi_softprob_answers_the_class_probabilities(
    jobs: dict[str, Any], transforms: dict[str, Any], s3: Any
) -> None:
    """Without SAGEMAKER_INFERENCE_OUTPUT a multi:softprob record is answered `[p0, p1, p2]` (str of its list)."""
    probabilities = _booster(s3, jobs["softprob"]).predict(
        xgboost.DMatrix(jobs["features"].astype(np.float32))
    )
    body = _output(s3, transforms["softprob"], "features.csv").decode()
    assert body == "".join(f"{row}\n" for row in probabilities.tolist())


def test_selectable_inference_output_in_every_accept_type(
    jobs: dict[str, Any], transforms: dict[str, Any], s3: Any
) -> None:
    """SAGEMAKER_INFERENCE_OUTPUT keys per record in each Accept (serve_utils.encode_selected_predictions);
    predicted_score is not offered for multi:softprob and is answered NaN."""
    probabilities = _booster(s3, jobs["softprob"]).predict(
        xgboost.DMatrix(jobs["features"].astype(np.float32))
    )
    expected = [
        {"predicted_label": int(np.argmax(row)), "probabilities": row.tolist(), "predicted_score": math.nan}
        for row in probabilities
    ]

    as_json = json.loads(_output(s3, transforms["application/json"], "features.csv"))
    assert list(as_json) == ["predictions"]
    _assert_same(as_json["predictions"], expected)

    lines = _output(s3, transforms["application/jsonlines"], "features.csv").decode().splitlines()
    _assert_same([json.loads(line) for line in lines], expected)

    csv_lines = _output(s3, transforms["text/csv"], "features.csv").decode().splitlines()
    assert csv_lines == [f'{row["predicted_label"]},"{row["probabilities"]}",nan' for row in expected]

    records = _output(s3, transforms["application/x-recordio-protobuf"], "features.csv")
    _assert_recordio_labels(records, expected)


def test_accept_any_is_the_default_invocations_accept(
    jobs: dict[str, Any], transforms: dict[str, Any], s3: Any
) -> None:
    """Accept */* is answered in SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (serve.py _parse_accept), here JSON Lines."""
    probabilities = _booster(s3, jobs["softprob"]).predict(
        xgboost.DMatrix(jobs["features"].astype(np.float32))
    )
    lines = _output(s3, transforms["*/*"], "features.csv").decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"predicted_label": int(np.argmax(row))} for row in probabilities
    ]


def _assert_same(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert list(got) == list(want)
        assert got["predicted_label"] == want["predicted_label"]
        assert got["probabilities"] == want["probabilities"]
        assert math.isnan(got["predicted_score"])


def _assert_recordio_labels(data: bytes, expected: list[dict[str, Any]]) -> None:
    from local_sagemaker.algorithms.builtin_xgboost.recordio_protobuf import framed_records, record_class

    records = []
    for payload in framed_records(data, "answer"):
        record = record_class()()
        record.ParseFromString(payload)
        records.append({key: list(value.float32_tensor.values) for key, value in record.label.items()})
    assert len(records) == len(expected)
    for got, want in zip(records, expected, strict=True):
        assert got["predicted_label"] == [want["predicted_label"]]
        np.testing.assert_allclose(got["probabilities"], want["probabilities"], rtol=1e-7)
        assert math.isnan(got["predicted_score"][0])


def _binary_booster(objective: str) -> xgboost.Booster:
    rng = np.random.default_rng(5)
    features = rng.normal(size=(60, 3))
    labels = (features[:, 0] > 0).astype(float)
    return xgboost.train({"objective": objective}, xgboost.DMatrix(features, label=labels), num_boost_round=3)


def test_selectable_output_of_a_binary_logistic_model() -> None:
    """binary:logistic offers a label (p > 0.5), labels [0, 1], probability p, probabilities [1 - p, p]
    (serve_utils._get_predicted_label, _get_labels, _get_probability, _get_probabilities); CSV quotes lists."""
    from local_sagemaker.transform.selectable_output import SelectableOutput

    booster = _binary_booster("binary:logistic")
    keys = "probability,predicted_label,labels,probabilities,raw_score,predicted_score"
    output = SelectableOutput.of({"SAGEMAKER_INFERENCE_OUTPUT": keys}, booster)
    assert output is not None
    raw = booster.predict(xgboost.DMatrix(np.array([[2.0, 0.0, 0.0], [-2.0, 0.0, 0.0]])))
    answers = output.predictions(raw, "test")
    for answer, p in zip(answers, raw.tolist(), strict=True):
        # The container's key order, whatever the variable's; predicted_score is regression-only: NaN.
        assert list(answer) == [
            "predicted_label", "labels", "probability", "probabilities", "raw_score", "predicted_score"
        ]  # fmt: skip
        assert answer["predicted_label"] == int(p > 0.5)
        assert answer["labels"] == [0, 1]
        assert answer["probability"] == p == answer["raw_score"]
        assert answer["probabilities"] == [1.0 - p, p]
        assert math.isnan(answer["predicted_score"])
    first = output.encode(raw, "text/csv", "test").decode().splitlines()[0]
    p = raw.tolist()[0]
    assert first == f'{p},1,"[0, 1]","[{1.0 - p}, {p}]",{p},nan'


def test_selectable_output_of_an_objective_the_container_does_not_serve_fails() -> None:
    """An objective outside serve_utils.VALID_OBJECTIVES is answered 500: the transform fails naming it."""
    from local_sagemaker.s3io import DataError
    from local_sagemaker.transform.selectable_output import SelectableOutput

    booster = _binary_booster("count:poisson")
    output = SelectableOutput.of({"SAGEMAKER_INFERENCE_OUTPUT": "predicted_score"}, booster)
    assert output is not None
    with pytest.raises(DataError, match="Objective `count:poisson` unsupported for selectable inference"):
        output.encode(booster.predict(xgboost.DMatrix(np.zeros((1, 3)))), "application/json", "test")


def test_sparse_recordio_records_read_as_a_sparse_matrix() -> None:
    """Sparse tensors: `keys` are the columns of `values`, `shape` the width (cdf-training.html)."""
    from local_sagemaker.algorithms.builtin_xgboost.recordio_protobuf import frame, record_class

    record = record_class()()
    tensor = record.features["values"].float32_tensor
    tensor.values.extend([1.5, 0.5])
    tensor.keys.extend([0, 3])
    tensor.shape.append(5)
    record.label["values"].float32_tensor.values.append(1.0)
    features, labels = read_records(frame(record.SerializeToString()) * 2, "test")
    assert features.shape == (2, 5)
    assert features.toarray().tolist() == [[1.5, 0, 0, 0.5, 0]] * 2
    assert labels is not None and labels.tolist() == [1.0, 1.0]


def test_parquet_rows_need_numeric_columns_and_a_label(tmp_path: Any) -> None:
    """Parquet channels (data_utils._get_parquet_dmatrix_file_mode): the first column is the label; a text
    column or a null label fails naming the file, column or row; nullable ints and booleans are features."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from local_sagemaker.algorithms.builtin_xgboost.columnar_channels import parquet_dmatrix
    from local_sagemaker.job_errors import AlgorithmError

    good = tmp_path / "good.parquet"
    pq.write_table(
        pa.table({"y": [1.0, 0.0], "flag": pa.array([True, None]), "n": pa.array([1, None])}), good
    )
    matrix = parquet_dmatrix("channel 'train'", [good])
    assert (matrix.num_row(), matrix.num_col(), matrix.get_label().tolist()) == (2, 2, [1.0, 0.0])
    text = tmp_path / "text.parquet"
    pq.write_table(pa.table({"y": [1.0], "city": ["Oslo"]}), text)
    with pytest.raises(
        AlgorithmError, match=r"text.parquet: column 2 \('city', string\) is a feature and must be"
    ):
        parquet_dmatrix("channel 'train'", [text])
    null_label = tmp_path / "null.parquet"
    pq.write_table(pa.table({"y": [2.0, None], "x": [1.0, 2.0]}), null_label)
    with pytest.raises(AlgorithmError, match=r"null\.parquet, row 2: the label"):
        parquet_dmatrix("channel 'train'", [null_label])
