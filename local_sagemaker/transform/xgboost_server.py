"""The built-in XGBoost container's /invocations in batch mode: a request payload in, one line per record out.

Follows sagemaker-xgboost-container's algorithm_mode/serve.py: with SAGEMAKER_BATCH set (SageMaker sets it for
batch transform) the answer is `"\\n".join(map(str, predictions)) + "\\n"` whatever the Accept type, so a
multi:softprob row is `[p0, p1, ...]`, unless SAGEMAKER_INFERENCE_OUTPUT selects keys (selectable_output.py).
It reads text/csv, text/libsvm and application/x-recordio-protobuf requests (serve_utils.parse_content_data).
A request larger than the container's MAX_CONTENT_LENGTH (6 MiB unless Environment sets it) is refused with 413.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from local_sagemaker.algorithms.builtin_xgboost.recordio_protobuf import RecordIOProtobufError, read_records
from local_sagemaker.algorithms.xgboost_builtin import load_model_from_dir
from local_sagemaker.s3io import DataError
from local_sagemaker.transform.libsvm_payload import libsvm_rows
from local_sagemaker.transform.selectable_output import SelectableOutput

_DEFAULT_MAX_CONTENT_LENGTH = 6 * 1024 * 1024
_CSV_TYPES = ("text/csv", "csv")
_LIBSVM_TYPES = ("text/libsvm", "text/x-libsvm", "libsvm")
_RECORDIO_PROTOBUF_TYPES = ("application/x-recordio-protobuf", "recordio-protobuf")


class XGBoostBatchServer:
    """One loaded booster answering request payloads; safe to call from several threads at once."""

    def __init__(self, model_dir: Path, environment: Mapping[str, str], accept: str = "text/csv") -> None:
        self.booster: Any = load_model_from_dir(model_dir)
        self.max_content_length = int(environment.get("MAX_CONTENT_LENGTH", _DEFAULT_MAX_CONTENT_LENGTH))
        self.accept = accept.split(";")[0].strip().lower()
        self.selectable = SelectableOutput.of(environment, self.booster)

    def invoke(self, payload: bytes, content_type: str, where: str) -> bytes:
        if len(payload) > self.max_content_length:
            raise DataError(
                f"{where}: the XGBoost container refused a {len(payload)}-byte request with 413 (Request Entity "
                f"Too Large): its MAX_CONTENT_LENGTH is {self.max_content_length} bytes; lower MaxPayloadInMB or "
                "set MAX_CONTENT_LENGTH in the model's or the job's Environment"
            )
        media, _, options = content_type.lower().partition(";")
        media = media.strip()
        if media in _CSV_TYPES:
            if "label_size" in options and options.replace(" ", "").split("label_size=")[1][:1] != "1":
                raise DataError(f"{where}: {content_type!r}: label_size must be 1 for XGBoost")
            features = self._csv(payload, where)
        elif media in _LIBSVM_TYPES:
            features = self._libsvm(payload, where)
        elif media in _RECORDIO_PROTOBUF_TYPES:
            features = self._recordio_protobuf(payload, where)
        else:
            raise DataError(
                f"{where}: the XGBoost container answered 415 (Unsupported Media Type) to ContentType "
                f"{content_type!r}; it reads text/csv, text/libsvm and application/x-recordio-protobuf"
            )
        predictions = self._predict(features, where)
        if not len(predictions):
            return b""
        if self.selectable is not None:
            return self.selectable.encode(predictions, self.accept, where)
        return ("\n".join(map(str, predictions.tolist())) + "\n").encode()

    def _csv(self, payload: bytes, where: str) -> np.ndarray:
        import pandas as pd

        text = payload.strip()
        if not text:
            return np.empty((0, self.booster.num_features()), dtype=np.float32)
        first_line = text.split(b"\n", 1)[0]
        delimiter = next((mark for mark in (",", "\t", "|", ";") if mark.encode() in first_line), ",")
        try:
            frame = pd.read_csv(io.BytesIO(text), header=None, sep=delimiter, dtype=np.float32, engine="c")
        except ValueError as exc:
            raise DataError(
                f"{where}: the XGBoost container answered 415: loading csv data failed ({exc}); batch transform "
                "input must be numeric feature columns, with no header row"
            ) from exc
        return frame.to_numpy(dtype=np.float32)

    def _libsvm(self, payload: bytes, where: str) -> Any:
        import xgboost

        return xgboost.DMatrix(libsvm_rows(payload, self.booster.num_features(), where))

    def _recordio_protobuf(self, payload: bytes, where: str) -> Any:
        import scipy.sparse
        import xgboost

        try:
            features, _labels = read_records(payload, where)
        except RecordIOProtobufError as exc:
            raise DataError(
                f"the XGBoost container answered 415: loading recordio-protobuf data failed: {exc} "
                "(a RecordIO-protobuf object needs SplitType RecordIO or None: Line cuts it at newline bytes)"
            ) from exc
        if not scipy.sparse.issparse(features):
            return features
        if features.shape[1] > self.booster.num_features():
            raise DataError(
                f"{where}: the request's sparse records reach feature {features.shape[1]} but the model takes "
                f"{self.booster.num_features()} features"
            )
        return xgboost.DMatrix(features)

    def _predict(self, features: Any, where: str) -> np.ndarray:
        expected = self.booster.num_features()
        columns = features.shape[1] if isinstance(features, np.ndarray) else features.num_col()
        if isinstance(features, np.ndarray) and columns != expected:
            hint = (
                ": batch transform input must hold the feature columns only, without the label column training "
                "had (or drop it with DataProcessing.InputFilter)"
                if columns == expected + 1
                else ""
            )
            raise DataError(
                f"{where}: the request has {columns} columns but the model takes {expected} features{hint}"
            )
        if isinstance(features, np.ndarray):
            if not len(features):
                return np.empty(0)
            # inplace_predict skips building a DMatrix copy; the predictions are the same.
            return np.asarray(self.booster.inplace_predict(features, missing=math.nan))
        return np.asarray(self.booster.predict(features))
