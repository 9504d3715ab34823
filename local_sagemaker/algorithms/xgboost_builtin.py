"""SageMaker's built-in XGBoost algorithm contract, on local files, with the real xgboost library."""

from __future__ import annotations

import math
import os
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from xgboost._typing import EvalsLog

MODEL_FILE = "xgboost-model"
CSV_TYPES = frozenset({"text/csv", "csv", "text/x-csv"})
LIBSVM_TYPES = frozenset({"text/libsvm", "libsvm", "text/x-libsvm"})
_CSV_CHUNK_ROWS = 200_000


class AlgorithmError(Exception):
    """A user error in the job's configuration or data: the message becomes the job's FailureReason."""


@dataclass(frozen=True)
class TrainingResult:
    final_metrics: dict[str, float]
    num_boosted_rounds: int


@dataclass(frozen=True)
class ParamSpec:
    """How one hyperparameter is parsed: its type, range (inclusive unless open) or allowed values."""

    kind: str  # "int", "float", "enum", "str"
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    xgb_name: str | None = None  # name xgboost uses when SageMaker's differs

    def describe(self) -> str:
        if self.kind == "enum":
            return "one of " + ", ".join(self.choices)
        noun = "an integer" if self.kind == "int" else "a number"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open or self.high == math.inf else "]"
        high = "inf" if self.high == math.inf else f"{self.high:g}"
        return f"{noun} in {left}{self.low:g}, {high}{right}"


