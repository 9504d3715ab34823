"""SageMaker's built-in XGBoost algorithm (the sagemaker-xgboost 1.x contract), run on local files with xgboost."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import sys
import tarfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import xgboost

MODEL_FILE_NAME = "xgboost-model"
TRAIN, VALIDATION, MODEL = "train", "validation", "model"
DOCS = "https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html"

_CSV, _LIBSVM = "csv", "libsvm"
_CONTENT_TYPES = {
    "text/csv": _CSV,
    "csv": _CSV,
    "text/libsvm": _LIBSVM,
    "text/x-libsvm": _LIBSVM,
    "libsvm": _LIBSVM,
}
# pandas' default missing-value tokens; the slow CSV pass must agree with the fast one.
_MISSING_TOKENS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>"}
    | {"N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)
_PREDICT_CHUNK_ROWS = 250_000


class AlgorithmError(Exception):
    """A user error in the job's configuration or data: the message becomes the job's FailureReason."""


@dataclass(frozen=True)
class TrainingResult:
    final_metrics: dict[str, float]  # e.g. {"train:rmse": 0.41, "validation:rmse": 0.44}
    num_boosted_rounds: int  # rounds in the saved model, a prior model's included


# --- metrics -------------------------------------------------------------------------------------------

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
_CONTAINER_METRICS = (
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
SUPPORTED_METRICS: tuple[str, ...] = _XGBOOST_METRICS + _CONTAINER_METRICS
_MAXIMIZED_METRICS = frozenset(
    {"auc", "aucpr", "ndcg", "map", "accuracy", "balanced_accuracy", "r2"}
    | {"f1", "f1_binary", "f1_macro", "precision", "precision_macro", "precision_micro"}
    | {"recall", "recall_macro", "recall_micro"}
)
_NUMBER_PATTERN = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"


def metric_definitions() -> list[dict[str, str]]:
    """The built-in algorithm's metric names as SageMaker lists them for tuning: "train:rmse", "validation:rmse", ... one per channel (train, validation) per supported metric, each {"Name": ..., "Regex": ...}."""
    # The container's own regexes end in (\S+), which would swallow the following "#011..." items.
    return [
        {
            "Name": f"{channel}:{metric}",
            "Regex": f".*\\[[0-9]+\\].*#011{channel}-{metric}:({_NUMBER_PATTERN})",
        }
        for channel in (TRAIN, VALIDATION)
        for metric in SUPPORTED_METRICS
    ]


# --- hyperparameters -----------------------------------------------------------------------------------

_Parser = Callable[[str, str], Any]  # (name as given, raw string) -> typed value, or AlgorithmError


@dataclass(frozen=True)
class _Spec:
    """How the container reads one hyperparameter, and who consumes it."""

    parse: _Parser
    # "xgboost": handed to xgboost; "algorithm": read here; "ignored": accepted by SageMaker, no effect now.
    use: str = "xgboost"


def _rejected(name: str, raw: str, expected: str) -> AlgorithmError:
    return AlgorithmError(f"Hyperparameter {name}: expected {expected}, got {raw!r}")


def _bound(value: float) -> str:
    return ("-inf" if value < 0 else "inf") if math.isinf(value) else f"{value:g}"


