"""Hyperparameter tuning jobs: what the service checks before accepting one, and how it describes one.

A tuning job runs as its own supervised worker (`runners/tuning.py`), which starts the child training
jobs. Counters, `BestTrainingJob` and `OverallBestTrainingJob` are worked out from the children's
current descriptions whenever the job is described, so they are right even after a restart.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from local_sagemaker.algorithms import xgboost_builtin
from local_sagemaker.containers.toolkit_env import runs_user_code
from local_sagemaker.errors import ResourceInUse, ResourceLimitExceeded, ResourceNotFound, ValidationException
from local_sagemaker.jobs import ACTIVE_STATES, COMPLETED, FAILED, STOPPED, TERMINAL_STATES, TRAINING, TUNING
from local_sagemaker.operations.context import ServiceContext, now, paginate
from local_sagemaker.operations.jobs import _matches, create_job, describe_job, stop_job
from local_sagemaker.operations.training import prepare_training
from local_sagemaker.store import Store
from local_sagemaker.tuning_search import (
    CATEGORICAL,
    CONTINUOUS,
    GRID,
    HYPERBAND,
    INTEGER,
    ParameterRange,
    grid_size,
    parse_ranges,
)

Body = dict[str, Any]

NAME_FIELD = "HyperParameterTuningJobName"
CONFIG = "HyperParameterTuningJobConfig"
DEFINITION = "TrainingJobDefinition"
OBJECTIVE_FIELD = f"{CONFIG}.HyperParameterTuningJobObjective"
LIMITS_FIELD = f"{CONFIG}.ResourceLimits"
WARM_START_FIELD = "WarmStartConfig.ParentHyperParameterTuningJobs"
TUNING_OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"  # what SageMaker tells built-in algorithms

# Service quotas (SageMaker's defaults) and documented limits.
MAX_TRAINING_JOBS = 500
MAX_PARALLEL_TRAINING_JOBS = 10
MAX_PARENTS = 5
HYPERBAND_MAX_RESOURCE = 20_000
# Static hyperparameters SageMaker reads MaxResource from when HyperbandStrategyConfig leaves it out.
HYPERBAND_RESOURCE_KEYS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")

_DEFINITION_FIELDS = (
    "RoleArn",
    "InputDataConfig",
    "VpcConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "RetryStrategy",
    "Environment",
)
_ALGORITHM_FIELDS = (
    "TrainingImage",
    "TrainingInputMode",
    "AlgorithmName",
    "MetricDefinitions",
    "ContainerEntrypoint",
    "ContainerArguments",
)


# --- reading a tuning job's configuration ---------------------------------------------------------------


def objective(tuning: Body) -> tuple[str, bool]:
    """(metric name, minimize?) of a stored or requested tuning job."""
    spec = tuning[CONFIG]["HyperParameterTuningJobObjective"]
    return spec["MetricName"], spec["Type"] == "Minimize"


def ranges_of(tuning: Body) -> list[ParameterRange]:
    return parse_ranges(tuning[CONFIG].get("ParameterRanges"))


def static_hyperparameters(tuning: Body) -> dict[str, str]:
    return dict(tuning[DEFINITION].get("StaticHyperParameters") or {})


def hyperband_resources(config: Body, static: Mapping[str, str]) -> tuple[int, int]:
    """(MinResource, MaxResource) of a Hyperband job, MaxResource inferred as SageMaker does."""
    settings = (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig") or {}
    where = f"{CONFIG}.StrategyConfig.HyperbandStrategyConfig"
    low = int(settings.get("MinResource", 1))
    high = settings.get("MaxResource")
    if high is None:
        for key in HYPERBAND_RESOURCE_KEYS:
            if key in static:
                try:
                    high = int(static[key])
                except ValueError:
                    raise ValidationException(
                        f"{DEFINITION}.StaticHyperParameters.{key}: {static[key]!r} is not an integer, so "
                        f"it cannot serve as Hyperband's MaxResource; set {where}.MaxResource"
                    ) from None
                break
    if high is None:
        raise ValidationException(
            f"{where}.MaxResource: Hyperband needs the most resource (epochs; boosting rounds for XGBoost) "
            f"a training job may use; give MaxResource, or one of {', '.join(HYPERBAND_RESOURCE_KEYS)} "
            "as a static hyperparameter"
        )
    high = int(high)
    if high > HYPERBAND_MAX_RESOURCE:
        raise ValidationException(f"{where}.MaxResource: at most {HYPERBAND_MAX_RESOURCE}, got {high}")
    if low > high:
        raise ValidationException(f"{where}: MinResource ({low}) must not exceed MaxResource ({high})")
    return low, high


def child_request(tuning: Body, child_name: str, tuned: Mapping[str, str]) -> Body:
    """The CreateTrainingJob request for one child of a tuning job."""
    definition = tuning[DEFINITION]
    metric, _ = objective(tuning)
    spec = definition["AlgorithmSpecification"]
    request: Body = {
        "TrainingJobName": child_name,
        "AlgorithmSpecification": {k: copy.deepcopy(spec[k]) for k in _ALGORITHM_FIELDS if k in spec},
        "HyperParameters": {
            **static_hyperparameters(tuning),
            **tuned,
            TUNING_OBJECTIVE_HYPERPARAMETER: metric,
        },
        "TuningJobArn": tuning.get("HyperParameterTuningJobArn", ""),
    }
    for key in _DEFINITION_FIELDS:
        if key in definition:
            request[key] = copy.deepcopy(definition[key])
    shared = definition.get("HyperParameterTuningResourceConfig")
    if "ResourceConfig" not in request and shared:
        request["ResourceConfig"] = {
            k: shared[k] for k in ("InstanceType", "InstanceCount", "VolumeSizeInGB") if k in shared
        }
    return request


# --- children: their summaries, counters and the best of them ----------------------------------------------


def child_names(store: Store, name: str) -> list[str]:
    return list(store.runtime(TUNING.kind, name).get("children", []))


def child_bodies(store: Store, name: str) -> list[Body]:
    bodies = (store.get(TRAINING.kind, child) for child in child_names(store, name))
    return [body for body in bodies if body is not None]


def objective_value(child: Body, metric: str) -> float | None:
    for item in child.get("FinalMetricDataList", []):
        if item.get("MetricName") == metric:
            value = float(item["Value"])
            return value if math.isfinite(value) else None
    return None


def child_summary(child: Body, tuning_name: str, tuned_names: Iterable[str], metric: str) -> Body:
    """A HyperParameterTrainingJobSummary, as ListTrainingJobsForHyperParameterTuningJob shows it."""
    status = child["TrainingJobStatus"]
    value = objective_value(child, metric)
    hyperparameters = child.get("HyperParameters", {})
    summary: Body = {
        "TrainingJobName": child["TrainingJobName"],
        "TrainingJobArn": child["TrainingJobArn"],
        "TuningJobName": tuning_name,
        "CreationTime": child["CreationTime"],
        "TrainingJobStatus": status,
        "TunedHyperParameters": {n: hyperparameters[n] for n in tuned_names if n in hyperparameters},
    }
    for key in ("TrainingStartTime", "TrainingEndTime", "FailureReason"):
        if key in child:
            summary[key] = child[key]
    if value is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {"MetricName": metric, "Value": value}
    if status in ACTIVE_STATES:
        summary["ObjectiveStatus"] = "Pending"
    else:
        summary["ObjectiveStatus"] = "Succeeded" if value is not None else "Failed"
    return summary


def summaries_of(store: Store, tuning: Body) -> list[Body]:
    metric, _ = objective(tuning)
    tuned = [item.name for item in ranges_of(tuning)]
    name = tuning[NAME_FIELD]
    return [child_summary(child, name, tuned, metric) for child in child_bodies(store, name)]


def summary_value(summary: Body) -> float | None:
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric")
    return None if metric is None else float(metric["Value"])


def best_of(summaries: Iterable[Body], minimize: bool) -> Body | None:
    """The completed training job with the best objective value (the earliest of equals)."""
    candidates = [
        s for s in summaries if s["TrainingJobStatus"] == COMPLETED and summary_value(s) is not None
    ]
    if not candidates:
        return None
    sign = 1.0 if minimize else -1.0
    return min(candidates, key=lambda s: (sign * (summary_value(s) or 0.0), s["CreationTime"]))


def not_improving(values_in_order: Sequence[float], minimize: bool) -> int:
    """How many finished training jobs in a row (the latest ones) did not improve on the best before them."""
    best: float | None = None
    count = 0
    for value in values_in_order:
        if best is None or (value < best if minimize else value > best):
            best, count = value, 0
        else:
            count += 1
    return count


def _retryable(reason: str) -> bool:
    # Errors in the job's own configuration or data are final; the service's own trouble is not.
    return not reason.startswith(("AlgorithmError", "ClientError"))


def counters(summaries: Iterable[Body]) -> tuple[Body, Body]:
    status = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
    objective_status = {"Succeeded": 0, "Pending": 0, "Failed": 0}
    for summary in summaries:
        state = summary["TrainingJobStatus"]
        if state in ACTIVE_STATES:
            status["InProgress"] += 1
        elif state == COMPLETED:
            status["Completed"] += 1
        elif state == STOPPED:
            status["Stopped"] += 1
        elif state == FAILED:
            key = "RetryableError" if _retryable(summary.get("FailureReason", "")) else "NonRetryableError"
            status[key] += 1
        objective_status[summary["ObjectiveStatus"]] += 1
    return status, objective_status


def _identical_warm_start(tuning: Body) -> bool:
    return (tuning.get("WarmStartConfig") or {}).get("WarmStartType") == "IdenticalDataAndAlgorithm"


def _parent_names(tuning: Body) -> list[str]:
    parents = (tuning.get("WarmStartConfig") or {}).get("ParentHyperParameterTuningJobs", [])
    return [p["HyperParameterTuningJobName"] for p in parents if "HyperParameterTuningJobName" in p]


def live_fields(store: Store, tuning: Body) -> Body:
    """What a description adds to the stored body: counters, best jobs, consumed time."""
    _, minimize = objective(tuning)
    summaries = summaries_of(store, tuning)
    status, objective_status = counters(summaries)
    end = tuning.get("HyperParameterTuningEndTime") or now()
    fields: Body = {
        "TrainingJobStatusCounters": status,
        "ObjectiveStatusCounters": objective_status,
        "ConsumedResources": {"RuntimeInSeconds": max(0, round(end - tuning["CreationTime"]))},
    }
    best = best_of(summaries, minimize)
    if best is not None:
        fields["BestTrainingJob"] = best
    if _identical_warm_start(tuning):
        everything = list(summaries)
        for parent_name in _parent_names(tuning):
            parent = store.get(TUNING.kind, parent_name)
            if parent is not None:
                everything.extend(summaries_of(store, parent))
        overall = best_of(everything, minimize)
        if overall is not None:
            fields["OverallBestTrainingJob"] = overall
    if tuning[CONFIG].get("TuningJobCompletionCriteria"):
        finished = sorted(
            (s for s in summaries if summary_value(s) is not None and s["ObjectiveStatus"] == "Succeeded"),
            key=lambda s: float(s.get("TrainingEndTime") or s["CreationTime"]),
        )
        fields["TuningJobCompletionDetails"] = {
            "NumberOfTrainingJobsObjectiveNotImproving": not_improving(
                [summary_value(s) or 0.0 for s in finished], minimize
            )
        }
    return fields


# --- checks before a tuning job is accepted ---------------------------------------------------------------


def _limit_exceeded(limit: str, allowed: int, requested: int) -> ResourceLimitExceeded:
    # SageMaker's wording for a service quota.
    return ResourceLimitExceeded(
        f"The account-level service limit '{limit}' is {allowed} Jobs, with current utilization of 0 Jobs "
        f"and a request delta of {requested} Jobs. Please contact AWS support to request an increase for "
        "this limit."
    )


def _check_supported(body: Body) -> None:
    if body.get("TrainingJobDefinitions"):
        raise ValidationException(
            "TrainingJobDefinitions: tuning several algorithms at once is not supported by the local "
            f"service; give one {DEFINITION}"
        )
    if body.get("Autotune"):
        raise ValidationException("Autotune: not supported by the local service; give the ranges to tune")
    if DEFINITION not in body:
        raise ValidationException(f"{DEFINITION} is required: the training job each trial runs")
    if not body[CONFIG].get("HyperParameterTuningJobObjective"):
        raise ValidationException(
            f"{OBJECTIVE_FIELD} is required: its Type (Minimize or Maximize) and MetricName, such as "
            "validation:rmse"
        )


def _tunes_user_code(body: Body) -> bool:
    """The trials run the user's program (script mode or ContainerEntrypoint), not the built-in XGBoost."""
    definition = body[DEFINITION]
    return runs_user_code(
        {
            "AlgorithmSpecification": definition.get("AlgorithmSpecification", {}),
            "HyperParameters": static_hyperparameters(body),
        }
    )


