"""The XGBoost container's selectable inference output: SAGEMAKER_INFERENCE_OUTPUT keys per record, in the Accept type.

Follows sagemaker-xgboost-container's algorithm_mode/serve_utils.py (get_selected_predictions and
encode_selected_predictions): which keys an objective offers, what each is worth per record, and the shapes
`text/csv` (one line per record, lists quoted), `application/json` ({"predictions": [...]}),
`application/jsonlines` (one object per line) and `application/x-recordio-protobuf` (one Record per
prediction, each key a float32 `label` tensor). A key the objective does not offer is answered NaN.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from local_sagemaker.algorithms.builtin_xgboost.recordio_protobuf import encode_labels
from local_sagemaker.s3io import DataError

ENVIRONMENT_VARIABLE = "SAGEMAKER_INFERENCE_OUTPUT"
PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES = (
    "predicted_label",
    "labels",
    "probability",
    "probabilities",
)
RAW_SCORE, RAW_SCORES, PREDICTED_SCORE = "raw_score", "raw_scores", "predicted_score"
_CLASSIFICATION_KEYS = (PREDICTED_LABEL, LABELS, RAW_SCORE, RAW_SCORES)
_PROBABILITY_KEYS = (PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES)
# The keys each objective offers (serve_utils.VALID_OBJECTIVES); other objectives have no selectable output.
KEYS_BY_OBJECTIVE: Mapping[str, tuple[str, ...]] = {
    "reg:squarederror": (PREDICTED_SCORE,),
    "reg:logistic": (PREDICTED_SCORE,),
    "reg:gamma": (PREDICTED_SCORE,),
    "reg:absoluteerror": (PREDICTED_SCORE,),
    "reg:tweedie": (PREDICTED_SCORE,),
    "binary:logistic": _PROBABILITY_KEYS,
    "binary:logitraw": _CLASSIFICATION_KEYS,
    "binary:hinge": _CLASSIFICATION_KEYS,
    "multi:softmax": _CLASSIFICATION_KEYS,
    "multi:softprob": _PROBABILITY_KEYS,
}
# The order the container fills a prediction's keys in.
_KEY_ORDER = (PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES, PREDICTED_SCORE)

Value = Any  # an int, a float (NaN included) or a list of them, as the container's json.dumps sees it


def _predicted_label(objective: str, raw: Any) -> Value:
    if objective in ("binary:hinge", "multi:softmax"):
        return raw.item()
    if objective == "binary:logistic":
        return int(raw > 0.5)
    if objective == "binary:logitraw":
        return int(raw > 0)
    if objective == "multi:softprob":
        return np.argmax(raw).item()
    return math.nan


def _probability(objective: str, raw: Any) -> Value:
    if objective == "multi:softprob":
        return max(raw).item()
    return raw.item() if objective == "binary:logistic" else math.nan


def _probabilities(objective: str, raw: Any) -> Value:
    if objective == "multi:softprob":
        return raw.tolist()
    if objective == "binary:logistic":
        return [1.0 - raw.item(), raw.item()]
    return math.nan


def _raw_score(objective: str, raw: Any) -> Value:
    if objective == "multi:softprob":
        return max(raw).item()
    return (
        raw.item()
        if objective in ("binary:logitraw", "binary:hinge", "binary:logistic", "multi:softmax")
        else math.nan
    )


def _raw_scores(objective: str, raw: Any) -> Value:
    if objective == "multi:softprob":
        return raw.tolist()
    if objective in ("binary:logitraw", "binary:hinge", "binary:logistic", "multi:softmax"):
        return [1.0 - raw.item(), raw.item()]
    return math.nan


_PER_RECORD: Mapping[str, Callable[[str, Any], Value]] = {
    PREDICTED_LABEL: _predicted_label,
    PROBABILITY: _probability,
    PROBABILITIES: _probabilities,
    RAW_SCORE: _raw_score,
    RAW_SCORES: _raw_scores,
    PREDICTED_SCORE: lambda _objective, raw: raw.item(),
}


def _csv_cell(value: Value) -> str:
    return f'"{value}"' if isinstance(value, list) else str(value)


@dataclass(frozen=True)
class SelectableOutput:
    """The keys SAGEMAKER_INFERENCE_OUTPUT chose, for one model's objective."""

    selected: tuple[str, ...]  # as the variable lists them: the CSV column order
    objective: str
    labels: Value  # the class labels, for the `labels` key

    @classmethod
    def of(cls, environment: Mapping[str, str], booster: Any) -> SelectableOutput | None:
        """None unless the variable is set (then the container answers in the selected keys)."""
        if ENVIRONMENT_VARIABLE not in environment:
            return None
        learner = json.loads(booster.save_config())["learner"]
        objective = learner["objective"]["name"]
        num_class = learner["learner_model_param"].get("num_class", "")
        if "binary:" in objective:
            labels: Value = [0, 1]
        elif "multi:" in objective and num_class:
            labels = list(range(int(num_class)))
        else:
            labels = math.nan
        selected = tuple(environment[ENVIRONMENT_VARIABLE].replace(" ", "").lower().split(","))
        return cls(selected=selected, objective=objective, labels=labels)

    def predictions(self, raw_predictions: np.ndarray, where: str) -> list[dict[str, Value]]:
        offered = KEYS_BY_OBJECTIVE.get(self.objective)
        if offered is None:
            raise DataError(
                f"{where}: the XGBoost container answered 500: Objective `{self.objective}` unsupported for "
                f"selectable inference predictions ({ENVIRONMENT_VARIABLE}); it serves "
                f"{', '.join(KEYS_BY_OBJECTIVE)}"
            )
        valid = [key for key in _KEY_ORDER if key in self.selected and key in offered]
        invalid = [key for key in dict.fromkeys(self.selected) if key not in offered]
        answers = []
        for raw in raw_predictions:
            answer: dict[str, Value] = {}
            for key in valid:
                answer[key] = self.labels if key == LABELS else _PER_RECORD[key](self.objective, raw)
            answer.update(dict.fromkeys(invalid, math.nan))
            answers.append(answer)
        return answers

    def encode(self, raw_predictions: np.ndarray, accept: str, where: str) -> bytes:
        answers = self.predictions(raw_predictions, where)
        if accept == "application/json":
            return json.dumps({"predictions": answers}).encode()
        if accept == "application/jsonlines":
            return "".join(json.dumps(answer) + "\n" for answer in answers).encode()
        if accept == "application/x-recordio-protobuf":
            return encode_labels(answers)
        # text/csv; batch transform (SAGEMAKER_BATCH) ends the answer with a newline.
        lines = (",".join(_csv_cell(answer[key]) for key in self.selected) for answer in answers)
        return ("\n".join(lines) + "\n").encode()