def _number(
    *,
    integer: bool = False,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> _Parser:
    left = "(" if low_open or math.isinf(low) else "["
    right = ")" if high_open or math.isinf(high) else "]"
    expected = f"{'an integer' if integer else 'a number'} in {left}{_bound(low)}, {_bound(high)}{right}"
    # SageMaker parses with int()/float(): "5.0" is no integer; nan, inf and 1_000 are not numbers either.
    pattern = re.compile(r"[-+]?[0-9]+" if integer else _NUMBER_PATTERN)

    def parse(name: str, raw: str) -> int | float:
        text = raw.strip()
        if not pattern.fullmatch(text):
            raise _rejected(name, raw, expected)
        value: int | float = int(text) if integer else float(text)
        if value < low or value > high or (low_open and value == low) or (high_open and value == high):
            raise _rejected(name, raw, expected)
        return value

    return parse


def _choice(*choices: str, renamed: Mapping[str, str] | None = None) -> _Parser:
    expected = "one of " + ", ".join(choices)

    def parse(name: str, raw: str) -> str:
        if raw not in choices:
            raise _rejected(name, raw, expected)
        return (renamed or {}).get(raw, raw)

    return parse


def _metric(name: str, raw: str, metric: str) -> str:
    base, at, threshold = metric.partition("@")
    if at and base in ("error", "ndcg", "map"):
        # error@t takes a probability threshold, ndcg@n and map@n a cut-off rank.
        if re.fullmatch(_NUMBER_PATTERN if base == "error" else r"[0-9]+", threshold):
            return metric
    elif not at and metric in SUPPORTED_METRICS:
        return metric
    raise AlgorithmError(
        f"Hyperparameter {name}: {metric!r} is not a supported metric; expected a comma-separated list of "
        f"{', '.join(SUPPORTED_METRICS)} (also error@t, ndcg@n, map@n), got {raw!r}"
    )


def _metric_list(name: str, raw: str) -> list[str]:
    metrics: list[str] = []
    for item in raw.split(","):
        metric = _metric(name, raw, item.strip())
        if metric not in metrics:
            metrics.append(metric)
    return metrics


_TREE_UPDATERS = ("grow_colmaker", "grow_histmaker", "grow_quantile_histmaker", "sync", "refresh", "prune")
_LINEAR_UPDATERS = ("shotgun", "coord_descent")


def _updater_list(name: str, raw: str) -> str:
    allowed = _TREE_UPDATERS + _LINEAR_UPDATERS
    items = [item.strip() for item in raw.split(",")]
    if not all(item in allowed for item in items):
        raise _rejected(name, raw, "a comma-separated list of " + ", ".join(allowed))
    return ",".join(items)


def _monotone_constraints(name: str, raw: str) -> str:
    expected = "a tuple of -1, 0 and 1 such as (1,0,-1)"
    text = raw.strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise _rejected(name, raw, expected)
    items = [item.strip() for item in text[1:-1].split(",") if item.strip()]
    if not items or any(item not in ("-1", "0", "1", "+1") for item in items):
        raise _rejected(name, raw, expected)
    return "(" + ",".join(str(int(item)) for item in items) + ")"


def _interaction_constraints(name: str, raw: str) -> str:
    expected = "a nested list of feature indices such as [[0,1],[2,3,4]]"
    try:
        groups = json.loads(raw)
    except ValueError:
        raise _rejected(name, raw, expected) from None
    valid = isinstance(groups, list) and all(
        isinstance(group, list)
        and all(isinstance(index, int) and not isinstance(index, bool) and index >= 0 for index in group)
        for group in groups
    )
    if not valid:
        raise _rejected(name, raw, expected)
    return json.dumps(groups, separators=(",", ":"))


_OBJECTIVES = (
    "reg:squarederror",
    "reg:linear",
    "reg:squaredlogerror",
    "reg:logistic",
    "reg:pseudohubererror",
    "reg:absoluteerror",
    "reg:tweedie",
    "reg:gamma",
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "count:poisson",
    "multi:softmax",
    "multi:softprob",
    "rank:pairwise",
    "rank:ndcg",
    "rank:map",
    "survival:cox",
)
_MULTI_CLASS = ("multi:softmax", "multi:softprob")
_UNIT = _number(low=0.0, high=1.0)
_NON_NEGATIVE = _number(low=0.0)
_NON_NEGATIVE_INT = _number(integer=True, low=0)
_FRACTION = _number(low=0.0, high=1.0, low_open=True)
_FLAG = _number(integer=True, low=0, high=1)

# SageMaker's XGBoost hyperparameters (sagemaker-xgboost-container's hyperparameter_validation.py),
# keyed by the canonical name; _ALIASES maps the alternative spellings it declares.
_HYPERPARAMETERS: dict[str, _Spec] = {
    "num_round": _Spec(_number(integer=True, low=1), "algorithm"),
    "early_stopping_rounds": _Spec(_number(integer=True, low=1), "algorithm"),
    "csv_weights": _Spec(_FLAG, "algorithm"),
    "objective": _Spec(_choice(*_OBJECTIVES, renamed={"reg:linear": "reg:squarederror"})),
    "eval_metric": _Spec(_metric_list),
    "booster": _Spec(_choice("gbtree", "gblinear", "dart")),
    "eta": _Spec(_UNIT),
    "gamma": _Spec(_NON_NEGATIVE),
    "max_depth": _Spec(_NON_NEGATIVE_INT),
    "min_child_weight": _Spec(_NON_NEGATIVE),
    "max_delta_step": _Spec(_NON_NEGATIVE),
    "subsample": _Spec(_FRACTION),
    "colsample_bytree": _Spec(_FRACTION),
    "colsample_bylevel": _Spec(_FRACTION),
    "colsample_bynode": _Spec(_FRACTION),
    "lambda": _Spec(_NON_NEGATIVE),
    "alpha": _Spec(_NON_NEGATIVE),
    # No GPU here: gpu_hist is the same algorithm on the CPU (xgboost 3 dropped the name anyway).
    "tree_method": _Spec(
        _choice("auto", "exact", "approx", "hist", "gpu_hist", renamed={"gpu_hist": "hist"})
    ),
    "scale_pos_weight": _Spec(_number(low=0.0, low_open=True)),
    "updater": _Spec(_updater_list),
    "refresh_leaf": _Spec(_FLAG),
    "process_type": _Spec(_choice("default", "update")),
    "grow_policy": _Spec(_choice("depthwise", "lossguide")),
    "max_leaves": _Spec(_NON_NEGATIVE_INT),
    "max_bin": _Spec(_number(integer=True, low=2)),  # SageMaker allows 0 and 1, xgboost then fails
    "monotone_constraints": _Spec(_monotone_constraints),
    "interaction_constraints": _Spec(_interaction_constraints),
    "sample_type": _Spec(_choice("uniform", "weighted")),
    "normalize_type": _Spec(_choice("tree", "forest")),
    "rate_drop": _Spec(_UNIT),
    "one_drop": _Spec(_FLAG),
    "skip_drop": _Spec(_UNIT),
    "tweedie_variance_power": _Spec(_number(low=1.0, high=2.0, low_open=True, high_open=True)),
    "num_class": _Spec(_number(integer=True, low=2)),
    "base_score": _Spec(_NON_NEGATIVE),
    "seed": _Spec(_number(integer=True, low=-(2**31), high=2**31 - 1, low_open=True, high_open=True)),
    "num_parallel_tree": _Spec(_number(integer=True, low=1)),
    "sampling_method": _Spec(_choice("uniform", "gradient_based")),
    "verbosity": _Spec(_number(integer=True, low=0, high=3)),
    "nthread": _Spec(_number(integer=True, low=1)),
    # Accepted as SageMaker accepts them; xgboost 3 no longer has them or they need hardware absent here.
    "sketch_eps": _Spec(_number(low=0.0, high=1.0, low_open=True, high_open=True), "ignored"),
    "lambda_bias": _Spec(_UNIT, "ignored"),
    "dsplit": _Spec(_choice("row", "col"), "ignored"),
    "predictor": _Spec(_choice("auto", "cpu_predictor", "gpu_predictor"), "ignored"),
    "prob_buffer_row": _Spec(_number(integer=True, low=1, low_open=True), "ignored"),
    "deterministic_histogram": _Spec(_choice("true", "false"), "ignored"),
    "use_dask_gpu_training": _Spec(_choice("true", "false"), "ignored"),
    "aft_loss_distribution": _Spec(_choice("normal", "logistic", "extreme"), "ignored"),
    "aft_loss_distribution_scale": _Spec(_NON_NEGATIVE, "ignored"),
    "precision_dtype": _Spec(_choice("float32", "float64"), "ignored"),
    # The caller keeps a stopped job's model anyway.
    "save_model_on_termination": _Spec(_choice("true", "false"), "ignored"),
}
_ALIASES = {"learning_rate": "eta", "min_split_loss": "gamma", "reg_lambda": "lambda", "reg_alpha": "alpha"}


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parse_hyperparameters(raw: Mapping[str, str]) -> dict[str, Any]:
    """Turn SageMaker's string hyperparameters into typed xgboost params + num_round.

    The result holds xgboost's params under their canonical names (aliases resolved, defaults for
    objective, seed and nthread filled in, eval_metric as a list) plus the algorithm's own keys:
    num_round and, when given, early_stopping_rounds, csv_weights and _tuning_objective_metric.
    Raises AlgorithmError naming the parameter, the value and what is allowed.
    """
    params: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(value, str):
            raise AlgorithmError(f"Hyperparameter {name}: values must be strings, got {value!r}")
        if name == "_tuning_objective_metric":
            params[name] = _tuning_metric(value)
            continue
        if name.startswith(("sagemaker_", "_")):
            continue  # set by SageMaker and its SDKs for their own use
        canonical = _ALIASES.get(name, name)
        spec = _HYPERPARAMETERS.get(canonical)
        if spec is None:
            raise AlgorithmError(
                f"Hyperparameter {name!r} is not a valid XGBoost hyperparameter (value {value!r}); see {DOCS}"
            )
        if canonical in given_as:
            raise AlgorithmError(
                f"Hyperparameters {given_as[canonical]} and {name} are the same setting; give only one"
            )
        given_as[canonical] = name
        typed = spec.parse(name, value)
        if spec.use != "ignored":
            params[canonical] = typed

    if "num_round" not in params:
        raise AlgorithmError(
            "num_round is a required hyperparameter: the number of boosting rounds, e.g. '100'"
        )
    tuning_metric = params.get("_tuning_objective_metric")
    if tuning_metric is not None:
        # The container evaluates the tuning objective even when eval_metric leaves it out.
        metrics = params.setdefault("eval_metric", [])
        if tuning_metric not in metrics:
            metrics.append(tuning_metric)
    params.setdefault("objective", "reg:squarederror")
    params.setdefault("seed", 0)
    params.setdefault("nthread", _available_cpus())
    _check_combinations(params, raw)
    return params


def _tuning_metric(value: str) -> str:
    channel, _, metric = value.partition(":")
    if channel not in (TRAIN, VALIDATION) or not metric:
        raise AlgorithmError(
            f"Hyperparameter _tuning_objective_metric: expected <train|validation>:<metric>, got {value!r}"
        )
    return _metric("_tuning_objective_metric", value, metric)


def _check_combinations(params: Mapping[str, Any], raw: Mapping[str, str]) -> None:
    """The container's cross-parameter rules, plus those xgboost would otherwise fail on obscurely."""
    objective = params["objective"]
    if objective in _MULTI_CLASS and "num_class" not in params:
        raise AlgorithmError(f"Hyperparameter num_class is required for objective {objective}")
    if "num_class" in params and objective not in _MULTI_CLASS:
        raise AlgorithmError(
            f"Hyperparameter num_class ({raw.get('num_class')!r}) only applies to objectives "
            f"{' and '.join(_MULTI_CLASS)}, not {objective}"
        )
    if "auc" in params.get("eval_metric", []) and not objective.startswith(("binary:", "rank:")):
        raise AlgorithmError(
            f"Hyperparameter eval_metric: metric 'auc' can only be applied for classification and ranking "
            f"problems (binary:* and rank:* objectives), got objective {objective}"
        )
    tree_method = params.get("tree_method")
    if "monotone_constraints" in params and tree_method not in ("exact", "hist"):
        raise AlgorithmError(
            "Hyperparameter monotone_constraints can be used only when tree_method is 'exact' or 'hist', "
            f"got tree_method {tree_method!r}"
        )
    if "interaction_constraints" in params and tree_method not in ("exact", "hist", "approx"):
        raise AlgorithmError(
            "Hyperparameter interaction_constraints can be used only when tree_method is 'exact', 'hist' "
            f"or 'approx', got tree_method {tree_method!r}"
        )
    updaters = params.get("updater", "").split(",") if "updater" in params else []
    if updaters and params.get("booster") == "gblinear":
        if len(updaters) != 1 or updaters[0] not in _LINEAR_UPDATERS:
            raise AlgorithmError(
                f"Hyperparameter updater: booster gblinear takes one of {', '.join(_LINEAR_UPDATERS)}, "
                f"got {raw.get('updater')!r}"
            )
    elif updaters and params.get("process_type") == "update":
        if not all(updater in ("refresh", "prune") for updater in updaters):
            raise AlgorithmError(
                "Hyperparameter updater: process_type 'update' can only be used with updaters refresh and "
                f"prune, got {raw.get('updater')!r}"
            )
    elif any(updater in _LINEAR_UPDATERS for updater in updaters):
        raise AlgorithmError(
            f"Hyperparameter updater: {', '.join(_LINEAR_UPDATERS)} need booster gblinear, "
            f"got {raw.get('updater')!r}"
        )


# --- channel data --------------------------------------------------------------------------------------


def _content_format(content_type: str, where: str) -> str:
    media, *options = (part.strip().lower() for part in content_type.split(";"))
    form = _CONTENT_TYPES.get(media)
    if form is None:
        raise AlgorithmError(
            f"{where}: content type {content_type!r} is not supported; the local XGBoost algorithm reads "
            "text/csv (no header, label in the first column) and text/libsvm"
        )
    for option in options:
        key, _, value = option.partition("=")
        if form == _CSV and key.strip() == "label_size" and value.strip() != "1":
            raise AlgorithmError(f"{where}: content type {content_type!r}: label_size must be 1 for XGBoost")
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


def _delimiter(path: Path) -> str:
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


def _read_csv_slowly(path: Path, delimiter: str, where: str, hint: str) -> np.ndarray:
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
    delimiter = _delimiter(path)
    try:
        frame = pd.read_csv(path, header=None, sep=delimiter, dtype=np.float64, engine="c")
    except pd.errors.EmptyDataError:
        return np.empty((0, 0))
    except ValueError:  # a non-numeric cell, a ragged row or bad bytes; pandas does not say where
        return _read_csv_slowly(path, delimiter, where, hint)
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
        raise AlgorithmError(f"{where}: {_xgboost_reason(error)}") from None


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


def _xgboost_reason(error: Exception) -> str:
    """xgboost's message without its timestamp, source location and native stack trace."""
    text = str(error).split("Stack trace:")[0]
    text = re.sub(r"\[\d\d:\d\d:\d\d\]\s*", "", text)
    text = re.sub(r"\S+\.(?:cc|cu|h):\d+:\s*", "", text)
    return " ".join(text.split())


def _libsvm_dmatrix(where: str, files: Sequence[Path], features: int | None = None) -> xgboost.DMatrix:
    # scikit-learn's reader: xgboost 3.1 deprecated loading text files through DMatrix URIs.
    import scipy.sparse
    import xgboost
    from sklearn.datasets import load_svmlight_files

    files = [path for path in files if path.stat().st_size]
    if not files:
        raise AlgorithmError(f"{where} has no data")
    try:
        # Indices are column numbers as written, as xgboost's own libsvm parser takes them.
        loaded = load_svmlight_files(
            [str(path) for path in files], zero_based=True, dtype=np.float32, n_features=features
        )
    except ValueError as error:
        names = ", ".join(path.name for path in files)
        raise AlgorithmError(f"{where}: {names} could not be read as libsvm ({error})") from None
    matrix = scipy.sparse.vstack(loaded[0::2], format="csr")
    return xgboost.DMatrix(matrix, label=np.concatenate(loaded[1::2]))


def _load_channel(
    channel: str, directory: Path, content_type: str, csv_weights: int, nthread: int
) -> tuple[xgboost.DMatrix, str]:
    form = _content_format(content_type, f"channel {channel!r}")
    files = _data_files(directory, channel)
    if not files:
        raise AlgorithmError(f"channel {channel!r} has no data files in {directory}")
    if form == _LIBSVM:
        data = _libsvm_dmatrix(f"channel {channel!r}", files)
        if data.num_row() == 0:
            raise AlgorithmError(f"channel {channel!r} has no data rows")
        return data, form
    return _csv_dmatrix(channel, files, csv_weights, nthread), form


# --- models --------------------------------------------------------------------------------------------


def _booster_from_bytes(payload: bytes, where: str) -> xgboost.Booster:
    import xgboost

    if payload[:1] == b"\x80":
        raise AlgorithmError(
            f"{where} is a pickled Python object (older SageMaker XGBoost containers pickled their models); "
            "it is not unpickled here: re-save it with Booster.save_model"
        )
    booster = xgboost.Booster()
    try:
        booster.load_model(bytearray(payload))
    except xgboost.core.XGBoostError as error:
        raise AlgorithmError(
            f"{where} could not be read as an XGBoost model ({_xgboost_reason(error) or 'unreadable'})"
        ) from None
    return booster


def _model_in_archive(archive: Path, what: str) -> tuple[str, bytes]:
    try:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and not Path(m.name).name.startswith(".")]
            chosen = next((m for m in members if Path(m.name).name == MODEL_FILE_NAME), None)
            if chosen is None and len(members) == 1:
                chosen = members[0]
            if chosen is None:
                listed = ", ".join(m.name for m in members) or "no files"
                raise AlgorithmError(f"{what}: {archive.name} holds no {MODEL_FILE_NAME} ({listed})")
            stream = tar.extractfile(chosen)
            if stream is None:
                raise AlgorithmError(f"{what}: {chosen.name} in {archive.name} cannot be read")
            return f"{archive.name}:{chosen.name}", stream.read()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise AlgorithmError(f"{what}: {archive.name} is not a readable tar.gz archive ({error})") from None