def _check_objective(body: Body) -> None:
    metric, _ = objective(body)
    spec = body[DEFINITION]["AlgorithmSpecification"]
    defined = [d["Name"] for d in spec.get("MetricDefinitions") or []]
    # User code reports its metrics only through MetricDefinitions, so the objective must be one of them.
    if (defined or _tunes_user_code(body)) and metric not in defined:
        raise ValidationException(
            "A metric is required for this hyperparameter tuning job objective. Provide a metric in the "
            f"metric definitions. ({OBJECTIVE_FIELD}.MetricName {metric!r} is not among "
            f"{DEFINITION}.AlgorithmSpecification.MetricDefinitions)"
        )
    builtin = [d["Name"] for d in xgboost_builtin.metric_definitions()]
    if not _tunes_user_code(body) and metric not in builtin:
        raise ValidationException(
            f"{OBJECTIVE_FIELD}.MetricName: The objective metric for the hyperparameter tuning job, "
            f"[{metric}], isn't valid for the [xgboost] algorithm. Choose a valid objective metric: "
            f"train:<metric> or validation:<metric>, with <metric> one of "
            f"{', '.join(xgboost_builtin.SUPPORTED_METRICS)}"
        )


def _boundary_values(item: ParameterRange) -> list[str]:
    if item.kind == CATEGORICAL:
        return list(item.values)
    if item.kind == INTEGER:
        return [str(int(item.low)), str(int(item.high))]
    return [repr(item.low), repr(item.high)]


