"""The framework images' inference handlers: the user's inference.py functions, the image's defaults for the rest.

Follows the serving path both images take outside multi-model endpoints (SAGEMAKER_SERVING_MODULE ...serving:main,
gunicorn): aws/sagemaker-scikit-learn-container and aws/sagemaker-xgboost-container `serving.py`
(`_user_module_transformer`, `default_*_fn`) over aws/sagemaker-containers `_transformer.Transformer`,
`_encoders` and `_worker.Request`:
- `model_fn` has no default (NotImplementedError); `transform_fn` replaces input_fn/predict_fn/output_fn and
  may not be combined with them.
- The request body reaches input_fn as text when its Content-Type is exactly `application/json` or `text/csv`,
  else as bytes. The Accept is the request's, or SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (application/json)
  when it is missing or `*/*`.
- Defaults: scikit-learn decodes application/json, text/csv and application/x-npy into a numpy array
  (float32 for the text types) and calls `model.predict`; XGBoost decodes text/csv, text/libsvm and application/x-recordio-protobuf into a
  DMatrix and calls `model.predict(data, validate_features=False)`. Both encode the prediction as
  application/json, text/csv or application/x-npy.
- An unsupported type in a default decoder answers 415, in a default encoder 406; any other exception 500.
"""

from __future__ import annotations

import csv
import io
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
UTF8_TYPES = (JSON, CSV)
FRAMEWORKS = ("sklearn", "xgboost")
_LIBSVM_TYPES = ("text/libsvm", "text/x-libsvm")
_NO_MODEL_FN = (
    "Please provide a model_fn implementation. See documentation for model_fn at "
    "https://github.com/aws/sagemaker-python-sdk"
)


class UnsupportedFormatError(Exception):
    """sagemaker_containers._errors.UnsupportedFormatError: a default handler cannot read or write the type."""

    def __init__(self, content_type: str, note: str = "") -> None:
        super().__init__(
            f"Content type {content_type} is not supported by this framework{note}. Please implement input_fn "
            "to deserialize the request data or an output_fn to serialize the response."
        )


class HandlerError(Exception):
    """A handler raised: which one, the HTTP status the container answers, and the traceback for the log."""

    def __init__(self, handler: str, status: int, cause: BaseException) -> None:
        self.handler = handler
        self.status = status
        # From the handler's own frame on: the frame that called it is the server's, not the user's.
        frames = cause.__traceback__.tb_next if cause.__traceback__ else None
        self.trace = "".join(traceback.format_exception(type(cause), cause, frames))
        super().__init__(f"{handler} raised {type(cause).__name__}: {cause}")


# The defaults both images share (sagemaker_containers._encoders.encode).
def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(prediction: Any, accept: str) -> bytes:
    if accept == JSON:
        return json.dumps(prediction, default=_json_default).encode()
    if accept == CSV:
        array = np.array(prediction)
        if array.ndim == 1:
            array = array.reshape(array.shape[0], 1)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(array.tolist() if array.ndim else [[array.item()]])
        return out.getvalue().encode()
    if accept == NPY:
        buffer = io.BytesIO()
        np.save(buffer, prediction)
        return buffer.getvalue()
    raise UnsupportedFormatError(accept)


def _text(content: str | bytes) -> str:
    return content.decode("utf-8") if isinstance(content, bytes) else content


# scikit-learn image (sagemaker_sklearn_container.serving over sagemaker_containers._encoders.decode)
def sklearn_input_fn(content: str | bytes, content_type: str) -> Any:
    if content_type == JSON:
        array = np.array(json.loads(content))
    elif content_type == CSV:
        array = np.array(list(csv.reader(io.StringIO(_text(content))))).squeeze()
    elif content_type == NPY:
        array = np.load(
            io.BytesIO(content if isinstance(content, bytes) else content.encode()), allow_pickle=True
        )
    else:
        raise UnsupportedFormatError(content_type)
    return array.astype(np.float32) if content_type in UTF8_TYPES else array


def sklearn_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


# XGBoost image (sagemaker_xgboost_container.serving and encoder.decode)
def xgboost_input_fn(content: str | bytes, content_type: str) -> Any:
    import xgboost

    media = content_type.split(";")[0].strip()
    if media == CSV:
        # The platform ends every record with a newline; the container's decoder reads one row per line.
        text = _text(content).strip("\n")
        first = text.split("\n", 1)[0][:512]
        delimiter = csv.Sniffer().sniff(first).delimiter if first else ","
        delimiter = "," if delimiter.isalnum() else delimiter
        rows = [
            ["nan" if cell == "" else cell for cell in line.split(delimiter)] for line in text.split("\n")
        ]
        return xgboost.DMatrix(np.array(rows).astype(np.float64))
    if media in _LIBSVM_TYPES:
        return _libsvm_dmatrix(_text(content))
    if media == "application/x-recordio-protobuf":
        from local_sagemaker.algorithms.builtin_xgboost.recordio_protobuf import read_records

        data = content if isinstance(content, bytes) else content.encode()
        features, labels = read_records(data, "the request")
        return xgboost.DMatrix(features, label=labels)
    raise UnsupportedFormatError(media)


