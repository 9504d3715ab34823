"""A text/libsvm request as the XGBoost container's /invocations reads it: `index:value` pairs, labels ignored.

Follows sagemaker-xgboost-container's serve_utils._get_sparse_matrix_from_libsvm (the 1.x images): every token
holding a colon is a feature `index:value` with the index as written; a token without one (the label, which
inference rows may or may not carry) is skipped. The container's newest images shift a payload whose smallest
index is 1 or more down by one; that is not reproduced (training takes indices as written too).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from local_sagemaker.s3io import DataError


def libsvm_rows(payload: bytes, num_features: int, where: str) -> Any:
    """The rows as a CSR matrix `num_features` wide (blank lines are not records)."""
    import scipy.sparse

    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    lines = [line for line in payload.decode("utf-8", errors="replace").splitlines() if line.strip()]
    for number, line in enumerate(lines):
        for token in line.split():
            index, colon, value = token.partition(":")
            if not colon:
                continue
            try:
                columns.append(int(index))
                values.append(float(value.partition(":")[0]))
            except ValueError:
                raise DataError(
                    f"{where}: the XGBoost container answered 415: loading libsvm data failed, please ensure data "
                    f"is in libsvm format: record {number + 1} has {token!r}, not <index>:<value>"
                ) from None
            rows.append(number)
    widest = max(columns, default=-1) + 1
    if widest > num_features:
        raise DataError(
            f"{where}: a libsvm record has feature index {widest - 1} but the model takes {num_features} features "
            f"(indices 0 to {num_features - 1})"
        )
    if columns and min(columns) < 0:
        raise DataError(f"{where}: a libsvm record has a negative feature index {min(columns)}")
    return scipy.sparse.csr_matrix(
        (
            np.array(values, dtype=np.float32),
            (np.array(rows, dtype=np.int64), np.array(columns, dtype=np.int64)),
        ),
        shape=(len(lines), num_features),
    )