OBJECTIVES = (
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
SUPPORTED_METRICS: tuple[str, ...] = (
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

# SageMaker's documented XGBoost hyperparameters; anything else is rejected as the container does.
HYPERPARAMETERS: dict[str, ParamSpec] = {
    "num_round": ParamSpec("int", low=1),
    "objective": ParamSpec("enum", choices=OBJECTIVES),
    "eval_metric": ParamSpec("str"),
    "booster": ParamSpec("enum", choices=("gbtree", "gblinear", "dart")),
    "eta": ParamSpec("float", low=0.0, high=1.0),
    "learning_rate": ParamSpec("float", low=0.0, high=1.0, xgb_name="eta"),
    "gamma": ParamSpec("float", low=0.0),
    "min_split_loss": ParamSpec("float", low=0.0, xgb_name="gamma"),
    "max_depth": ParamSpec("int", low=0.0),
    "min_child_weight": ParamSpec("float", low=0.0),
    "max_delta_step": ParamSpec("float", low=0.0),
    "subsample": ParamSpec("float", low=0.0, high=1.0, low_open=True),
    "colsample_bytree": ParamSpec("float", low=0.0, high=1.0, low_open=True),
    "colsample_bylevel": ParamSpec("float", low=0.0, high=1.0, low_open=True),
    "colsample_bynode": ParamSpec("float", low=0.0, high=1.0, low_open=True),
    "lambda": ParamSpec("float", low=0.0),
    "reg_lambda": ParamSpec("float", low=0.0, xgb_name="lambda"),
    "alpha": ParamSpec("float", low=0.0),
    "reg_alpha": ParamSpec("float", low=0.0, xgb_name="alpha"),
    "lambda_bias": ParamSpec("float", low=0.0),
    "tree_method": ParamSpec("enum", choices=("auto", "exact", "approx", "hist", "gpu_hist")),
    "grow_policy": ParamSpec("enum", choices=("depthwise", "lossguide")),
    "max_leaves": ParamSpec("int", low=0.0),
    "max_bin": ParamSpec("int", low=2),
    "num_class": ParamSpec("int", low=1),
    "scale_pos_weight": ParamSpec("float", low=0.0, low_open=True),
    "base_score": ParamSpec("float"),
    "seed": ParamSpec("int"),
    "nthread": ParamSpec("int", low=1),
    "early_stopping_rounds": ParamSpec("int", low=1),
    "csv_weights": ParamSpec("enum", choices=("0", "1")),
    "verbosity": ParamSpec("int", low=0, high=3),
    "silent": ParamSpec("enum", choices=("0", "1")),
    "precision_dtype": ParamSpec("enum", choices=("float32", "float64")),
    "sketch_eps": ParamSpec("float", low=0.0, high=1.0, low_open=True, high_open=True),
    "tweedie_variance_power": ParamSpec("float", low=1.0, high=2.0, low_open=True, high_open=True),
    "num_parallel_tree": ParamSpec("int", low=1),
    "process_type": ParamSpec("enum", choices=("default", "update")),
    "updater": ParamSpec("str"),
    "refresh_leaf": ParamSpec("enum", choices=("0", "1")),
    "normalize_type": ParamSpec("enum", choices=("tree", "forest")),
    "sample_type": ParamSpec("enum", choices=("uniform", "weighted")),
    "rate_drop": ParamSpec("float", low=0.0, high=1.0),
    "one_drop": ParamSpec("enum", choices=("0", "1")),
    "skip_drop": ParamSpec("float", low=0.0, high=1.0),
    "interaction_constraints": ParamSpec("str"),
    "monotone_constraints": ParamSpec("str"),
    "deterministic_histogram": ParamSpec("enum", choices=("true", "false")),
}
# Consumed by the container itself, never handed to xgboost.
_CONTAINER_ONLY = frozenset(
    {"num_round", "early_stopping_rounds", "csv_weights", "precision_dtype", "silent"}
)


def metric_definitions() -> list[dict[str, str]]:
    """The metrics the built-in algorithm emits, as SageMaker lists them for tuning objectives."""
    return [
        {
            "Name": f"{data}:{metric}",
            "Regex": f".*\\[[0-9]+\\].*#011{data}-{metric}:([-+]?[0-9]*\\.?[0-9]+).*",
        }
        for data in ("train", "validation")
        for metric in SUPPORTED_METRICS
    ]


def _parse_one(name: str, raw: str, spec: ParamSpec) -> Any:
    def fail() -> AlgorithmError:
        return AlgorithmError(f"Hyperparameter {name}: expected {spec.describe()}, got {raw!r}")

    if spec.kind == "enum":
        if raw not in spec.choices:
            raise fail()
        return raw
    if spec.kind == "str":
        if not raw.strip():
            raise AlgorithmError(f"Hyperparameter {name}: expected a non-empty value, got {raw!r}")
        return raw
    try:
        value: float = int(raw) if spec.kind == "int" else float(raw)
    except ValueError:
        raise fail() from None
    if math.isnan(value) or value < spec.low or value > spec.high:
        raise fail()
    if (spec.low_open and value == spec.low) or (spec.high_open and value == spec.high):
        raise fail()
    return value


def parse_hyperparameters(raw: Mapping[str, str]) -> dict[str, Any]:
    """SageMaker's string hyperparameters as typed values, keyed by SageMaker's names.

    Raises AlgorithmError naming the parameter, the value and what is allowed."""
    parsed: dict[str, Any] = {}
    for name, value in raw.items():
        if name.startswith(("sagemaker_", "_")):
            continue  # set by SageMaker SDKs for their own use
        spec = HYPERPARAMETERS.get(name)
        if spec is None:
            raise AlgorithmError(f"Hyperparameter {name!r} is not a valid XGBoost hyperparameter")
        if not isinstance(value, str):
            raise AlgorithmError(f"Hyperparameter {name}: values must be strings, got {value!r}")
        parsed[name] = _parse_one(name, value, spec)
    if "num_round" not in parsed:
        raise AlgorithmError(
            "Hyperparameter num_round is required (the number of boosting rounds, e.g. '100')"
        )
    metrics = parsed.get("eval_metric")
    if metrics is not None:
        for metric in metrics.split(","):
            base = metric.strip().split("@")[0]
            if base not in SUPPORTED_METRICS:
                raise AlgorithmError(
                    f"Hyperparameter eval_metric: {metric.strip()!r} is not supported; use any of "
                    + ", ".join(SUPPORTED_METRICS)
                )
    return parsed


def _xgboost_params(parsed: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"objective": "reg:squarederror", "seed": 0, "nthread": os.cpu_count() or 1}
    for name, value in parsed.items():
        if name in _CONTAINER_ONLY or name == "eval_metric":
            continue
        spec = HYPERPARAMETERS[name]
        params[spec.xgb_name or name] = value
    if params["objective"] == "reg:linear":
        params["objective"] = "reg:squarederror"  # the old name xgboost dropped
    if params.get("tree_method") == "gpu_hist":
        params["tree_method"] = "hist"  # no GPU locally; same algorithm on the CPU
    if "eval_metric" in parsed:
        params["eval_metric"] = [m.strip() for m in parsed["eval_metric"].split(",")]
    return params


def _channel_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))


