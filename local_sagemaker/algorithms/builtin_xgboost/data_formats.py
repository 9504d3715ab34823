"""Channel data as the container reads it: content types, CSV (label first) and libsvm files.

Content types and their messages follow sagemaker-xgboost-container's data_utils.get_content_type; Parquet and
RecordIO-protobuf channels are read in columnar_channels.py.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from local_sagemaker.algorithms.builtin_xgboost.columnar_channels import parquet_dmatrix, recordio_dmatrix
from local_sagemaker.algorithms.builtin_xgboost.log_capture import xgboost_reason
from local_sagemaker.job_errors import AlgorithmError

if TYPE_CHECKING:
    import xgboost

CSV, LIBSVM, PARQUET, RECORDIO_PROTOBUF = "csv", "libsvm", "parquet", "recordio-protobuf"
_CONTENT_TYPES = {
    "csv": CSV,
    "libsvm": LIBSVM,
    "parquet": PARQUET,
    "recordio-protobuf": RECORDIO_PROTOBUF,
    "text/csv": CSV,
    "text/libsvm": LIBSVM,
    "text/x-libsvm": LIBSVM,
    "application/x-parquet": PARQUET,
    "application/x-recordio-protobuf": RECORDIO_PROTOBUF,
}
# What a channel without a ContentType is read as (the container's channel_validation default).
DEFAULT_CONTENT_TYPE = "text/libsvm"
# pandas' default missing-value tokens; the slow CSV pass must agree with the fast one.
_MISSING_TOKENS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>"}
    | {"N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)


def content_format(content_type: str, where: str) -> str:
    media, *options = (part.strip().lower() for part in content_type.split(";"))
    form = _CONTENT_TYPES.get(media)
    if form is None:
        raise AlgorithmError(
            f"{where}: {content_type} is not an accepted ContentType: {', '.join(_CONTENT_TYPES)}."
        )
    for option in options:
        key, _, value = option.partition("=")
        if form == CSV and key.strip() == "label_size" and value.strip() != "1":
            raise AlgorithmError(
                f"{where}: {content_type} is not an accepted csv ContentType. "
                "Optional parameter label_size must be equal to 1"
            )
    return form


def _data_files(directory: Path, channel: str) -> list[Path]:
    if not directory.is_dir():
        raise AlgorithmError(f"channel {channel!r}: {directory} is not a directory")
    # Like the container: names beginning with '.' or '_' (e.g. Spark's _SUCCESS) are not data.
    files = [
        path
        for path in directory.rglob("*")
        if path.is_file()
        and not any(part.startswith((".", "_")) for part in path.relative_to(directory).parts)
    ]
    return sorted(files, key=lambda path: path.relative_to(directory).as_posix())


def delimiter_of(path: Path) -> str:
    with path.open("rb") as stream:
        for line in stream:
            text = line.decode("utf-8", errors="replace").strip()
            if text:
                return next((mark for mark in (",", "\t", "|", ";") if mark in text), ",")
    return ","


def _cell_value(cell: str) -> float | None:
    token = cell.strip().strip('"').strip()
    if token in _MISSING_TOKENS:
        return math.nan
    if "_" in token:
        return None
    try:
        return float(token)
    except ValueError:
        return None


def read_csv_slowly(path: Path, delimiter: str, where: str, hint: str) -> np.ndarray:
    """Line by line: finds the exact line pandas refused, or reads what pandas was merely stricter about."""
    rows: list[list[float]] = []
    width = 0
    with path.open(encoding="utf-8", errors="replace", newline="") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            cells = line.rstrip("\r\n").split(delimiter)
            if not width:
                width = len(cells)
            elif len(cells) > width:
                raise AlgorithmError(
                    f"{where}, file {path.name}, line {number}: {len(cells)} columns, but the first row has {width}"
                )
            row: list[float] = []
            for column, cell in enumerate(cells, start=1):
                value = _cell_value(cell)
                if value is None:
                    raise AlgorithmError(
                        f"{where}, file {path.name}, line {number}, column {column}: "
                        f"{cell.strip()!r} is not a number ({hint})"
                    )
                row.append(value)
            rows.append(row + [math.nan] * (width - len(row)))  # short rows: trailing cells missing
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def _read_csv(path: Path, where: str, hint: str) -> np.ndarray:
    import pandas as pd

    if path.stat().st_size == 0:
        return np.empty((0, 0))
    delimiter = delimiter_of(path)
    try:
        frame = pd.read_csv(path, header=None, sep=delimiter, dtype=np.float64, engine="c")
    except pd.errors.EmptyDataError:
        return np.empty((0, 0))
    except ValueError:  # a non-numeric cell, a ragged row or bad bytes; pandas does not say where
        return read_csv_slowly(path, delimiter, where, hint)
    return frame.to_numpy(dtype=np.float64)


def _line_of_row(path: Path, row: int) -> int:
    """The line number of a data row (blank lines are skipped by the reader, not by editors)."""
    seen = -1
    with path.open(encoding="utf-8", errors="replace", newline="") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                seen += 1
                if seen == row:
                    return number
    return seen + 1


_TRAINING_CSV_HINT = "CSV training data must be numeric, with no header row and the label in the first column"


def _csv_dmatrix(channel: str, files: Sequence[Path], csv_weights: int, nthread: int) -> xgboost.DMatrix:
    import xgboost

    where = f"channel {channel!r}"
    first_feature = 2 if csv_weights else 1
    blocks: list[np.ndarray] = []
    first: Path | None = None
    for path in files:
        block = _read_csv(path, where, _TRAINING_CSV_HINT)
        if block.shape[0] == 0:
            continue
        if first is None:
            first = path
        elif block.shape[1] != blocks[0].shape[1]:
            raise AlgorithmError(
                f"{where}: file {path.name} has {block.shape[1]} columns but {first.name} has "
                f"{blocks[0].shape[1]}; every file of a channel needs the same columns"
            )
        if block.shape[1] <= first_feature:
            needs = "a label, a weight (csv_weights=1)" if csv_weights else "a label"
            raise AlgorithmError(
                f"{where}, file {path.name}: {block.shape[1]} column(s); rows need {needs} and at least one feature"
            )
        _check_label_and_weight(block, path, where, csv_weights)
        blocks.append(block)
    if not blocks:
        raise AlgorithmError(f"{where} has no data: {len(files)} file(s) without a single row")
    matrix = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    try:
        return xgboost.DMatrix(
            matrix[:, first_feature:],
            label=matrix[:, 0],
            weight=matrix[:, 1] if csv_weights else None,
            missing=math.nan,
            nthread=nthread,
        )
    except xgboost.core.XGBoostError as error:
        raise AlgorithmError(f"{where}: {xgboost_reason(error)}") from None


def _check_label_and_weight(block: np.ndarray, path: Path, where: str, csv_weights: int) -> None:
    problems = [(np.isnan(block[:, 0]), "the label (first column) is missing")]
    if csv_weights:
        weights = block[:, 1]
        problems.append((np.isnan(weights), "the weight (second column, csv_weights=1) is missing"))
        problems.append((weights < 0, "the weight (second column, csv_weights=1) is negative"))
    for bad, problem in problems:
        rows = np.flatnonzero(bad)
        if rows.size:
            raise AlgorithmError(
                f"{where}, file {path.name}, line {_line_of_row(path, int(rows[0]))}: {problem}"
            )


# A row that weighs itself, `<label>:<weight> <index>:<value> ...`, as xgboost's libsvm parser reads it.
_WEIGHTED_ROW = re.compile(rb"(?m)^[ \t]*[^\s:#]+:")


def _split_weights(data: bytes, where: str, name: str) -> tuple[bytes, np.ndarray | None]:
    """The rows without their `:<weight>` (scikit-learn reads no weights) and the weights, None if no row has one."""
    if not _WEIGHTED_ROW.search(data):
        return data, None
    rows: list[bytes] = []
    weights: list[float] = []
    for number, line in enumerate(data.splitlines(), start=1):
        tokens = line.split(None, 1)
        if not tokens or tokens[0].startswith(b"#"):  # blank and comment lines are not rows
            continue
        label, colon, weight = tokens[0].partition(b":")
        try:
            weights.append(float(weight) if colon else 1.0)
        except ValueError:
            raise AlgorithmError(
                f"{where}, file {name}, line {number}: {tokens[0].decode(errors='replace')!r} is not "
                "<label> or <label>:<instance weight>"
            ) from None
        rows.append(label + b" " + (tokens[1] if len(tokens) > 1 else b""))
    return b"\n".join(rows) + b"\n", np.array(weights, dtype=np.float32)


def libsvm_dmatrix(where: str, files: Sequence[Path], features: int | None = None) -> xgboost.DMatrix:
    # scikit-learn's reader: xgboost 3.1 deprecated loading text files through DMatrix URIs.
    import scipy.sparse
    import xgboost
    from sklearn.datasets import load_svmlight_files

    files = [path for path in files if path.stat().st_size]
    if not files:
        raise AlgorithmError(f"{where} has no data")
    split = [_split_weights(path.read_bytes(), where, path.name) for path in files]
    try:
        # Indices are column numbers as written, as xgboost's own libsvm parser takes them.
        loaded = load_svmlight_files(
            [io.BytesIO(rows) for rows, _ in split], zero_based=True, dtype=np.float32, n_features=features
        )
    except ValueError as error:
        names = ", ".join(path.name for path in files)
        raise AlgorithmError(f"{where}: {names} could not be read as libsvm ({error})") from None
    matrix = scipy.sparse.vstack(loaded[0::2], format="csr")
    labels = loaded[1::2]
    weight = None
    if any(weights is not None for _, weights in split):
        weight = np.concatenate(
            [
                weights if weights is not None else np.ones(len(file_labels), dtype=np.float32)
                for (_, weights), file_labels in zip(split, labels, strict=True)
            ]
        )
    try:
        return xgboost.DMatrix(matrix, label=np.concatenate(labels), weight=weight)
    except xgboost.core.XGBoostError as error:
        raise AlgorithmError(f"{where}: {xgboost_reason(error)}") from None


def load_channel(
    channel: str, directory: Path, content_type: str | None, csv_weights: int, nthread: int
) -> tuple[xgboost.DMatrix, str]:
    """The channel's rows; `content_type` None means the channel gave none (read as the container's default)."""
    where = f"channel {channel!r}"
    form = content_format(content_type or DEFAULT_CONTENT_TYPE, where)
    files = _data_files(directory, channel)
    if not files:
        raise AlgorithmError(f"channel {channel!r} has no data files in {directory}")
    if form == PARQUET:
        return parquet_dmatrix(where, files), form
    if form == RECORDIO_PROTOBUF:
        return recordio_dmatrix(where, files), form
    if form == LIBSVM:
        try:
            data = libsvm_dmatrix(where, files)
        except AlgorithmError as error:
            if content_type is None:  # the commonest cause: CSV data in a channel that did not say so
                raise AlgorithmError(
                    f"{error}. The channel has no ContentType, so it is read as {DEFAULT_CONTENT_TYPE} (the "
                    "XGBoost container's default); give ContentType text/csv for CSV data"
                ) from None
            raise
        if data.num_row() == 0:
            raise AlgorithmError(f"channel {channel!r} has no data rows")
        return data, form
    return _csv_dmatrix(channel, files, csv_weights, nthread), form