def _check_hyperparameters(body: Body, ranges: Sequence[ParameterRange]) -> None:
    """Static values, and every range's end points, as the algorithm itself would judge them."""
    static = static_hyperparameters(body)
    for item in ranges:
        if item.name in static:
            raise ValidationException(
                f"{DEFINITION}.StaticHyperParameters: {item.name!r} is also tuned by {item.where}; a "
                "hyperparameter is either static or tunable"
            )
    if _tunes_user_code(body):
        return  # the user's program judges its own hyperparameters when it runs
    metric, _ = objective(body)
    first = {**static, **{item.name: _boundary_values(item)[0] for item in ranges}}
    first[TUNING_OBJECTIVE_HYPERPARAMETER] = metric
    samples: list[tuple[str | None, dict[str, str]]] = [(None, first)]
    for item in ranges:
        samples.extend((item.where, {**first, item.name: value}) for value in _boundary_values(item)[1:])
    for where, sample in samples:
        try:
            xgboost_builtin.parse_hyperparameters(sample)
        except xgboost_builtin.AlgorithmError as error:
            raise ValidationException(
                f"{where or _blame(str(error), ranges, static, metric)}: {error}"
            ) from None


def _blame(error: str, ranges: Sequence[ParameterRange], static: Mapping[str, str], metric: str) -> str:
    """The request field behind an algorithm error about the hyperparameters as a whole."""
    # The algorithm's messages start "Hyperparameter <name>: ..." (or "Hyperparameter '<name>'").
    named = re.match(r"Hyperparameters? '?([^\s':]+)", error)
    name = named.group(1) if named else ""
    culprit = next((r for r in ranges if r.name == name), None)
    if culprit is not None:
        return culprit.where
    # The objective metric is evaluated too: blame it when the static eval_metric does not name it.
    evaluated = metric.partition(":")[2]
    given = [m.strip() for m in static.get("eval_metric", "").split(",")]
    if name == "eval_metric" and evaluated not in given and f"'{evaluated}'" in error:
        return f"{OBJECTIVE_FIELD}.MetricName ({metric}, evaluated by the algorithm)"
    return f"{DEFINITION}.StaticHyperParameters"