def _read_csv(path: Path, channel: str) -> np.ndarray:
    import pandas as pd

    try:
        frame = pd.read_csv(path, header=None, dtype=np.float64, engine="c", skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        return np.empty((0, 0))
    except ValueError:
        raise AlgorithmError(_locate_bad_cell(path, channel)) from None
    return frame.to_numpy()


def _locate_bad_cell(path: Path, channel: str) -> str:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            for cell in line.strip().split(","):
                try:
                    float(cell)
                except ValueError:
                    return (
                        f"channel {channel!r}, file {path.name}, line {number}: {cell!r} is not a number "
                        "(CSV input must be numeric, with no header, the label in the first column)"
                    )
    return f"channel {channel!r}, file {path.name}: could not be read as numeric CSV"


def _load_channel(directory: Path, channel: str, content_type: str) -> Any:
    import xgboost

    files = _channel_files(directory)
    base_type = content_type.split(";")[0].strip().lower()
    if base_type in LIBSVM_TYPES:
        if len(files) != 1:
            raise AlgorithmError(f"channel {channel!r}: libsvm input must be a single file, got {len(files)}")
        return xgboost.DMatrix(f"{files[0]}?format=libsvm")
    if base_type not in CSV_TYPES:
        raise AlgorithmError(
            f"channel {channel!r}: content type {content_type!r} is not supported; use text/csv or text/libsvm"
        )
    blocks = [block for block in (_read_csv(f, channel) for f in files) if block.size]
    if not blocks:
        raise AlgorithmError(f"channel {channel!r} holds no data rows")
    widths = {block.shape[1] for block in blocks}
    if len(widths) > 1:
        raise AlgorithmError(f"channel {channel!r}: files have different numbers of columns {sorted(widths)}")
    matrix = np.vstack(blocks)
    if matrix.shape[1] < 2:
        raise AlgorithmError(f"channel {channel!r}: CSV needs a label column and at least one feature")
    return xgboost.DMatrix(matrix[:, 1:], label=matrix[:, 0])


def _read_prior_model(directory: Path) -> Any:
    """The booster in a `model` channel: a model.tar.gz holding xgboost-model, or the file itself."""
    import xgboost

    files = _channel_files(directory)
    if not files:
        raise AlgorithmError(
            "model channel is empty: it must hold a model.tar.gz from an earlier training job"
        )
    archive = next((f for f in files if f.name.endswith(".tar.gz")), None)
    try:
        if archive is not None:
            with tarfile.open(archive) as tar, tempfile.TemporaryDirectory() as unpacked:
                tar.extractall(unpacked, filter="data")
                candidates = _channel_files(Path(unpacked))
                return _booster_from_file(next(iter(candidates)), xgboost) if candidates else _empty_archive()
        return _booster_from_file(files[0], xgboost)
    except AlgorithmError:
        raise
    except Exception as exc:
        raise AlgorithmError(f"model channel: the prior model could not be loaded ({exc})") from exc


def _empty_archive() -> Any:
    raise AlgorithmError("model channel: model.tar.gz holds no model file")


def _booster_from_file(path: Path, xgboost: Any) -> Any:
    booster = xgboost.Booster()
    booster.load_model(bytearray(path.read_bytes()))
    return booster


def load_model_from_dir(model_dir: Path) -> Any:
    """The booster saved by `train` (a directory holding xgboost-model, or a model.tar.gz)."""
    import xgboost

    path = model_dir / MODEL_FILE
    if path.is_file():
        return _booster_from_file(path, xgboost)
    return _read_prior_model(model_dir)


def _score(value: float | tuple[float, float]) -> float:
    # With cross-validation xgboost logs (mean, std); a single training run logs plain floats.
    return float(value[0] if isinstance(value, tuple) else value)


def _round_logger(log: Callable[[str], None], should_stop: Callable[[], bool]) -> Any:
    import xgboost

    class SageMakerStyleLog(xgboost.callback.TrainingCallback):
        """One line per round as the container prints it; also where a stop request is honoured."""

        def after_iteration(self, model: Any, epoch: int, evals_log: EvalsLog) -> bool:
            parts = [
                f"#011{data}-{metric}:{_score(values[-1]):.5f}"
                for data, metrics in evals_log.items()
                for metric, values in metrics.items()
            ]
            log(f"[{epoch}]" + "".join(parts))
            return should_stop()

    return SageMakerStyleLog()


def train(
    channels: Mapping[str, Path],
    hyperparameters: Mapping[str, str],
    model_dir: Path,
    log: Callable[[str], None],
    content_types: Mapping[str, str] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> TrainingResult:
    """Train as the built-in algorithm does and write `model_dir/xgboost-model`."""
    import xgboost

    parsed = parse_hyperparameters(hyperparameters)
    if "train" not in channels:
        raise AlgorithmError(f"channel 'train' is required; the job has {sorted(channels) or 'no channels'}")
    unknown = sorted(set(channels) - {"train", "validation", "model"})
    if unknown:
        raise AlgorithmError(f"channels {unknown} are not used by XGBoost; use train, validation and model")
    types = content_types or {}
    dtrain = _load_channel(channels["train"], "train", types.get("train", "text/csv"))
    log(f"train: {dtrain.num_row()}x{dtrain.num_col()} matrix loaded from /opt/ml/input/data/train")
    evals = [(dtrain, "train")]
    if "validation" in channels:
        dvalid = _load_channel(channels["validation"], "validation", types.get("validation", "text/csv"))
        log(
            f"validation: {dvalid.num_row()}x{dvalid.num_col()} matrix loaded from /opt/ml/input/data/validation"
        )
        if dvalid.num_col() != dtrain.num_col():
            raise AlgorithmError(
                f"validation has {dvalid.num_col()} feature columns but train has {dtrain.num_col()}; they must match"
            )
        evals.append((dvalid, "validation"))
    prior = None
    if "model" in channels:
        prior = _read_prior_model(channels["model"])
        if prior.num_features() != dtrain.num_col():
            raise AlgorithmError(
                f"model channel: the prior model expects {prior.num_features()} features, "
                f"the train channel has {dtrain.num_col()}"
            )
        log(f"Continuing training from a prior model with {prior.num_boosted_rounds()} rounds")
    early_stopping = parsed.get("early_stopping_rounds")
    if early_stopping is not None and "validation" not in channels:
        raise AlgorithmError("Hyperparameter early_stopping_rounds needs a 'validation' channel")

    booster = xgboost.train(
        _xgboost_params(parsed),
        dtrain,
        num_boost_round=int(parsed["num_round"]),
        evals=evals,
        xgb_model=prior,
        early_stopping_rounds=early_stopping,
        verbose_eval=False,
        callbacks=[_round_logger(log, should_stop)],
    )
    final_metrics = _final_metrics(booster, evals, early_stopping is not None)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / MODEL_FILE).write_bytes(bytes(booster.save_raw("ubj")))
    return TrainingResult(final_metrics=final_metrics, num_boosted_rounds=booster.num_boosted_rounds())


def _final_metrics(booster: Any, evals: list[tuple[Any, str]], early_stopped: bool) -> dict[str, float]:
    # Evaluate the saved model itself, so the metrics describe exactly the artifact (best iteration if early stopped).
    rounds = (0, booster.best_iteration + 1) if early_stopped else (0, booster.num_boosted_rounds())
    model = booster[rounds[0] : rounds[1]] if early_stopped else booster
    metrics: dict[str, float] = {}
    for line in model.eval_set(evals).split("\t")[1:]:
        key, value = line.rsplit(":", 1)
        data, metric = key.split("-", 1)
        metrics[f"{data}:{metric}"] = float(value)
    return metrics


def _csv_chunks(path: Path) -> Any:
    import pandas as pd

    try:
        yield from pd.read_csv(path, header=None, dtype=np.float32, engine="c", chunksize=_CSV_CHUNK_ROWS)
    except pd.errors.EmptyDataError:
        return
    except ValueError:
        raise AlgorithmError(_locate_bad_cell(path, "transform input")) from None


def predict_file(model_dir: Path, input_file: Path, output_file: Path, content_type: str = "text/csv") -> int:
    """Batch-transform one file of feature rows (no label): one prediction per line. Returns the row count."""
    import xgboost

    booster = load_model_from_dir(model_dir)
    base_type = content_type.split(";")[0].strip().lower()
    rows = 0
    with output_file.open("w", encoding="utf-8") as out:
        if base_type in LIBSVM_TYPES:
            predictions = booster.predict(xgboost.DMatrix(f"{input_file}?format=libsvm"))
            np.savetxt(out, predictions, fmt="%.9g")
            return int(predictions.shape[0])
        if base_type not in CSV_TYPES:
            raise AlgorithmError(
                f"content type {content_type!r} is not supported; use text/csv or text/libsvm"
            )
        expected = booster.num_features()
        for chunk in _csv_chunks(input_file):
            features = chunk.to_numpy()
            if features.shape[1] == expected + 1:
                raise AlgorithmError(
                    f"transform input has {features.shape[1]} columns but the model takes {expected} features: "
                    "batch transform input must not contain the label column"
                )
            if features.shape[1] != expected:
                raise AlgorithmError(
                    f"transform input has {features.shape[1]} columns but the model takes {expected} features"
                )
            predictions = booster.predict(xgboost.DMatrix(features))
            np.savetxt(out, predictions, fmt="%.9g")
            rows += features.shape[0]
    return rows
