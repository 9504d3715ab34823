"""Hyperparameter tuning of SageMaker's built-in XGBoost (the seed 000 example), before any job starts.

`TuningSettings` holds what a run asks for, one field per DAG Param (so an error names exactly what the
user typed), with seed 000's values as defaults: Bayesian search, 2 training jobs, 2 at a time,
minimising `validation:rmse` over alpha [0, 1000], gamma [0, 5], max_delta_step [0, 10] and
max_depth [0, 10], with `num_round=2` and `precision_dtype=float32` static. It refuses settings the
tuning job would fail on, or would run pointlessly, with the field, the value given and the fix.

`tuning_request` builds the CreateHyperParameterTuningJob request, checked against botocore's model;
`plan_tune_and_transform` names and builds everything one `tune_and_transform` run does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from retraining.builders import checked, model_request, s3_channel, seeded_run_plan, transform_request
from retraining.naming import JOB_NAME, TUNING_JOB_MAX, job_name, model_name
from retraining.settings import AwsJobSettings, SeededRunSettings, parse_settings

Strategy = Literal["Bayesian", "Random", "Grid", "Hyperband"]
ObjectiveType = Literal["Minimize", "Maximize"]

# The metrics SageMaker's XGBoost reports for tuning, and which way each is optimised
# (AWS docs, "Tune an XGBoost Model"); each exists for the train and the validation channel.
METRIC_DIRECTIONS: dict[str, ObjectiveType] = {
    "accuracy": "Maximize",
    "auc": "Maximize",
    "error": "Minimize",
    "f1": "Maximize",
    "logloss": "Minimize",
    "mae": "Minimize",
    "map": "Maximize",
    "merror": "Minimize",
    "mlogloss": "Minimize",
    "mse": "Minimize",
    "ndcg": "Maximize",
    "rmse": "Minimize",
}
# The DAGs train a regression (the default objective, reg:squarederror) on a continuous label.
REGRESSION_METRICS = ("rmse", "mae", "mse")
CHANNELS = ("validation", "train")
OBJECTIVE_METRICS = tuple(f"{channel}:{metric}" for channel in CHANNELS for metric in REGRESSION_METRICS)

# SageMaker's default service quotas and documented limits.
MAX_TRAINING_JOBS = 500
MAX_PARALLEL_TRAINING_JOBS = 10
MAX_CATEGORICAL_VALUES = 30


@dataclass(frozen=True)
class TunedHyperparameter:
    name: str
    kind: Literal["Continuous", "Integer"]
    low: float  # seed 000's range
    high: float
    ceiling: float  # the largest value a run may ask for (a sanity bound, not XGBoost's)


TUNED = (
    TunedHyperparameter("alpha", "Continuous", 0, 1000, 100_000),
    TunedHyperparameter("gamma", "Continuous", 0, 5, 1000),
    TunedHyperparameter("max_delta_step", "Integer", 0, 10, 100),
    TunedHyperparameter("max_depth", "Integer", 0, 10, 20),
)
_BY_NAME = {item.name: item for item in TUNED}
_MIN_FIELDS = tuple(f"{item.name}_min" for item in TUNED)
_MAX_FIELDS = tuple(f"{item.name}_max" for item in TUNED)


def _number_text(value: float) -> str:
    """1000.0 -> "1000", 0.5 -> "0.5": the string SageMaker receives for a range end or a static value."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class TuningSettings(BaseModel):
    """One tuning job's settings. Cross-field checks read earlier fields, so the field order matters:
    each range's `_min` precedes its `_max`, `max_jobs` precedes `max_parallel`, and `strategy` is last."""

    # Defaults are validated too: a default max_parallel must still fit a smaller max_jobs.
    model_config = ConfigDict(extra="forbid", validate_default=True)

    num_round: int = Field(default=2, ge=1, le=2000)
    precision_dtype: Literal["float32", "float64"] = "float32"
    objective_metric: str = "validation:rmse"
    objective_type: ObjectiveType = "Minimize"
    alpha_min: float = 0
    alpha_max: float = 1000
    gamma_min: float = 0
    gamma_max: float = 5
    max_delta_step_min: int = 0
    max_delta_step_max: int = 10
    max_depth_min: int = 0
    max_depth_max: int = 10
    max_jobs: int = Field(default=2, ge=1, le=MAX_TRAINING_JOBS)
    max_parallel: int = Field(default=2, ge=1, le=MAX_PARALLEL_TRAINING_JOBS)
    early_stopping: Literal["Off", "Auto"] = "Off"
    random_seed: int | None = Field(default=None, ge=0)
    strategy: Strategy = "Bayesian"

    @field_validator(*_MIN_FIELDS)
    @classmethod
    def _range_start(cls, value: float, info: ValidationInfo) -> float:
        return _in_bounds(value, str(info.field_name))

    @field_validator(*_MAX_FIELDS)
    @classmethod
    def _range_end(cls, value: float, info: ValidationInfo) -> float:
        field = str(info.field_name)
        value = _in_bounds(value, field)
        name = field.removesuffix("_max")
        low = info.data.get(f"{name}_min")
        if low is not None and value < low:
            raise ValueError(
                f"is below {name}_min ({_number_text(low)}); a range needs {name}_min <= {name}_max, "
                f"so swap them or raise {name}_max"
            )
        return value

    @field_validator("objective_metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        channel, colon, metric = value.partition(":")
        choices = ", ".join(OBJECTIVE_METRICS)
        if not colon or channel not in CHANNELS:
            raise ValueError(
                f"is not <channel>:<metric> with channel validation or train; use one of {choices}"
            )
        if metric not in METRIC_DIRECTIONS:
            raise ValueError(f"is not a metric the built-in XGBoost reports for tuning; use one of {choices}")
        if metric not in REGRESSION_METRICS:
            raise ValueError(
                "is a classification or ranking metric, but this DAG trains a regression model "
                f"(reg:squarederror) on a continuous label; use one of {choices}"
            )
        return value

    @field_validator("objective_type")
    @classmethod
    def _direction(cls, value: str, info: ValidationInfo) -> str:
        metric = info.data.get("objective_metric")
        if metric is None:
            return value
        wanted = METRIC_DIRECTIONS[metric.partition(":")[2]]
        if value != wanted:
            raise ValueError(
                f"would search for the worst model: lower {metric} is better, so set objective_type to {wanted}"
                if wanted == "Minimize"
                else f"would search for the worst model: higher {metric} is better, so set objective_type "
                f"to {wanted}"
            )
        return value

    @field_validator("max_parallel")
    @classmethod
    def _parallel(cls, value: int, info: ValidationInfo) -> int:
        jobs = info.data.get("max_jobs")
        if jobs is not None and value > jobs:
            raise ValueError(
                f"is more than max_jobs ({jobs}): a tuning job never runs more training jobs than max_jobs; "
                f"lower max_parallel to at most {jobs} or raise max_jobs"
            )
        return value

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, value: str, info: ValidationInfo) -> str:
        data = info.data
        if any(f not in data for f in (*_MIN_FIELDS, *_MAX_FIELDS)):
            return value  # a range is already reported as invalid
        ranges = {item.name: (data[f"{item.name}_min"], data[f"{item.name}_max"]) for item in TUNED}
        if all(low == high for low, high in ranges.values()):
            raise ValueError(
                "has nothing to tune: every range is pinned (min = max); widen at least one of "
                + ", ".join(f"{item.name}_min..{item.name}_max" for item in TUNED)
            )
        if value == "Grid":
            _check_grid(ranges, data.get("max_jobs"))
        if value == "Hyperband" and data.get("early_stopping") == "Auto":
            raise ValueError(
                "stops losing training jobs early by itself; set early_stopping to Off to use Hyperband"
            )
        return value

    # --- what the request is made of ---

    def tuned_ranges(self) -> dict[str, tuple[float, float]]:
        """The ranges actually searched: a pinned range (min = max) is a static hyperparameter instead."""
        ranges = {item.name: self._range(item.name) for item in TUNED}
        return {name: (low, high) for name, (low, high) in ranges.items() if low != high}

    def static_hyperparameters(self) -> dict[str, str]:
        static = {"num_round": str(self.num_round), "precision_dtype": self.precision_dtype}
        for item in TUNED:
            low, high = self._range(item.name)
            if low == high:
                static[item.name] = _number_text(low)
        return static

    def parameter_ranges(self) -> dict[str, list[dict[str, Any]]]:
        """`HyperParameterTuningJobConfig.ParameterRanges`. Grid takes categorical values only, so for Grid
        each integer range lists its values."""
        ranges = self.tuned_ranges()
        if self.strategy == "Grid":
            return {
                "CategoricalParameterRanges": [
                    {"Name": name, "Values": [str(v) for v in range(int(low), int(high) + 1)]}
                    for name, (low, high) in ranges.items()
                ]
            }
        result: dict[str, list[dict[str, Any]]] = {}
        for name, (low, high) in ranges.items():
            kind = _BY_NAME[name].kind
            result.setdefault(f"{kind}ParameterRanges", []).append(
                {
                    "Name": name,
                    "MinValue": _number_text(low),
                    "MaxValue": _number_text(high),
                    "ScalingType": "Auto",
                }
            )
        return result

    def job_config(self) -> dict[str, Any]:
        """`HyperParameterTuningJobConfig`."""
        config: dict[str, Any] = {
            "Strategy": self.strategy,
            "HyperParameterTuningJobObjective": {
                "Type": self.objective_type,
                "MetricName": self.objective_metric,
            },
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": self.max_jobs,
                "MaxParallelTrainingJobs": self.max_parallel,
            },
            "ParameterRanges": self.parameter_ranges(),
            "TrainingJobEarlyStoppingType": self.early_stopping,
        }
        if self.strategy == "Hyperband":
            # The resource is boosting rounds: brackets from 1 round up to every round a job trains.
            config["StrategyConfig"] = {
                "HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": self.num_round}
            }
        if self.random_seed is not None:
            config["RandomSeed"] = self.random_seed
        return config

    def _range(self, name: str) -> tuple[float, float]:
        return getattr(self, f"{name}_min"), getattr(self, f"{name}_max")


