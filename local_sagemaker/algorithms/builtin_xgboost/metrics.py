"""The evaluation metrics the container offers: xgboost's own and those it computes itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from local_sagemaker.algorithms.builtin_xgboost.names import TRAIN, VALIDATION
from local_sagemaker.job_errors import AlgorithmError

if TYPE_CHECKING:
    import xgboost

# Computed by xgboost itself.
_XGBOOST_METRICS = (
    "rmse",
    "rmsle",
    "mae",
    "mape",
    "mphe",
    "logloss",
    "error",
    "merror",
    "mlogloss",
    "auc",
    "aucpr",
    "ndcg",
    "map",
    "poisson-nloglik",
    "gamma-nloglik",
    "gamma-deviance",
    "tweedie-nloglik",
    "cox-nloglik",
)
# Computed by SageMaker's container from the predictions (its metrics/custom_metrics.py).
CONTAINER_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "f1",
    "f1_binary",
    "f1_macro",
    "mse",
    "precision",
    "precision_macro",
    "precision_micro",
    "r2",
    "recall",
    "recall_macro",
    "recall_micro",
)
SUPPORTED_METRICS: tuple[str, ...] = _XGBOOST_METRICS + CONTAINER_METRICS
MAXIMIZED_METRICS = frozenset(
    {"auc", "aucpr", "ndcg", "map", "accuracy", "balanced_accuracy", "r2"}
    | {"f1", "f1_binary", "f1_macro", "precision", "precision_macro", "precision_micro"}
    | {"recall", "recall_macro", "recall_micro"}
)
NUMBER_PATTERN = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"


def metric_definitions() -> list[dict[str, str]]:
    """The built-in algorithm's metric names as SageMaker lists them for tuning: "train:rmse", "validation:rmse", ... one per channel (train, validation) per supported metric, each {"Name": ..., "Regex": ...}."""
    # The container's own regexes end in (\S+), which would swallow the following "#011..." items.
    return [
        {
            "Name": f"{channel}:{metric}",
            "Regex": f".*\\[[0-9]+\\].*#011{channel}-{metric}:({NUMBER_PATTERN})",
        }
        for channel in (TRAIN, VALIDATION)
        for metric in SUPPORTED_METRICS
    ]


def _predicted_classes(predictions: np.ndarray, objective: str) -> np.ndarray:
    if predictions.ndim == 2:
        return np.asarray(predictions.argmax(axis=1), dtype=np.float64)
    if objective == "multi:softmax":
        return np.asarray(predictions, dtype=np.float64)  # already class ids
    threshold = 0.0 if objective == "binary:logitraw" else 0.5
    return np.asarray(predictions > threshold, dtype=np.float64)


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0  # sklearn's zero_division=0


def _class_scores(labels: np.ndarray, predicted: np.ndarray, kind: str) -> list[float]:
    scores = []
    for cls in np.union1d(labels, predicted):  # sklearn's label set: every class seen on either side
        hits = float(np.sum((predicted == cls) & (labels == cls)))
        precision = _ratio(hits, float(np.sum(predicted == cls)))
        recall = _ratio(hits, float(np.sum(labels == cls)))
        f1 = _ratio(2 * precision * recall, precision + recall)
        scores.append({"precision": precision, "recall": recall, "f1": f1}[kind])
    return scores


def _binary_score(name: str, labels: np.ndarray, predicted: np.ndarray, kind: str) -> float:
    if np.setdiff1d(labels, [0.0, 1.0]).size:
        raise AlgorithmError(
            f"eval_metric {name} needs labels 0 and 1 (binary classification); for more classes use "
            f"{name.split('_')[0]}_macro"
        )
    hits = float(np.sum((predicted == 1) & (labels == 1)))
    precision = _ratio(hits, float(np.sum(predicted == 1)))
    recall = _ratio(hits, float(np.sum(labels == 1)))
    if kind == "precision":
        return precision
    if kind == "recall":
        return recall
    return _ratio(2 * precision * recall, precision + recall)


def _regression_values(name: str, predictions: np.ndarray) -> np.ndarray:
    if predictions.ndim != 1:
        raise AlgorithmError(
            f"eval_metric {name} needs one prediction per row; this objective gives one per class"
        )
    return predictions.astype(np.float64)


def _container_metric(name: str, labels: np.ndarray, predictions: np.ndarray, objective: str) -> float:
    if name in ("mse", "r2"):
        values = _regression_values(name, predictions)
        residual = float(np.sum((labels - values) ** 2))
        if name == "mse":
            return residual / labels.size
        total = float(np.sum((labels - labels.mean()) ** 2))
        return 1.0 - residual / total if total else (1.0 if residual == 0 else 0.0)
    predicted = _predicted_classes(predictions, objective)
    if name in ("accuracy", "precision_micro", "recall_micro"):
        return float(np.mean(predicted == labels))  # micro averages equal accuracy for single-label data
    if name == "balanced_accuracy":
        return float(np.mean([np.mean(predicted[labels == cls] == cls) for cls in np.unique(labels)]))
    if name in ("precision", "recall", "f1_binary"):
        return _binary_score(name, labels, predicted, name.replace("_binary", ""))
    kind = name.replace("_macro", "")  # f1 itself is the macro average in the container
    return float(np.mean(_class_scores(labels, predicted, kind)))


def container_metrics(names: Sequence[str], objective: str) -> Callable[..., list[tuple[str, float]]] | None:
    if not names:
        return None

    def evaluate(predictions: np.ndarray, data: xgboost.DMatrix) -> list[tuple[str, float]]:
        labels = data.get_label().astype(np.float64)
        if labels.size == 0:
            return [(name, 0.0) for name in names]
        return [(name, _container_metric(name, labels, predictions, objective)) for name in names]

    return evaluate