def _read_model(directory: Path, what: str) -> xgboost.Booster:
    """A booster from a directory holding xgboost-model, a model.tar.gz, or one model file of any name."""
    if not directory.is_dir():
        raise AlgorithmError(f"{what}: {directory} is not a directory")
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    named = [p for p in files if p.name == MODEL_FILE_NAME]
    archives = sorted(
        (p for p in files if p.name.endswith(".tar.gz")), key=lambda p: p.name != "model.tar.gz"
    )
    if named:
        source, payload = named[0].name, named[0].read_bytes()
    elif archives:
        source, payload = _model_in_archive(archives[0], what)
    elif len(files) == 1:
        source, payload = files[0].name, files[0].read_bytes()
    else:
        listed = ", ".join(p.name for p in files) or "nothing"
        raise AlgorithmError(f"{what}: expected a model.tar.gz or an {MODEL_FILE_NAME} file, found {listed}")
    return _booster_from_bytes(payload, f"{what}: {source}")


def load_model_from_dir(model_dir: Path) -> xgboost.Booster:
    """The booster in `model_dir`: an `xgboost-model` file, a `model.tar.gz` holding one, or a single model file."""
    return _read_model(model_dir, "model")


def _save_model(booster: xgboost.Booster, model_dir: Path) -> None:
    # Raw UBJSON bytes: save_model() on a name without extension picks the same format but warns.
    model_dir.mkdir(parents=True, exist_ok=True)
    partial = model_dir / f".{MODEL_FILE_NAME}.partial"
    partial.write_bytes(bytes(booster.save_raw("ubj")))
    os.replace(partial, model_dir / MODEL_FILE_NAME)