def _in_bounds(value: float, field: str) -> float:
    item = _BY_NAME[field.rsplit("_", 1)[0]]
    if not math.isfinite(value):
        raise ValueError(f"is not a finite number; give {item.name} values between 0 and {item.ceiling:g}")
    if value < 0:
        raise ValueError(f"is negative; XGBoost's {item.name} must be 0 or more")
    if value > item.ceiling:
        raise ValueError(
            f"is above {item.ceiling:g}, beyond any useful {item.name}; seed 000 searches "
            f"{_number_text(item.low)}..{_number_text(item.high)}"
        )
    return value


def _check_grid(ranges: dict[str, tuple[float, float]], max_jobs: int | None) -> None:
    continuous = [
        f"{name} ({name}_min {_number_text(low)}, {name}_max {_number_text(high)})"
        for name, (low, high) in ranges.items()
        if _BY_NAME[name].kind == "Continuous" and low != high
    ]
    if continuous:
        raise ValueError(
            "searches categorical values only, but "
            + " and ".join(continuous)
            + " would be continuous; pin each (min = max) or use the Bayesian or Random strategy"
        )
    counts = {name: int(high) - int(low) + 1 for name, (low, high) in ranges.items() if low != high}
    for name, count in counts.items():
        if count > MAX_CATEGORICAL_VALUES:
            raise ValueError(
                f"lists every value of {name} ({count} values), but SageMaker takes at most "
                f"{MAX_CATEGORICAL_VALUES} per parameter; narrow {name}_min..{name}_max"
            )
    size = math.prod(counts.values())
    product = " x ".join(f"{name} ({count} values)" for name, count in counts.items())
    if size > MAX_TRAINING_JOBS:
        raise ValueError(
            f"would run {size} training jobs ({product}), over SageMaker's {MAX_TRAINING_JOBS}; narrow the ranges"
        )
    if max_jobs is not None and max_jobs != size:
        raise ValueError(
            f"runs each combination once: {product} = {size} training jobs; set max_jobs to {size} "
            f"(it is {max_jobs}) or narrow the ranges"
        )


