"""Hyperparameter tuning jobs through boto3: real child training jobs, SageMaker's states, counters and names."""

from __future__ import annotations

import copy
import re
import signal
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, channel, unique, wait_for, wait_until_done

STATIC = {"objective": "reg:logistic", "eval_metric": "rmse", "num_round": "5"}
RANGES: dict[str, Any] = {
    "IntegerParameterRanges": [
        {"Name": "max_depth", "MinValue": "1", "MaxValue": "6", "ScalingType": "Linear"}
    ],
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
    ],
}


def tuning_name(prefix: str = "tune") -> str:
    return unique(prefix)[:32]


def tuning_request(
    dataset: dict[str, Any],
    name: str | None = None,
    *,
    strategy: str = "Bayesian",
    max_jobs: int | None = 4,
    parallel: int = 2,
    ranges: dict[str, Any] | None = None,
    static: dict[str, str] | None = None,
    metric: str = "validation:rmse",
    objective_type: str = "Minimize",
    channels: tuple[str, ...] = ("train", "validation"),
    **config: Any,
) -> dict[str, Any]:
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": parallel}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    return {
        "HyperParameterTuningJobName": name or tuning_name(),
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy,
            "HyperParameterTuningJobObjective": {"Type": objective_type, "MetricName": metric},
            "ResourceLimits": limits,
            "ParameterRanges": copy.deepcopy(RANGES if ranges is None else ranges),
            "RandomSeed": 7,
            **config,
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "InputDataConfig": [channel(c, dataset["uris"][c]) for c in channels],
            "OutputDataConfig": {"S3OutputPath": f"s3://{dataset['bucket']}/{dataset['prefix']}/tuning"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
            "StaticHyperParameters": dict(STATIC if static is None else static),
        },
    }


def wait_tuning(sagemaker: Any, name: str, timeout_seconds: float = 120) -> dict[str, Any]:
    return wait_until_done(
        lambda: sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name),
        "HyperParameterTuningJobStatus",
        timeout_seconds,
    )


def children_of(sagemaker: Any, name: str) -> list[dict[str, Any]]:
    pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=name, PaginationConfig={"PageSize": 2}
    )
    return [summary for page in pages for summary in page["TrainingJobSummaries"]]


def objective(summary: dict[str, Any]) -> float:
    return float(summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])


@pytest.fixture(scope="module")
def finished_tuning(sagemaker: Any, dataset: dict[str, Any]) -> dict[str, Any]:
    """One completed Bayesian tuning job: 4 children, 2 at a time."""
    request = tuning_request(dataset)
    answer = sagemaker.create_hyper_parameter_tuning_job(**request)
    assert answer["HyperParameterTuningJobArn"].endswith(
        f":hyper-parameter-tuning-job/{request['HyperParameterTuningJobName'].lower()}"
    )
    job = wait_tuning(sagemaker, request["HyperParameterTuningJobName"])
    return {
        "request": request,
        "job": job,
        "children": children_of(sagemaker, job["HyperParameterTuningJobName"]),
    }


