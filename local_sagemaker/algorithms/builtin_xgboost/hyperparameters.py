"""SageMaker's string hyperparameters for XGBoost, checked and typed as the container does."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_sagemaker.algorithms.builtin_xgboost.metrics import NUMBER_PATTERN, SUPPORTED_METRICS
from local_sagemaker.algorithms.builtin_xgboost.names import DOCS, TRAIN, VALIDATION
from local_sagemaker.job_errors import AlgorithmError

if TYPE_CHECKING:
    pass

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
    pattern = re.compile(r"[-+]?[0-9]+" if integer else NUMBER_PATTERN)

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
        if re.fullmatch(NUMBER_PATTERN if base == "error" else r"[0-9]+", threshold):
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


def available_cpus() -> int:
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
    params.setdefault("nthread", available_cpus())
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