def parse_tune_run(
    run_values: dict[str, Any], tuning_values: dict[str, Any]
) -> tuple[SeededRunSettings, TuningSettings]:
    """Both halves of a run's settings, every problem of both reported at once (ValueError)."""
    problems: list[str] = []
    run = tuning = None
    try:
        run = parse_settings(run_values, SeededRunSettings)
    except ValueError as error:
        problems.append(str(error))
    try:
        tuning = parse_settings(tuning_values, TuningSettings)
    except ValueError as error:
        problems.append(str(error))
    if run is None or tuning is None:
        raise ValueError("; ".join(problems))
    return run, tuning


def tuning_request(
    *,
    job: str,
    settings: AwsJobSettings,
    tuning: TuningSettings,
    image_uri: str,
    train_s3_uri: str,
    validation_s3_uri: str,
    output_s3_path: str,
) -> dict[str, Any]:
    """CreateHyperParameterTuningJob for XGBoost trained on a train and a validation channel."""
    if len(job) > TUNING_JOB_MAX or not JOB_NAME.match(job):
        raise ValueError(
            f"tuning job name {job!r} is not valid: at most {TUNING_JOB_MAX} letters, digits and hyphens"
        )
    return checked(
        "CreateHyperParameterTuningJob",
        {
            "HyperParameterTuningJobName": job,
            "HyperParameterTuningJobConfig": tuning.job_config(),
            "TrainingJobDefinition": {
                "AlgorithmSpecification": {"TrainingImage": image_uri, "TrainingInputMode": "File"},
                "RoleArn": settings.role_arn,
                "InputDataConfig": [
                    s3_channel("train", train_s3_uri),
                    s3_channel("validation", validation_s3_uri),
                ],
                "OutputDataConfig": {"S3OutputPath": output_s3_path},
                "ResourceConfig": {
                    "InstanceCount": 1,
                    "InstanceType": settings.training_instance_type,
                    "VolumeSizeInGB": 30,
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime_seconds},
                "StaticHyperParameters": tuning.static_hyperparameters(),
            },
        },
    )