def test_tuning_job_runs_its_children_and_names_the_best(
    sagemaker: Any, finished_tuning: dict[str, Any]
) -> None:
    job, children = finished_tuning["job"], finished_tuning["children"]
    name = job["HyperParameterTuningJobName"]
    assert job["HyperParameterTuningJobStatus"] == "Completed"
    assert job["TrainingJobStatusCounters"] == {
        "Completed": 4,
        "InProgress": 0,
        "RetryableError": 0,
        "NonRetryableError": 0,
        "Stopped": 0,
    }
    assert job["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}
    assert job["CreationTime"] <= job["HyperParameterTuningEndTime"]
    assert job["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Off"

    assert len(children) == 4
    assert sorted(int(c["TrainingJobName"].split("-")[-2]) for c in children) == [1, 2, 3, 4]
    for child in children:
        assert re.fullmatch(rf"{name}-\d{{3}}-[0-9a-f]{{8}}", child["TrainingJobName"])
        assert child["TuningJobName"] == name
        assert child["ObjectiveStatus"] == "Succeeded"
        tuned = child["TunedHyperParameters"]
        assert set(tuned) == {"max_depth", "eta"}
        assert 1 <= int(tuned["max_depth"]) <= 6 and 0.05 <= float(tuned["eta"]) <= 0.5

    best = min(children, key=objective)
    assert job["BestTrainingJob"]["TrainingJobName"] == best["TrainingJobName"]
    assert job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"] == {
        "MetricName": "validation:rmse",
        "Value": objective(best),
    }
    assert job["BestTrainingJob"]["TunedHyperParameters"] == best["TunedHyperParameters"]
    assert job["BestTrainingJob"]["TrainingJobStatus"] == "Completed"


def test_children_are_ordinary_training_jobs(sagemaker: Any, finished_tuning: dict[str, Any]) -> None:
    job, children = finished_tuning["job"], finished_tuning["children"]
    name = job["HyperParameterTuningJobName"]
    for summary in children:
        child = sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"])
        assert child["TuningJobArn"] == job["HyperParameterTuningJobArn"]
        assert child["TrainingJobStatus"] == "Completed"
        assert child["HyperParameters"] == {
            **STATIC,
            **summary["TunedHyperParameters"],
            "_tuning_objective_metric": "validation:rmse",
        }
        metrics = {m["MetricName"]: m["Value"] for m in child["FinalMetricDataList"]}
        assert metrics["validation:rmse"] == pytest.approx(objective(summary))
        assert child["ModelArtifacts"]["S3ModelArtifacts"].endswith(
            f"/{summary['TrainingJobName']}/output/model.tar.gz"
        )

    listed = sagemaker.list_training_jobs(NameContains=name, MaxResults=100)["TrainingJobSummaries"]
    assert {s["TrainingJobName"] for s in listed} == {c["TrainingJobName"] for c in children}

    # Two at a time, really at the same time: some training overlapped, never more than two.
    spans = [(c["TrainingStartTime"], c["TrainingEndTime"]) for c in children]
    overlaps = [sum(1 for s, e in spans if s <= start < e) for start, _ in spans]
    assert max(overlaps) == 2


def test_list_operations_sort_filter_and_page(sagemaker: Any, finished_tuning: dict[str, Any]) -> None:
    name = finished_tuning["job"]["HyperParameterTuningJobName"]
    summaries = sagemaker.list_hyper_parameter_tuning_jobs(NameContains=name)[
        "HyperParameterTuningJobSummaries"
    ]
    assert len(summaries) == 1
    assert summaries[0]["HyperParameterTuningJobStatus"] == "Completed"
    assert summaries[0]["Strategy"] == "Bayesian"
    assert summaries[0]["TrainingJobStatusCounters"]["Completed"] == 4
    assert summaries[0]["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2}
    assert (
        sagemaker.list_hyper_parameter_tuning_jobs(NameContains=name, StatusEquals="InProgress")[
            "HyperParameterTuningJobSummaries"
        ]
        == []
    )

    by_value = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, SortBy="FinalObjectiveMetricValue", SortOrder="Ascending"
    )["TrainingJobSummaries"]
    values = [objective(s) for s in by_value]
    assert values == sorted(values) and len(values) == 4
    first_page = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=3
    )
    assert len(first_page["TrainingJobSummaries"]) == 3 and "NextToken" in first_page
    assert (
        sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, StatusEquals="Failed"
        )["TrainingJobSummaries"]
        == []
    )


def test_provider_hook_and_sensor_read_the_tuning_job(
    local_stack: Any, finished_tuning: dict[str, Any]
) -> None:
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
    from airflow.providers.amazon.aws.sensors.sagemaker import SageMakerTuningSensor

    name = finished_tuning["job"]["HyperParameterTuningJobName"]
    description = SageMakerHook(aws_conn_id="aws_default").describe_tuning_job(name)
    assert description["HyperParameterTuningJobStatus"] == "Completed"
    assert (
        description["BestTrainingJob"]["TrainingJobName"]
        == finished_tuning["job"]["BestTrainingJob"]["TrainingJobName"]
    )
    sensor = SageMakerTuningSensor(task_id="sense", job_name=name, aws_conn_id="aws_default")
    assert sensor.poke(context={}) is True


