"""Tuning settings and requests: seed 000's defaults, every bad setting refused up front with the field,
the value and the fix, and requests that boto3 and the local service's own checks accept."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from local_sagemaker.algorithms import xgboost_builtin
from local_sagemaker.operations.tuning import hyperband_resources
from local_sagemaker.tuning_search import grid_size, parse_ranges
from retraining.builders import checked
from retraining.naming import JOB_NAME, MODEL_NAME, TUNING_JOB_MAX, job_name
from retraining.settings import SeededRunSettings, parse_settings
from retraining.tuning import (
    TuningSettings,
    best_model_and_transform,
    best_training_job,
    parse_tune_run,
    plan_tune_and_transform,
    tuning_request,
)

XGB = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SKL = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
RUN: dict[str, Any] = {
    "bucket": "my-ml-bucket",
    "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "region": "us-east-1",
}
PINNED_FLOATS = {"alpha_max": 0, "gamma_max": 0}  # Grid takes no continuous ranges


def tuning(**values: Any) -> TuningSettings:
    return parse_settings(values, TuningSettings)


def request(settings: TuningSettings, job: str = "tn-tune-20261101-000000-abcdef") -> dict[str, Any]:
    return tuning_request(
        job=job,
        settings=parse_settings(RUN, SeededRunSettings),
        tuning=settings,
        image_uri=XGB,
        train_s3_uri="s3://my-ml-bucket/data/train/",
        validation_s3_uri="s3://my-ml-bucket/data/validation/",
        output_s3_path="s3://my-ml-bucket/models",
    )


def plan(run_id: str = "manual__2026-11-01T00:00:00+00:00", **values: Any) -> dict[str, Any]:
    run, settings = parse_tune_run(RUN, values)
    return plan_tune_and_transform(
        run,
        settings,
        dag_id="tune_and_transform",
        run_id=run_id,
        logical_date=datetime(2026, 11, 1, tzinfo=UTC),
        xgboost_image=XGB,
        processing_image=SKL,
    )


def test_defaults_are_seed_000() -> None:
    body = request(tuning())
    config = body["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Bayesian"
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Minimize", "MetricName": "validation:rmse"}
    assert config["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2}
    ranges = config["ParameterRanges"]
    assert [(r["Name"], r["MinValue"], r["MaxValue"]) for r in ranges["ContinuousParameterRanges"]] == [
        ("alpha", "0", "1000"),
        ("gamma", "0", "5"),
    ]
    assert [(r["Name"], r["MinValue"], r["MaxValue"]) for r in ranges["IntegerParameterRanges"]] == [
        ("max_delta_step", "0", "10"),
        ("max_depth", "0", "10"),
    ]
    definition = body["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"] == {"num_round": "2", "precision_dtype": "float32"}
    assert [c["ChannelName"] for c in definition["InputDataConfig"]] == ["train", "validation"]
    assert "RandomSeed" not in config and "StrategyConfig" not in config


@pytest.mark.parametrize(
    ("values", "field", "expected"),
    [
        ({"alpha_min": 10, "alpha_max": 1}, "alpha_max", "alpha_min <= alpha_max"),
        ({"max_depth_min": 7, "max_depth_max": 3}, "max_depth_max", "below max_depth_min (7)"),
        ({"gamma_min": -0.5}, "gamma_min", "0 or more"),
        ({"max_depth_max": 50}, "max_depth_max", "above 20"),
        ({"alpha_max": float("inf")}, "alpha_max", "finite"),
        ({"max_parallel": 3}, "max_parallel", "lower max_parallel to at most 2"),
        ({"max_jobs": 1}, "max_parallel", "more than max_jobs (1)"),
        ({"max_jobs": 501}, "max_jobs", "less than or equal to 500"),
        ({"max_jobs": 20, "max_parallel": 11}, "max_parallel", "less than or equal to 10"),
        ({"strategy": "Grid"}, "strategy", "pin each (min = max) or use the Bayesian or Random strategy"),
        ({"strategy": "Grid", **PINNED_FLOATS}, "strategy", "= 121 training jobs; set max_jobs to 121"),
        (
            {
                "strategy": "Grid",
                **PINNED_FLOATS,
                "max_delta_step_max": 40,
                "max_jobs": 40,
                "max_parallel": 2,
            },
            "strategy",
            "at most 30",
        ),
        ({"strategy": "Hyperband", "early_stopping": "Auto"}, "strategy", "set early_stopping to Off"),
        ({"strategy": "Simulated annealing"}, "strategy", "'Bayesian', 'Random', 'Grid' or 'Hyperband'"),
        ({"objective_metric": "rmse"}, "objective_metric", "<channel>:<metric>"),
        ({"objective_metric": "test:rmse"}, "objective_metric", "channel validation or train"),
        ({"objective_metric": "validation:rsme"}, "objective_metric", "use one of validation:rmse"),
        ({"objective_metric": "validation:auc"}, "objective_metric", "regression model"),
        ({"objective_type": "Maximize"}, "objective_type", "set objective_type to Minimize"),
        ({"objective_type": "Minimise"}, "objective_type", "'Minimize' or 'Maximize'"),
        ({"num_round": 0}, "num_round", "greater than or equal to 1"),
        ({"random_seed": -1}, "random_seed", "greater than or equal to 0"),
        (
            {"alpha_max": 0, "gamma_max": 0, "max_delta_step_max": 0, "max_depth_max": 0},
            "strategy",
            "nothing to tune",
        ),
        ({"colour": "blue"}, "colour", "Extra inputs"),
    ],
)
def test_each_bad_setting_is_named_with_its_value_and_fix(
    values: dict[str, Any], field: str, expected: str
) -> None:
    with pytest.raises(ValueError) as caught:
        tuning(**values)
    message = str(caught.value)
    given = values.get(field, TuningSettings.model_fields[field].default if field != "colour" else None)
    assert message.startswith(f"{field}: {given!r} "), message
    assert expected in message, message


def test_every_problem_of_a_run_is_reported_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        parse_tune_run({**RUN, "bucket": "s3://x"}, {"max_parallel": 5, "alpha_min": -1})
    message = str(caught.value)
    for field in ("bucket:", "max_parallel:", "alpha_min:"):
        assert field in message, message


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"strategy": "Random", "random_seed": 7, "max_jobs": 10},
        {"strategy": "Hyperband", "num_round": 27, "max_jobs": 9, "max_parallel": 3},
        {"strategy": "Bayesian", "early_stopping": "Auto", "max_jobs": 6},
        {"objective_metric": "train:mae", "alpha_min": 0.001, "alpha_max": 2.5},
        {"strategy": "Grid", **PINNED_FLOATS, "max_depth_min": 2, "max_depth_max": 5, "max_jobs": 44},
    ],
)
def test_requests_pass_boto3_and_the_local_services_own_checks(values: dict[str, Any]) -> None:
    settings = tuning(**values)
    body = checked("CreateHyperParameterTuningJob", request(settings))
    config = body["HyperParameterTuningJobConfig"]
    ranges = parse_ranges(config["ParameterRanges"])  # the service's range checks
    if settings.strategy == "Grid":
        assert grid_size(ranges) == config["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    if settings.strategy == "Hyperband":
        static = body["TrainingJobDefinition"]["StaticHyperParameters"]
        assert hyperband_resources(config, static) == (1, settings.num_round)
    # Every corner of the ranges is a set of hyperparameters the XGBoost container accepts.
    static = body["TrainingJobDefinition"]["StaticHyperParameters"]
    corners = [
        [(r["Name"], v) for v in r.get("Values") or (r["MinValue"], r["MaxValue"])]
        for kind in config["ParameterRanges"].values()
        for r in kind
    ]
    for corner in itertools.product(*corners):
        xgboost_builtin.parse_hyperparameters(
            {**static, **dict(corner), "_tuning_objective_metric": settings.objective_metric}
        )


def test_grid_lists_integer_values_and_a_pinned_range_is_static() -> None:
    settings = tuning(strategy="Grid", **PINNED_FLOATS, max_delta_step_max=0, max_depth_max=3, max_jobs=4)
    body = request(settings)
    assert body["HyperParameterTuningJobConfig"]["ParameterRanges"] == {
        "CategoricalParameterRanges": [{"Name": "max_depth", "Values": ["0", "1", "2", "3"]}]
    }
    static = body["TrainingJobDefinition"]["StaticHyperParameters"]
    assert static == {
        "num_round": "2",
        "precision_dtype": "float32",
        "alpha": "0",
        "gamma": "0",
        "max_delta_step": "0",
    }


def test_optional_settings_reach_the_request() -> None:
    config = request(tuning(random_seed=3, early_stopping="Auto", alpha_min=0.5, num_round=9))[
        "HyperParameterTuningJobConfig"
    ]
    assert config["RandomSeed"] == 3 and config["TrainingJobEarlyStoppingType"] == "Auto"
    assert config["ParameterRanges"]["ContinuousParameterRanges"][0]["MinValue"] == "0.5"
    hyperband = request(tuning(strategy="Hyperband", num_round=30))["HyperParameterTuningJobConfig"]
    assert hyperband["StrategyConfig"] == {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 30}}


def test_tuning_job_names_fit_32_characters() -> None:
    with pytest.raises(ValueError, match="at most 32"):
        request(tuning(), job="x" * 33)
    with pytest.raises(ValueError, match="not valid"):
        request(tuning(), job="bad_name")
    long_key = "20261101-000000-abcdef"
    name = job_name("tune-and-transform", "tune", long_key, max_length=TUNING_JOB_MAX)
    assert len(name) <= TUNING_JOB_MAX and name.endswith(long_key) and JOB_NAME.match(name)


def test_plan_is_deterministic_per_run_and_wires_jobs_together() -> None:
    p = plan()
    assert p == plan()
    other = plan("scheduled__2026-11-01T00:00:00+00:00")
    assert other["tuning_job_name"] != p["tuning_job_name"]
    assert len(p["tuning_job_name"]) <= TUNING_JOB_MAX
    assert p["tuning_request"]["HyperParameterTuningJobName"] == p["tuning_job_name"]
    outputs = {
        o["OutputName"]: o["S3Output"]["S3Uri"]
        for o in p["seed_request"]["ProcessingOutputConfig"]["Outputs"]
    }
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"].rstrip("/")
        for c in p["tuning_request"]["TrainingJobDefinition"]["InputDataConfig"]
    }
    assert channels == {"train": outputs["train"], "validation": outputs["validation"]}
    assert p["transform_input_s3_uri"].rstrip("/") == outputs["test"]
    assert p["test_labels_s3_uri"].startswith(outputs["test_labels"] + "/")
    for name in (p["seed_job_name"], p["tuning_job_name"], p["transform_job_name"]):
        assert JOB_NAME.match(name)


def test_plan_refuses_bad_settings_before_any_request_exists() -> None:
    with pytest.raises(ValueError, match="max_parallel: 4"):
        plan(max_parallel=4)


def described(status: str = "Completed", best: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "HyperParameterTuningJobName": "tn-tune-x",
        "HyperParameterTuningJobStatus": status,
    }
    if best:
        body["BestTrainingJob"] = {
            "TrainingJobName": "tn-tune-x-002-0f0444b1",
            "TunedHyperParameters": {"alpha": "3.5", "max_depth": "4"},
            "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:rmse", "Value": 0.12},
        }
    return body


def test_best_training_job_is_read_from_the_description() -> None:
    assert best_training_job(described()) == {
        "name": "tn-tune-x-002-0f0444b1",
        "metric": "validation:rmse",
        "value": 0.12,
        "hyperparameters": {"alpha": "3.5", "max_depth": "4"},
    }
    failed = {**described("Failed", best=False), "FailureReason": "All training jobs failed"}
    with pytest.raises(ValueError, match="tn-tune-x ended Failed without a best training job: All training"):
        best_training_job(failed)
    with pytest.raises(ValueError, match="ended Stopped"):
        best_training_job(described("Stopped"))


def test_model_is_named_after_the_best_training_job_and_the_transform_uses_it() -> None:
    p = plan()
    best = "tn-tune-20261101-000000-abcdef-002-0f0444b1"
    configs = best_model_and_transform(p, best, "s3://my-ml-bucket/models/x/output/model.tar.gz")
    assert configs["model_name"] == best and MODEL_NAME.match(best)
    assert configs["model"]["ModelName"] == configs["transform"]["ModelName"] == best
    assert configs["model"]["PrimaryContainer"]["ModelDataUrl"].endswith("/model.tar.gz")
    assert configs["transform"]["TransformJobName"] == p["transform_job_name"]
    assert (
        configs["transform"]["TransformOutput"]["S3OutputPath"] + "/test.csv.out"
        == p["transform_output_s3_uri"]
    )