def _libsvm_dmatrix(text: str) -> Any:
    """encoder.libsvm_to_dmatrix: indices from 1 shift to 0, absent cells are 0."""
    import xgboost

    rows: list[dict[int, float]] = []
    for line in text.strip().split("\n"):
        row: dict[int, float] = {}
        for token in line.split():
            if ":" in token:
                column, cell = token.split(":", 1)
                row[int(column)] = float(cell)
        rows.append(row)
    if not any(rows):
        return xgboost.DMatrix(np.empty((0, 0)))
    offset = 1 if min(i for row in rows for i in row) >= 1 else 0
    data = np.zeros((len(rows), max(i for row in rows for i in row) - offset + 1))
    for number, row in enumerate(rows):
        for index, value in row.items():
            data[number, index - offset] = value
    return xgboost.DMatrix(data)


def xgboost_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data, validate_features=False)


_DEFAULTS: dict[str, dict[str, Callable[..., Any]]] = {
    "sklearn": {"input_fn": sklearn_input_fn, "predict_fn": sklearn_predict_fn},
    "xgboost": {"input_fn": xgboost_input_fn, "predict_fn": xgboost_predict_fn},
}


def _no_model_fn(model_dir: str) -> Any:
    raise NotImplementedError(_NO_MODEL_FN)


@dataclass
class Handlers:
    """The functions one model server calls, each with the name it has in the user's module or the image."""

    framework: str
    model_fn: Callable[..., Any]
    transform_fn: Callable[..., Any] | None
    input_fn: Callable[..., Any]
    predict_fn: Callable[..., Any]
    output_fn: Callable[..., Any]
    user_functions: frozenset[str]
    model: Any = None

    @classmethod
    def from_module(cls, module: ModuleType, framework: str) -> Handlers:
        defaults = _DEFAULTS[framework]
        found = {
            name: getattr(module, name)
            for name in ("model_fn", "input_fn", "predict_fn", "output_fn", "transform_fn")
            if callable(getattr(module, name, None))
        }
        if "transform_fn" in found and found.keys() & {"input_fn", "predict_fn", "output_fn"}:
            raise ValueError(
                f"{module.__name__}: cannot use transform_fn implementation with input_fn, predict_fn, and/or "
                "output_fn (define transform_fn alone, or the other three)"
            )
        return cls(
            framework=framework,
            model_fn=found.get("model_fn", _no_model_fn),
            transform_fn=found.get("transform_fn"),
            input_fn=found.get("input_fn", defaults["input_fn"]),
            predict_fn=found.get("predict_fn", defaults["predict_fn"]),
            output_fn=found.get("output_fn", encode),
            user_functions=frozenset(found),
        )

    def _call(self, name: str, function: Callable[..., Any], *args: Any) -> Any:
        try:
            return function(*args)
        except UnsupportedFormatError as exc:
            if name in self.user_functions:
                raise HandlerError(name, 500, exc) from exc
            raise HandlerError(f"the default {name}", 415 if name == "input_fn" else 406, exc) from exc
        except Exception as exc:
            where = name if name in self.user_functions else f"the default {name}"
            raise HandlerError(where, 500, exc) from exc

    def load(self, model_dir: str) -> None:
        self.model = self._call("model_fn", self.model_fn, model_dir)

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        """The response body and its content type for one /invocations request."""
        content: str | bytes = body.decode("utf-8") if content_type in UTF8_TYPES else body
        if self.transform_fn is not None:
            result = self._call("transform_fn", self.transform_fn, self.model, content, content_type, accept)
        else:
            data = self._call("input_fn", self.input_fn, content, content_type)
            prediction = self._call("predict_fn", self.predict_fn, data, self.model)
            result = self._call("output_fn", self.output_fn, prediction, accept)
        answer, answer_type = result if isinstance(result, tuple) else (result, accept)
        if isinstance(answer, str):
            answer = answer.encode("utf-8")
        if not isinstance(answer, bytes | bytearray):
            handler = "transform_fn" if self.transform_fn is not None else "output_fn"
            raise HandlerError(
                handler,
                500,
                TypeError(
                    f"{handler} returned {type(answer).__name__}; return the response body as bytes or str, or a "
                    "(body, content_type) tuple"
                ),
            )
        return bytes(answer), str(answer_type)