def test_grid_through_the_provider_operator_runs_every_combination_once(
    local_stack: Any, sagemaker: Any, dataset: dict[str, Any]
) -> None:
    from airflow.providers.amazon.aws.operators.sagemaker import SageMakerTuningOperator

    request = tuning_request(
        dataset,
        strategy="Grid",
        max_jobs=None,
        ranges={"CategoricalParameterRanges": [{"Name": "max_depth", "Values": ["1", "4"]}]},
        metric="validation:r2",
        objective_type="Maximize",
    )
    operator = SageMakerTuningOperator(
        task_id="tune", config=request, wait_for_completion=True, check_interval=1, aws_conn_id="aws_default"
    )
    job = operator.execute(context={})["Tuning"]

    assert job["HyperParameterTuningJobStatus"] == "Completed"
    assert job["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 2
    children = children_of(sagemaker, request["HyperParameterTuningJobName"])
    assert sorted(c["TunedHyperParameters"]["max_depth"] for c in children) == ["1", "4"]
    best = max(children, key=objective)
    assert job["BestTrainingJob"]["TrainingJobName"] == best["TrainingJobName"]
    assert job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == objective(best)


def test_warm_start_seeds_the_search_with_the_parents_results(
    sagemaker: Any, local_stack: Any, dataset: dict[str, Any], finished_tuning: dict[str, Any]
) -> None:
    parent = finished_tuning["job"]
    request = tuning_request(
        dataset,
        max_jobs=2,
        WarmStartConfig={
            "ParentHyperParameterTuningJobs": [
                {"HyperParameterTuningJobName": parent["HyperParameterTuningJobName"]}
            ],
            "WarmStartType": "IdenticalDataAndAlgorithm",
        },
    )
    request["WarmStartConfig"] = request["HyperParameterTuningJobConfig"].pop("WarmStartConfig")
    sagemaker.create_hyper_parameter_tuning_job(**request)
    name = request["HyperParameterTuningJobName"]
    job = wait_tuning(sagemaker, name)

    assert job["HyperParameterTuningJobStatus"] == "Completed"
    assert job["WarmStartConfig"] == request["WarmStartConfig"]
    own = children_of(sagemaker, name)
    assert len(own) == 2 and all(c["TuningJobName"] == name for c in own)
    # BestTrainingJob is among this job's children; OverallBestTrainingJob among the parents' too.
    assert job["BestTrainingJob"]["TrainingJobName"] == min(own, key=objective)["TrainingJobName"]
    overall = min(own + finished_tuning["children"], key=objective)
    assert job["OverallBestTrainingJob"]["TrainingJobName"] == overall["TrainingJobName"]
    # The parent's four evaluated points went into the search before the first child was asked for.
    log = local_stack.base_dir / "sagemaker" / "jobs" / "hyper-parameter-tuning-job" / name / "job.log"
    assert "4 evaluated point(s) from 1 parent job(s) seed the search" in log.read_text()


def test_stop_stops_the_running_children(sagemaker: Any, dataset: dict[str, Any]) -> None:
    request = tuning_request(dataset, static={**STATIC, "num_round": "1000000"}, max_jobs=5)
    name = request["HyperParameterTuningJobName"]
    sagemaker.create_hyper_parameter_tuning_job(**request)

    def training() -> list[str]:
        return [
            c["TrainingJobName"]
            for c in children_of(sagemaker, name)
            if sagemaker.describe_training_job(TrainingJobName=c["TrainingJobName"])["SecondaryStatus"]
            == "Training"
        ]

    wait_for(lambda: len(training()) == 2, "two children training")
    # A child stopped on its own through the API ends Stopped, and the tuning job starts the next one.
    first = training()[0]
    sagemaker.stop_training_job(TrainingJobName=first)
    wait_for(lambda: len(children_of(sagemaker, name)) == 3, "a third child")
    assert sagemaker.describe_training_job(TrainingJobName=first)["TrainingJobStatus"] in (
        "Stopping",
        "Stopped",
    )

    sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    status = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert status["HyperParameterTuningJobStatus"] in ("Stopping", "Stopped")
    job = wait_tuning(sagemaker, name, timeout_seconds=60)

    assert job["HyperParameterTuningJobStatus"] == "Stopped"
    children = children_of(sagemaker, name)
    assert len(children) == 3, "no child starts once the tuning job is stopping"
    assert {c["TrainingJobStatus"] for c in children} == {"Stopped"}
    assert (
        job["TrainingJobStatusCounters"]["Stopped"] == 3
        and job["TrainingJobStatusCounters"]["InProgress"] == 0
    )
    with pytest.raises(ClientError) as caught:
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_no_objective_from_any_child_fails_the_tuning_job_clearly(
    sagemaker: Any, dataset: dict[str, Any]
) -> None:
    # validation:rmse is a valid XGBoost objective, but without a validation channel no child reports it.
    request = tuning_request(dataset, max_jobs=2, channels=("train",))
    sagemaker.create_hyper_parameter_tuning_job(**request)
    job = wait_tuning(sagemaker, request["HyperParameterTuningJobName"])
    assert job["HyperParameterTuningJobStatus"] == "Failed"
    assert "No training job reported the objective metric validation:rmse" in job["FailureReason"]
    assert "'validation' channel" in job["FailureReason"]
    assert job["ObjectiveStatusCounters"] == {"Succeeded": 0, "Pending": 0, "Failed": 2}
    assert job["TrainingJobStatusCounters"]["Completed"] == 2
    assert "BestTrainingJob" not in job


def _ranges(**lists: list[dict[str, Any]]) -> dict[str, Any]:
    return {f"{kind}ParameterRanges": items for kind, items in lists.items()}


BAD_CONFIGS: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    "logarithmic from zero": (
        lambda r: r["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"][
            0
        ].update(MinValue="0"),
        "ValidationException",
        "ContinuousParameterRanges[0] (eta).ScalingType: Logarithmic",
    ),
    "reverse logarithmic up to one": (
        lambda r: r["HyperParameterTuningJobConfig"].update(
            ParameterRanges=_ranges(
                Continuous=[
                    {
                        "Name": "subsample",
                        "MinValue": "0.5",
                        "MaxValue": "1",
                        "ScalingType": "ReverseLogarithmic",
                    }
                ]
            )
        ),
        "ValidationException",
        "ContinuousParameterRanges[0] (subsample).ScalingType: ReverseLogarithmic",
    ),
    "reverse logarithmic integers": (
        lambda r: r["HyperParameterTuningJobConfig"]["ParameterRanges"]["IntegerParameterRanges"][0].update(
            ScalingType="ReverseLogarithmic"
        ),
        "ValidationException",
        "IntegerParameterRanges[0] (max_depth).ScalingType",
    ),
    "minimum above maximum": (
        lambda r: r["HyperParameterTuningJobConfig"]["ParameterRanges"]["IntegerParameterRanges"][0].update(
            MinValue="7"
        ),
        "ValidationException",
        "IntegerParameterRanges[0] (max_depth)",
    ),
    "range outside what the algorithm accepts": (
        lambda r: r["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"][
            0
        ].update(MaxValue="2"),
        "ValidationException",
        "ContinuousParameterRanges[0]: Hyperparameter eta",
    ),
    "grid over a continuous range": (
        lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Grid"),
        "ValidationException",
        "Grid strategy supports only categorical parameters",
    ),
    "grid with another job count": (
        lambda r: r["HyperParameterTuningJobConfig"].update(
            Strategy="Grid",
            ParameterRanges=_ranges(Categorical=[{"Name": "max_depth", "Values": ["2", "3"]}]),
        ),
        "ValidationException",
        "ResourceLimits.MaxNumberOfTrainingJobs: with the Grid strategy it must equal",
    ),
    "random without a job count": (
        lambda r: r["HyperParameterTuningJobConfig"].update(
            Strategy="Random", ResourceLimits={"MaxParallelTrainingJobs": 2}
        ),
        "ValidationException",
        "ResourceLimits.MaxNumberOfTrainingJobs is required",
    ),
    "more than 500 training jobs": (
        lambda r: r["HyperParameterTuningJobConfig"]["ResourceLimits"].update(MaxNumberOfTrainingJobs=501),
        "ResourceLimitExceeded",
        "'Number of training jobs per hyperparameter tuning job' is 500",
    ),
    "more than 10 parallel training jobs": (
        lambda r: r["HyperParameterTuningJobConfig"]["ResourceLimits"].update(MaxParallelTrainingJobs=11),
        "ResourceLimitExceeded",
        "'Number of concurrent training jobs per hyperparameter tuning job' is 10",
    ),
    "name longer than 32 characters": (
        lambda r: r.update(HyperParameterTuningJobName="t" * 33),
        "ValidationException",
        "hyperParameterTuningJobName",
    ),
    "objective the algorithm does not emit": (
        lambda r: r["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"].update(
            MetricName="validation:accuracy-ish"
        ),
        "ValidationException",
        "HyperParameterTuningJobObjective.MetricName: The objective metric for the hyperparameter tuning job, "
        "[validation:accuracy-ish], isn't valid for the [xgboost] algorithm",
    ),
    "objective the objective function cannot give": (
        lambda r: r["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"].update(
            MetricName="validation:auc", Type="Maximize"
        ),
        "ValidationException",
        "HyperParameterTuningJobObjective.MetricName (validation:auc, evaluated by the algorithm): "
        "Hyperparameter eval_metric: metric 'auc' can only be applied for classification",
    ),
    "no objective": (
        lambda r: r["HyperParameterTuningJobConfig"].pop("HyperParameterTuningJobObjective"),
        "ValidationException",
        "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective is required",
    ),
    "static and tuned at once": (
        lambda r: r["TrainingJobDefinition"]["StaticHyperParameters"].update(eta="0.1"),
        "ValidationException",
        "TrainingJobDefinition.StaticHyperParameters: 'eta' is also tuned",
    ),
    "bad static hyperparameter": (
        lambda r: r["TrainingJobDefinition"]["StaticHyperParameters"].update(objective="reg:nonsense"),
        "ValidationException",
        "TrainingJobDefinition.StaticHyperParameters: Hyperparameter objective",
    ),
    "unsupported image": (
        lambda r: r["TrainingJobDefinition"]["AlgorithmSpecification"].update(
            TrainingImage="example.com/mine:1"
        ),
        "ValidationException",
        "TrainingJobDefinition.AlgorithmSpecification.TrainingImage",
    ),
    "hyperband with early stopping": (
        lambda r: r["HyperParameterTuningJobConfig"].update(
            Strategy="Hyperband",
            TrainingJobEarlyStoppingType="Auto",
            StrategyConfig={"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 5}},
        ),
        "ValidationException",
        "TrainingJobEarlyStoppingType: must be Off to use Hyperband",
    ),
    "hyperband without a resource": (
        lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Hyperband"),
        "ValidationException",
        "HyperbandStrategyConfig.MaxResource",
    ),
    "hyperband settings for bayesian": (
        lambda r: r["HyperParameterTuningJobConfig"].update(
            StrategyConfig={"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 5}}
        ),
        "ValidationException",
        "HyperParameterTuningJobConfig.StrategyConfig: only for the Hyperband strategy",
    ),
    "six parents": (
        lambda r: r.update(
            WarmStartConfig={
                "ParentHyperParameterTuningJobs": [
                    {"HyperParameterTuningJobName": f"p{i}"} for i in range(6)
                ],
                "WarmStartType": "TransferLearning",
            }
        ),
        "ValidationException",
        "warmStartConfig.parentHyperParameterTuningJobs",
    ),
    "unknown parent": (
        lambda r: r.update(
            WarmStartConfig={
                "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "no-such-tuning-job"}],
                "WarmStartType": "TransferLearning",
            }
        ),
        "ValidationException",
        "WarmStartConfig.ParentHyperParameterTuningJobs[0]: hyperparameter tuning job 'no-such-tuning-job' does not exist",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_configs_are_rejected_naming_the_field(
    sagemaker: Any, dataset: dict[str, Any], case: str
) -> None:
    change, code, message = BAD_CONFIGS[case]
    request = tuning_request(dataset)
    change(request)
    with pytest.raises(ClientError) as caught:
        sagemaker.create_hyper_parameter_tuning_job(**request)
    assert caught.value.response["Error"]["Code"] == code
    assert message in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError):  # nothing was created
        sagemaker.describe_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=request["HyperParameterTuningJobName"][:32]
        )


def test_names_and_unknown_jobs_answer_as_sagemaker_does(
    sagemaker: Any, dataset: dict[str, Any], finished_tuning: dict[str, Any]
) -> None:
    taken = finished_tuning["job"]["HyperParameterTuningJobName"]
    with pytest.raises(ClientError) as caught:
        sagemaker.create_hyper_parameter_tuning_job(**tuning_request(dataset, taken))
    assert caught.value.response["Error"]["Code"] == "ResourceInUse"
    assert (
        f"A hyperparameter tuning job with the name, {taken}, already exists."
        in caught.value.response["Error"]["Message"]
    )
    with pytest.raises(ClientError) as caught:
        sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="no-such-tuning-job")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as caught:
        sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="no-such-tuning-job"
        )
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"


def test_running_tuning_job_fails_with_a_reason_when_the_service_dies(
    sagemaker: Any, local_stack: Any, dataset: dict[str, Any]
) -> None:
    from local_sagemaker.stack import stop_service, up

    request = tuning_request(dataset, static={**STATIC, "num_round": "1000000"}, max_jobs=2)
    name = request["HyperParameterTuningJobName"]
    sagemaker.create_hyper_parameter_tuning_job(**request)
    wait_for(lambda: len(children_of(sagemaker, name)) == 2, "two children")

    stop_service(local_stack, "sagemaker", signal.SIGKILL)
    up(local_stack)

    job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert job["HyperParameterTuningJobStatus"] == "Failed"
    assert "stopped while this job was running" in job["FailureReason"]
    for child in children_of(sagemaker, name):
        assert child["TrainingJobStatus"] == "Failed"
        assert "stopped while this job was running" in child["FailureReason"]