def plan_tune_and_transform(
    run: SeededRunSettings,
    tuning: TuningSettings,
    *,
    dag_id: str,
    run_id: str,
    logical_date: datetime | None,
    xgboost_image: str,
    processing_image: str,
) -> dict[str, Any]:
    """Every name, S3 location and request of one `tune_and_transform` run known before tuning ends (the
    model and the transform follow from the best training job: `best_model_and_transform`)."""
    layout, plan = seeded_run_plan(
        run,
        job_prefix="tn",
        dag_id=dag_id,
        run_id=run_id,
        logical_date=logical_date,
        xgboost_image=xgboost_image,
        processing_image=processing_image,
    )
    tuning_job = job_name("tn", "tune", layout.key, max_length=TUNING_JOB_MAX)
    return {
        **plan,
        "tuning_job_name": tuning_job,
        "tuning_request": tuning_request(
            job=tuning_job,
            settings=run,
            tuning=tuning,
            image_uri=xgboost_image,
            train_s3_uri=f"{layout.data}/train/",
            validation_s3_uri=f"{layout.data}/validation/",
            output_s3_path=f"{layout.root}/models",
        ),
        "objective_metric": tuning.objective_metric,
        "transform_job_name": job_name("tn", "transform", layout.key),
        "transform_input_s3_uri": f"{layout.data}/test/",
        "transform_output_path": layout.transform_output,
        "transform_instance_type": run.transform_instance_type,
    }


def best_training_job(description: dict[str, Any]) -> dict[str, Any]:
    """The best training job of a finished tuning job (DescribeHyperParameterTuningJob's answer):
    {"name", "metric", "value"}; ValueError saying why when there is none."""
    name = description.get("HyperParameterTuningJobName", "the tuning job")
    status = description.get("HyperParameterTuningJobStatus")
    best = description.get("BestTrainingJob")
    if status != "Completed" or not best:
        reason = description.get("FailureReason") or "no training job reported the objective metric"
        raise ValueError(f"{name} ended {status} without a best training job: {reason}")
    objective = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    return {
        "name": best["TrainingJobName"],
        "metric": objective.get("MetricName"),
        "value": objective.get("Value"),
        "hyperparameters": dict(best.get("TunedHyperParameters") or {}),
    }


def best_model_and_transform(plan: dict[str, Any], best_job: str, model_data_url: str) -> dict[str, Any]:
    """CreateModel named after the best training job (as seed 000 does) and the transform that uses it."""
    model = model_name(best_job)
    return {
        "model_name": model,
        "model": model_request(
            model=model,
            image_uri=plan["xgboost_image"],
            model_data_url=model_data_url,
            role_arn=plan["role_arn"],
        ),
        "transform": transform_request(
            job=plan["transform_job_name"],
            model=model,
            input_s3_uri=plan["transform_input_s3_uri"],
            output_s3_path=plan["transform_output_path"],
            instance_type=plan["transform_instance_type"],
        ),
    }
