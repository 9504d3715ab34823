"""Parquet and RecordIO-protobuf channels as the XGBoost container reads them: the label first (Parquet) or in `label`.

Follows sagemaker-xgboost-container's data_utils.py: a Parquet channel is read as one table (pyarrow), its
first column the label and the rest the features; a RecordIO-protobuf channel is every data file's records
concatenated. Both need a label on every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from local_sagemaker.algorithms.builtin_xgboost.log_capture import xgboost_reason
from local_sagemaker.algorithms.builtin_xgboost.recordio_protobuf import RecordIOProtobufError, read_records
from local_sagemaker.job_errors import AlgorithmError

if TYPE_CHECKING:
    import xgboost

# The container's words for a channel whose rows carry no label (data_utils.get_dmatrix).
NO_LABELS = "Got input data without labels. Please check the input data set."


def _parquet_matrix(path: Path, where: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise AlgorithmError(f"{where}, file {path.name}: not a Parquet file ({exc})") from None
    for position, column in enumerate(table.schema):
        if not (
            pa.types.is_integer(column.type)
            or pa.types.is_floating(column.type)
            or pa.types.is_boolean(column.type)
        ):
            role = "the label" if position == 0 else "a feature"
            raise AlgorithmError(
                f"{where}, file {path.name}: column {position + 1} ({column.name!r}, {column.type}) is {role} and "
                "must be numeric; Parquet training data holds the label in the first column and numeric features"
            )
    columns = [
        np.asarray(table.column(i).cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        for i in range(table.num_columns)
    ]
    return np.column_stack(columns) if columns else np.empty((0, 0))


def parquet_dmatrix(where: str, files: Sequence[Path]) -> xgboost.DMatrix:
    import xgboost

    blocks: list[np.ndarray] = []
    first = ""
    for path in files:
        block = _parquet_matrix(path, where)
        if block.shape[0] == 0:
            continue
        first = first or path.name
        if blocks and block.shape[1] != blocks[0].shape[1]:
            raise AlgorithmError(
                f"{where}: file {path.name} has {block.shape[1]} columns but {first} has "
                f"{blocks[0].shape[1]}; every file of a channel needs the same columns"
            )
        if block.shape[1] < 2:
            raise AlgorithmError(f"{where}, file {path.name}: rows need a label and at least one feature")
        missing = np.flatnonzero(np.isnan(block[:, 0]))
        if missing.size:
            raise AlgorithmError(
                f"{where}, file {path.name}, row {int(missing[0]) + 1}: the label (first column) is null"
            )
        blocks.append(block)
    if not blocks:
        raise AlgorithmError(f"{where} has no data rows")
    matrix = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    try:
        return xgboost.DMatrix(matrix[:, 1:], label=matrix[:, 0])
    except xgboost.core.XGBoostError as error:
        raise AlgorithmError(f"{where}: {xgboost_reason(error)}") from None


def recordio_dmatrix(where: str, files: Sequence[Path]) -> xgboost.DMatrix:
    import xgboost

    data = b"".join(path.read_bytes() for path in files)
    try:
        features, labels = read_records(data, where)
    except RecordIOProtobufError as exc:
        raise AlgorithmError(str(exc)) from None
    if labels is None:
        raise AlgorithmError(f"{where}: {NO_LABELS} No record has a 'values' label")
    if labels.size != features.shape[0]:
        raise AlgorithmError(
            f"{where}: {features.shape[0]} records but {labels.size} labels; every record needs one 'values' label"
        )
    try:
        return xgboost.DMatrix(features, label=labels)
    except xgboost.core.XGBoostError as error:
        raise AlgorithmError(f"{where}: {xgboost_reason(error)}") from None
