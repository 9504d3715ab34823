"""SageMaker's RecordIO-protobuf data (application/x-recordio-protobuf): records in, rows and labels out, and back.

The schema is the `aialgs.data.Record` message of "Common Data Formats for Training"
(https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-training.html), built here with the protobuf library
because no installed package ships it (the SDK v3's record helpers raise NotImplementedError). Each record is
RecordIO-framed: magic 0xCED7230A, the length, the message, zero padding to 4 bytes. Rows are read as the
XGBoost container's recordio_protobuf.py reads them: the `values` feature, dense or sparse (`keys` with
`shape`), the `values` label; a record without a `values` feature is skipped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np

RECORDIO_MAGIC = 0xCED7230A
_TENSORS = {"float32_tensor": np.float32, "float64_tensor": np.float64, "int32_tensor": np.int32}


class RecordIOProtobufError(ValueError):
    """The bytes are not SageMaker RecordIO-protobuf records; the message says where and why."""


@cache
def record_class() -> Any:
    """The `aialgs.data.Record` message class, compiled once from the documented schema."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    schema = descriptor_pb2.FileDescriptorProto(
        name="local_sagemaker/aialgs_record.proto", package="aialgs.data", syntax="proto2"
    )

    def add_message(name: str, fields: Sequence[tuple[str, int, int, int, str]]) -> Any:
        message = schema.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            added = message.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                added.type_name = type_name
            if label == field.LABEL_REPEATED and kind not in (field.TYPE_BYTES, field.TYPE_MESSAGE):
                added.options.packed = True
        return message

    repeated, optional = field.LABEL_REPEATED, field.LABEL_OPTIONAL
    for name, kind in (
        ("Float32Tensor", field.TYPE_FLOAT),
        ("Float64Tensor", field.TYPE_DOUBLE),
        ("Int32Tensor", field.TYPE_INT32),
    ):
        add_message(
            name,
            [
                ("values", 1, kind, repeated, ""),
                ("keys", 2, field.TYPE_UINT64, repeated, ""),
                ("shape", 3, field.TYPE_UINT64, repeated, ""),
            ],
        )
    add_message(
        "Bytes",
        [("value", 1, field.TYPE_BYTES, repeated, ""), ("content_type", 2, field.TYPE_STRING, optional, "")],
    )
    value = add_message(
        "Value",
        [
            ("float32_tensor", 2, field.TYPE_MESSAGE, optional, ".aialgs.data.Float32Tensor"),
            ("float64_tensor", 3, field.TYPE_MESSAGE, optional, ".aialgs.data.Float64Tensor"),
            ("int32_tensor", 7, field.TYPE_MESSAGE, optional, ".aialgs.data.Int32Tensor"),
            ("bytes", 9, field.TYPE_MESSAGE, optional, ".aialgs.data.Bytes"),
        ],
    )
    value.oneof_decl.add(name="value")
    for member in value.field:
        member.oneof_index = 0
    record = add_message(
        "Record",
        [
            ("features", 1, field.TYPE_MESSAGE, repeated, ".aialgs.data.Record.FeaturesEntry"),
            ("label", 2, field.TYPE_MESSAGE, repeated, ".aialgs.data.Record.LabelEntry"),
            ("uid", 3, field.TYPE_STRING, optional, ""),
            ("metadata", 4, field.TYPE_STRING, optional, ""),
            ("configuration", 5, field.TYPE_STRING, optional, ""),
        ],
    )
    for entry_name in ("FeaturesEntry", "LabelEntry"):  # map<string, Value> is sugar for these
        entry = record.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, type=field.TYPE_STRING, label=optional)
        entry.field.add(
            name="value", number=2, type=field.TYPE_MESSAGE, label=optional, type_name=".aialgs.data.Value"
        )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(schema)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("aialgs.data.Record"))


def framed_records(data: bytes, where: str) -> Iterator[bytes]:
    """The payload of each RecordIO record in `data`."""
    offset = 0
    while offset < len(data):
        if len(data) - offset < 8:
            raise RecordIOProtobufError(
                f"{where}: {len(data) - offset} stray byte(s) at byte {offset}, not a record"
            )
        magic, length = struct.unpack_from("<II", data, offset)
        if magic != RECORDIO_MAGIC:
            raise RecordIOProtobufError(
                f"{where}: no RecordIO magic number (0xCED7230A) at byte {offset}; "
                "application/x-recordio-protobuf data is a sequence of RecordIO-framed Record messages"
            )
        length &= (1 << 29) - 1  # the top bits are MXNet's continuation flags, always 0 here
        start = offset + 8
        if start + length > len(data):
            raise RecordIOProtobufError(f"{where}: the record at byte {offset} is cut short")
        yield data[start : start + length]
        offset = start + length + (-length % 4)