# --- container metrics ---------------------------------------------------------------------------------


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


def _container_metrics(names: Sequence[str], objective: str) -> Callable[..., list[tuple[str, float]]] | None:
    if not names:
        return None

    def evaluate(predictions: np.ndarray, data: xgboost.DMatrix) -> list[tuple[str, float]]:
        labels = data.get_label().astype(np.float64)
        if labels.size == 0:
            return [(name, 0.0) for name in names]
        return [(name, _container_metric(name, labels, predictions, objective)) for name in names]

    return evaluate


# --- training ------------------------------------------------------------------------------------------


class _LineWriter(io.TextIOBase):
    """A text stream that hands each complete line to `log`."""

    def __init__(self, log: Callable[[str], None]) -> None:
        super().__init__()
        self._log = log
        self._pending = ""
        self._passthrough = sys.stdout
        self._busy = False

    def write(self, text: str) -> int:
        if self._busy:  # `log` itself prints: let that through rather than loop
            return self._passthrough.write(text)
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        self._emit(lines)
        return len(text)

    def flush(self) -> None:
        if not self._busy:
            pending, self._pending = self._pending, ""
            self._emit([pending])

    def _emit(self, lines: list[str]) -> None:
        self._busy = True
        try:
            for line in lines:
                if line.strip():
                    self._log(line.rstrip())
        finally:
            self._busy = False