def _check_definition(ctx: ServiceContext, body: Body) -> None:
    """The training jobs' definition, as CreateTrainingJob would judge it."""
    probe = child_request(body, f"{body[NAME_FIELD]}-001-00000000", {})
    try:
        prepare_training(ctx, probe)
    except ValidationException as error:
        raise ValidationException(f"{DEFINITION}.{error.message}") from None


def _check_strategy(body: Body, ranges: Sequence[ParameterRange]) -> None:
    config = body[CONFIG]
    strategy = config["Strategy"]
    limits = config["ResourceLimits"]
    if config.get("StrategyConfig") and strategy != HYPERBAND:
        raise ValidationException(
            f"{CONFIG}.StrategyConfig: only for the Hyperband strategy; this job's strategy is {strategy}"
        )
    if strategy == HYPERBAND:
        if config.get("TrainingJobEarlyStoppingType", "Off") != "Off":
            raise ValidationException(
                f"{CONFIG}.TrainingJobEarlyStoppingType: must be Off to use Hyperband, which has its own "
                "early stopping"
            )
        hyperband_resources(config, static_hyperparameters(body))
    if strategy == GRID:
        size = grid_size(ranges)
        given = limits.get("MaxNumberOfTrainingJobs")
        if given is not None and given != size:
            raise ValidationException(
                f"{LIMITS_FIELD}.MaxNumberOfTrainingJobs: with the Grid strategy it must equal the number of "
                f"distinct combinations of the categorical values ({size}), or be left out; got {given}"
            )
        if size > MAX_TRAINING_JOBS:
            raise _limit_exceeded(
                "Number of training jobs per hyperparameter tuning job", MAX_TRAINING_JOBS, size
            )
        limits["MaxNumberOfTrainingJobs"] = size
    elif "MaxNumberOfTrainingJobs" not in limits:
        raise ValidationException(
            f"{LIMITS_FIELD}.MaxNumberOfTrainingJobs is required for the {strategy} strategy (only Grid "
            "works it out)"
        )
    if limits["MaxNumberOfTrainingJobs"] > MAX_TRAINING_JOBS:
        raise _limit_exceeded(
            "Number of training jobs per hyperparameter tuning job",
            MAX_TRAINING_JOBS,
            limits["MaxNumberOfTrainingJobs"],
        )
    if limits["MaxParallelTrainingJobs"] > MAX_PARALLEL_TRAINING_JOBS:
        raise _limit_exceeded(
            "Number of concurrent training jobs per hyperparameter tuning job",
            MAX_PARALLEL_TRAINING_JOBS,
            limits["MaxParallelTrainingJobs"],
        )