def _tensor(value: Any) -> tuple[np.ndarray, np.ndarray, list[int]] | None:
    kind = value.WhichOneof("value")
    if kind not in _TENSORS:
        return None
    tensor = getattr(value, kind)
    keys = np.array(tensor.keys, dtype=np.int64)
    return np.array(tensor.values, dtype=_TENSORS[kind]), keys, [int(size) for size in tensor.shape]


def read_records(data: bytes, where: str) -> tuple[Any, np.ndarray | None]:
    """Features (a dense array, or a CSR matrix when a record is sparse) and labels (None if no record has one)."""
    import scipy.sparse

    record = record_class()()
    rows: list[Any] = []
    labels: list[np.ndarray] = []
    sparse = False
    for number, payload in enumerate(framed_records(data, where), start=1):
        try:
            record.ParseFromString(payload)
        except Exception as exc:  # protobuf's DecodeError; its message says little more than "Error parsing"
            raise RecordIOProtobufError(
                f"{where}: record {number} is not an aialgs.data.Record ({exc})"
            ) from None
        if "values" not in record.features:
            continue
        tensor = _tensor(record.features["values"])
        if tensor is None:
            raise RecordIOProtobufError(f"{where}: record {number}: feature 'values' holds no numeric tensor")
        values, keys, shape = tensor
        if keys.size or shape:
            sparse = True
            columns = shape[0] if shape else int(keys.max()) + 1 if keys.size else 1
            rows.append(
                scipy.sparse.csr_matrix((values.astype(np.float32), keys, [0, keys.size]), shape=(1, columns))
            )
        else:
            rows.append(values.astype(np.float32).reshape(1, -1))
        if "values" in record.label:
            label = _tensor(record.label["values"])
            if label is not None:
                labels.append(label[0].astype(np.float32))
        record.Clear()
    if not rows:
        raise RecordIOProtobufError(f"{where}: no records with a 'values' feature")
    widths = {row.shape[1] for row in rows}
    if not sparse and len(widths) > 1:
        raise RecordIOProtobufError(
            f"{where}: dense records have different lengths ({', '.join(map(str, sorted(widths)))} values); "
            "every record needs the same features"
        )
    if sparse:
        width = max(widths)
        rows = [
            scipy.sparse.csr_matrix(row, shape=(1, width)) if row.shape[1] != width else row for row in rows
        ]
        features: Any = scipy.sparse.vstack([scipy.sparse.csr_matrix(row) for row in rows], format="csr")
    else:
        features = np.vstack(rows)
    return features, (np.concatenate(labels) if labels else None)


def frame(payload: bytes) -> bytes:
    """One RecordIO record around `payload`."""
    return struct.pack("<II", RECORDIO_MAGIC, len(payload)) + payload + b"\0" * (-len(payload) % 4)


def encode_labels(predictions: Iterable[Mapping[str, float | Sequence[float]]]) -> bytes:
    """One record per prediction, each key a `label` float32 tensor, as the container answers in this format."""
    record = record_class()()
    out = bytearray()
    for prediction in predictions:
        record.Clear()
        for key, value in prediction.items():
            values = list(value) if isinstance(value, Sequence) else [value]
            record.label[key].float32_tensor.values.extend(values)
        out += frame(record.SerializeToString())
    return bytes(out)


def encode_rows(features: np.ndarray, labels: np.ndarray | None = None) -> bytes:
    """Dense float32 rows (and labels) as records, the way the SageMaker SDK's write_numpy_to_dense_tensor writes."""
    record = record_class()()
    out = bytearray()
    for index, row in enumerate(np.asarray(features, dtype=np.float32)):
        record.Clear()
        record.features["values"].float32_tensor.values.extend(row.tolist())
        if labels is not None:
            record.label["values"].float32_tensor.values.append(float(labels[index]))
        out += frame(record.SerializeToString())
    return bytes(out)