@contextlib.contextmanager
def _xgboost_messages_to(log: Callable[[str], None]) -> Iterator[None]:
    """xgboost print()s its native log lines and warns through Python: both belong in the job's log."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: IO[str] | None = None,
        line: str | None = None,
    ) -> None:
        text = _xgboost_reason(Exception(str(message)))
        log(text if text.startswith("WARNING") else f"WARNING: {text}")

    writer = _LineWriter(log)
    with warnings.catch_warnings(), contextlib.redirect_stdout(writer):
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = show
        try:
            yield
        finally:
            writer.flush()


def _stamp() -> str:
    return time.strftime("%Y-%m-%d:%H:%M:%S", time.gmtime())


def _check_channels(channels: Mapping[str, Path]) -> None:
    if TRAIN not in channels:
        given = ", ".join(repr(name) for name in channels) or "none"
        raise AlgorithmError(f"channel 'train' is required by the XGBoost algorithm; the job has {given}")
    extraneous = sorted(set(channels) - {TRAIN, VALIDATION, MODEL, "code"})
    if extraneous:
        raise AlgorithmError(
            f"Extraneous channel found: {', '.join(repr(name) for name in extraneous)}; "
            "the XGBoost algorithm reads 'train', 'validation' and 'model'"
        )


def _round_callbacks(
    log: Callable[[str], None],
    should_stop: Callable[[], bool],
    early_stopping_rounds: int | None,
    early_stopping_metric: str | None,
    keep_best: bool,
) -> list[xgboost.callback.TrainingCallback]:
    import xgboost

    class RoundLog(xgboost.callback.TrainingCallback):
        """Each round's evaluation as the container prints it (CloudWatch shows its tabs as #011)."""

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            items = "".join(
                f"#011{data}-{metric}:{scores[-1]:.5f}"
                for data, metrics in evals_log.items()
                for metric, scores in metrics.items()
            )
            log(f"[{epoch}]{items}")
            return False

    class StopRequest(xgboost.callback.TrainingCallback):
        """Ends training between rounds once the job is asked to stop."""

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if should_stop():
                log(f"[{_stamp()}:INFO] Stop requested: training ends after round {epoch}")
                return True
            return False

    # xgboost asks the callbacks in order and stops asking at the first True: the log must come first.
    callbacks: list[xgboost.callback.TrainingCallback] = [RoundLog()]
    if early_stopping_rounds:
        maximize = (  # None lets xgboost judge its default metric itself
            None
            if early_stopping_metric is None
            else early_stopping_metric.partition("@")[0] in _MAXIMIZED_METRICS
        )
        callbacks.append(
            xgboost.callback.EarlyStopping(
                rounds=early_stopping_rounds,
                metric_name=early_stopping_metric,
                data_name=VALIDATION,
                maximize=maximize,
                save_best=keep_best,
            )
        )
    callbacks.append(StopRequest())
    return callbacks