def _channels(tuning: Body) -> dict[str, str]:
    return {
        c["ChannelName"]: c["DataSource"].get("S3DataSource", {}).get("S3Uri", "")
        for c in tuning[DEFINITION].get("InputDataConfig", [])
    }


def _check_warm_start(ctx: ServiceContext, body: Body, ranges: Sequence[ParameterRange]) -> None:
    """SageMaker's warm start restrictions, for the parents this job names."""
    warm = body.get("WarmStartConfig")
    if not warm:
        return
    parents = warm["ParentHyperParameterTuningJobs"]
    if len(parents) > MAX_PARENTS:
        raise ValidationException(
            f"{WARM_START_FIELD}: at most {MAX_PARENTS} parent jobs, got {len(parents)}"
        )
    metric, _ = objective(body)
    kinds = {item.name: item.kind for item in ranges}
    count = len(static_hyperparameters(body)) + len(ranges)
    inherited = 0
    for i, item in enumerate(parents):
        where = f"{WARM_START_FIELD}[{i}]"
        name = item.get("HyperParameterTuningJobName")
        if not name:
            raise ValidationException(f"{where}.HyperParameterTuningJobName is required")
        parent = ctx.store.get(TUNING.kind, name)
        if parent is None:
            raise ValidationException(f"{where}: hyperparameter tuning job {name!r} does not exist")
        status = parent[TUNING.status_field]
        if status not in TERMINAL_STATES:
            raise ValidationException(
                f"{where}: parent job {name!r} is {status}; parents must be in a terminal state "
                "(Completed, Stopped or Failed)"
            )
        parent_metric, _ = objective(parent)
        if parent_metric != metric:
            raise ValidationException(
                f"{OBJECTIVE_FIELD}.MetricName: a warm start job must use its parents' objective metric; "
                f"parent {name!r} uses {parent_metric}, this job {metric}"
            )
        parent_ranges = ranges_of(parent)
        for parent_range in parent_ranges:
            kind = kinds.get(parent_range.name)
            if kind is not None and kind != parent_range.kind:
                raise ValidationException(
                    f"{CONFIG}.ParameterRanges: hyperparameter {parent_range.name!r} is "
                    f"{_kind_label(kind)} here but {_kind_label(parent_range.kind)} in parent {name!r}; "
                    "its type must not change"
                )
        parent_count = len(static_hyperparameters(parent)) + len(parent_ranges)
        if parent_count != count:
            raise ValidationException(
                f"{DEFINITION}.StaticHyperParameters: the total number of static plus tunable "
                f"hyperparameters must remain the same as in the parents; parent {name!r} has "
                f"{parent_count}, this job {count}"
            )
        if warm["WarmStartType"] == "IdenticalDataAndAlgorithm":
            image = body[DEFINITION]["AlgorithmSpecification"].get("TrainingImage")
            parent_image = parent[DEFINITION]["AlgorithmSpecification"].get("TrainingImage")
            if image != parent_image:
                raise ValidationException(
                    f"{DEFINITION}.AlgorithmSpecification.TrainingImage: IdenticalDataAndAlgorithm needs "
                    f"the parents' training image ({parent_image}); use TransferLearning for another one"
                )
            if _channels(body) != _channels(parent):
                raise ValidationException(
                    f"{DEFINITION}.InputDataConfig: IdenticalDataAndAlgorithm needs the parents' input data "
                    f"(parent {name!r} reads {_channels(parent)}); use TransferLearning for new data"
                )
        inherited += len(child_names(ctx.store, name))
    requested = body[CONFIG]["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    if inherited + requested > MAX_TRAINING_JOBS:
        # The parents' training jobs count against the limit of the new job.
        raise _limit_exceeded(
            "Number of training jobs per hyperparameter tuning job", MAX_TRAINING_JOBS, inherited + requested
        )


def _kind_label(kind: str) -> str:
    return {INTEGER: "an integer", CONTINUOUS: "a continuous", CATEGORICAL: "a categorical"}[kind]


def prepare_tuning(ctx: ServiceContext, body: Body) -> None:
    _check_supported(body)
    ranges = ranges_of(body)
    _check_strategy(body, ranges)
    _check_objective(body)
    _check_definition(ctx, body)
    _check_hyperparameters(body, ranges)
    _check_warm_start(ctx, body, ranges)
    body[CONFIG].setdefault("TrainingJobEarlyStoppingType", "Off")


# --- the operations ---------------------------------------------------------------------------------------


def create_tuning_job(ctx: ServiceContext, params: Body) -> Body:
    name = params[NAME_FIELD]
    if ctx.store.get(TUNING.kind, name) is not None:
        raise ResourceInUse(
            f"A hyperparameter tuning job with the name, {name}, already exists. Choose a different name."
        )
    return create_job(ctx, TUNING, params, prepare_tuning, {})


def describe_tuning_job(ctx: ServiceContext, params: Body) -> Body:
    body = describe_job(ctx, TUNING, params)
    return {**body, **live_fields(ctx.store, body)}


def stop_tuning_job(ctx: ServiceContext, params: Body) -> Body:
    return stop_job(ctx, TUNING, params)


_TUNING_SORT: dict[str, Callable[[Body], Any]] = {
    "Name": lambda body: body[NAME_FIELD],
    "CreationTime": lambda body: body["CreationTime"],
    "Status": lambda body: body[TUNING.status_field],
}


def list_tuning_jobs(ctx: ServiceContext, params: Body) -> Body:
    jobs = [job for job in ctx.store.all(TUNING.kind) if _matches(TUNING, job, params)]
    jobs.sort(key=_TUNING_SORT[params.get("SortBy", "Name")], reverse=params.get("SortOrder") == "Descending")
    page, token = paginate(jobs, params)
    summaries = []
    for job in page:
        status, objective_status = counters(summaries_of(ctx.store, job))
        summary = {f: job[f] for f in TUNING.summary_fields if f in job}
        summary.update(
            {
                "Strategy": job[CONFIG]["Strategy"],
                "TrainingJobStatusCounters": status,
                "ObjectiveStatusCounters": objective_status,
                "ResourceLimits": job[CONFIG]["ResourceLimits"],
            }
        )
        summaries.append(summary)
    answer: Body = {"HyperParameterTuningJobSummaries": summaries}
    if token:
        answer["NextToken"] = token
    return answer


_CHILD_SORT: dict[str, Callable[[Body], Any]] = {
    "Name": lambda s: s["TrainingJobName"],
    "CreationTime": lambda s: s["CreationTime"],
    "Status": lambda s: s["TrainingJobStatus"],
    "FinalObjectiveMetricValue": lambda s: summary_value(s),
}


def list_training_jobs_for_tuning_job(ctx: ServiceContext, params: Body) -> Body:
    name = params[NAME_FIELD]
    tuning = ctx.store.get(TUNING.kind, name)
    if tuning is None:
        raise ResourceNotFound(f"Amazon SageMaker can't find a tuning job with name {name}")
    summaries = summaries_of(ctx.store, tuning)
    if "StatusEquals" in params:
        summaries = [s for s in summaries if s["TrainingJobStatus"] == params["StatusEquals"]]
    sort_by = params.get("SortBy", "Name")
    if sort_by == "FinalObjectiveMetricValue":
        # Training jobs that did not report the objective are left out, as SageMaker documents.
        summaries = [s for s in summaries if summary_value(s) is not None]
    summaries.sort(key=_CHILD_SORT[sort_by], reverse=params.get("SortOrder") == "Descending")
    page, token = paginate(summaries, params)
    answer: Body = {"TrainingJobSummaries": page}
    if token:
        answer["NextToken"] = token
    return answer


OPERATIONS = {
    "CreateHyperParameterTuningJob": create_tuning_job,
    "DescribeHyperParameterTuningJob": describe_tuning_job,
    "StopHyperParameterTuningJob": stop_tuning_job,
    "ListHyperParameterTuningJobs": list_tuning_jobs,
    "ListTrainingJobsForHyperParameterTuningJob": list_training_jobs_for_tuning_job,
}