def train(
    channels: Mapping[str, Path],
    hyperparameters: Mapping[str, str],
    model_dir: Path,
    log: Callable[[str], None],
    content_types: Mapping[str, str] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> TrainingResult:
    """Train as SageMaker's XGBoost container does and write the booster to `model_dir/xgboost-model`.

    Channels are directories: `train` (required), `validation`, and `model` (a prior model to keep
    boosting). A stop request ends training between rounds; the model so far is still saved.
    """
    params = parse_hyperparameters(hyperparameters)
    num_round: int = params.pop("num_round")
    early_stopping_rounds: int | None = params.pop("early_stopping_rounds", None)
    csv_weights: int = params.pop("csv_weights", 0)
    tuning_metric: str | None = params.pop("_tuning_objective_metric", None)
    metrics: list[str] = params.pop("eval_metric", [])
    xgboost_metrics = [metric for metric in metrics if metric not in _CONTAINER_METRICS]
    if xgboost_metrics:
        params["eval_metric"] = xgboost_metrics
    _check_channels(channels)
    if early_stopping_rounds and VALIDATION not in channels:
        raise AlgorithmError(
            "Hyperparameter early_stopping_rounds needs a 'validation' channel to watch; the job has none"
        )

    import xgboost

    with _xgboost_messages_to(log):
        types = content_types or {}
        nthread = int(params["nthread"])
        train_type = types.get(TRAIN, "text/csv")  # validation follows train's, as in the container
        dtrain, form = _load_channel(TRAIN, channels[TRAIN], train_type, csv_weights, nthread)
        evals = [(dtrain, TRAIN)]
        _log_matrix(log, TRAIN, dtrain)
        if VALIDATION in channels:
            dvalid, valid_form = _load_channel(
                VALIDATION, channels[VALIDATION], types.get(VALIDATION, train_type), csv_weights, nthread
            )
            _log_matrix(log, VALIDATION, dvalid)
            if form == valid_form == _CSV and dvalid.num_col() != dtrain.num_col():
                raise AlgorithmError(
                    f"channel 'validation' has {dvalid.num_col()} feature columns but channel 'train' has "
                    f"{dtrain.num_col()}; both need the label and the same features"
                )
            evals.append((dvalid, VALIDATION))
        prior = _read_model(channels[MODEL], "model channel") if MODEL in channels else None
        prior_rounds = 0
        if prior is not None:
            prior_rounds = prior.num_boosted_rounds()
            expected = prior.num_features()
            # libsvm rows are sparse: a file may simply not mention the last features.
            mismatch = dtrain.num_col() != expected if form == _CSV else dtrain.num_col() > expected
            if mismatch:
                raise AlgorithmError(
                    f"model channel: the prior model expects {expected} features, "
                    f"the train channel has {dtrain.num_col()}"
                )
            log(f"[{_stamp()}:INFO] Continuing training from a prior model with {prior_rounds} round(s)")
        if hyperparameters.get("tree_method") == "gpu_hist":
            log(f"[{_stamp()}:INFO] No GPU locally: tree_method gpu_hist runs as hist on the CPU")
        log(f"[{_stamp()}:INFO] Single node training.")

        early_stopping_metric = tuning_metric or (metrics[-1] if metrics else None)
        keep_best = params.get("booster") != "gblinear"  # linear models cannot be cut back to a round
        history: dict[str, Any] = {}
        try:
            booster = xgboost.train(
                params,
                dtrain,
                num_boost_round=num_round,
                evals=evals,
                custom_metric=_container_metrics(
                    [m for m in metrics if m in _CONTAINER_METRICS], params["objective"]
                ),
                xgb_model=prior,
                callbacks=_round_callbacks(
                    log, should_stop, early_stopping_rounds, early_stopping_metric, keep_best
                ),
                evals_result=history,
                verbose_eval=False,
            )
        except xgboost.core.XGBoostError as error:
            raise AlgorithmError(f"XGBoost could not train: {_xgboost_reason(error)}") from None

    best_round = -1  # the last round, unless early stopping kept an earlier one
    if early_stopping_rounds and keep_best and booster.attr("best_iteration") is not None:
        best_round = int(booster.attr("best_iteration") or 0) - prior_rounds
        log(
            f"[{_stamp()}:INFO] Early stopping: the model keeps rounds up to [{best_round}], the best on validation"
        )
    final_metrics = {
        f"{data}:{metric}": float(scores[best_round])
        for data, by_metric in history.items()
        for metric, scores in by_metric.items()
        if scores
    }
    _save_model(booster, model_dir)
    return TrainingResult(final_metrics=final_metrics, num_boosted_rounds=booster.num_boosted_rounds())


def _log_matrix(log: Callable[[str], None], channel: str, data: xgboost.DMatrix) -> None:
    rows, columns = data.num_row(), data.num_col()
    log(
        f"[{time.strftime('%H:%M:%S', time.gmtime())}] {rows}x{columns} matrix with {rows * columns} entries "
        f"loaded from /opt/ml/input/data/{channel}"
    )


# --- batch transform -----------------------------------------------------------------------------------


def _prediction_lines(predictions: np.ndarray) -> str:
    # 9 significant digits give back exactly the float32 xgboost predicted.
    if predictions.ndim == 1:
        # One %-format over the whole chunk: ~40 % faster than formatting value by value, same text.
        return ("%.9g\n" * len(predictions)) % tuple(predictions.tolist())
    else:
        lines = ["[" + ", ".join(format(value, ".9g") for value in row) + "]" for row in predictions.tolist()]
    return "\n".join(lines) + "\n" if lines else ""


def _check_feature_count(columns: int, expected: int, input_file: Path) -> None:
    if columns == expected + 1:
        raise AlgorithmError(
            f"transform input {input_file.name} has {columns} columns but the model takes {expected} features: "
            "batch transform input must hold the feature columns only, without the label column training had"
        )
    if columns != expected:
        raise AlgorithmError(
            f"transform input {input_file.name} has {columns} columns but the model takes {expected} features"
        )


_TRANSFORM_CSV_HINT = "transform input must be numeric feature columns, with no header row"


def _predict_csv(booster: xgboost.Booster, input_file: Path, out: IO[str]) -> int:
    import pandas as pd
    import xgboost

    expected = booster.num_features()
    delimiter = _delimiter(input_file)
    rows = 0
    try:
        with pd.read_csv(
            input_file,
            header=None,
            sep=delimiter,
            dtype=np.float32,
            engine="c",
            chunksize=_PREDICT_CHUNK_ROWS,
        ) as chunks:
            for chunk in chunks:
                features = chunk.to_numpy(dtype=np.float32)
                _check_feature_count(features.shape[1], expected, input_file)
                # inplace_predict skips building a DMatrix copy of the chunk; predictions are the same.
                out.write(_prediction_lines(booster.inplace_predict(features, missing=math.nan)))
                rows += features.shape[0]
    except pd.errors.EmptyDataError:
        return 0
    except ValueError:  # pandas does not say where: find the line, or read the file the slow way
        matrix = _read_csv_slowly(
            input_file, delimiter, f"transform input {input_file.name}", _TRANSFORM_CSV_HINT
        )
        _check_feature_count(matrix.shape[1], expected, input_file)
        out.seek(0)
        out.truncate()
        out.write(
            _prediction_lines(booster.predict(xgboost.DMatrix(matrix.astype(np.float32), missing=math.nan)))
        )
        return int(matrix.shape[0])
    return rows


def predict_file(model_dir: Path, input_file: Path, output_file: Path, content_type: str = "text/csv") -> int:
    """Batch transform one file; returns number of rows predicted."""
    form = _content_format(content_type, "transform input")
    booster = load_model_from_dir(model_dir)
    output_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        with output_file.open("w", encoding="utf-8", newline="\n") as out:
            if input_file.stat().st_size == 0:
                return 0
            if form == _CSV:
                return _predict_csv(booster, input_file, out)
            data = _libsvm_dmatrix(f"transform input {input_file.name}", [input_file], booster.num_features())
            out.write(_prediction_lines(booster.predict(data)))
            return int(data.num_row())
    except BaseException:
        output_file.unlink(missing_ok=True)  # no half-written output for a failed transform
        raise
