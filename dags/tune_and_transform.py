"""
### Tune a model's hyperparameters and batch-transform a test set (SageMaker)

The AWS "tune a machine learning model" sample (Step Functions, seed 000) on Airflow, without its Lambda
functions: a processing job seeds the bucket with train / validation / test data, a hyperparameter tuning
job runs SageMaker's built-in XGBoost over ranges of alpha, gamma, max_delta_step and max_depth, a model
named after the **best training job** is created from that job's artifact, a batch transform scores the
test set with it, and the last task evaluates the transform output against the held-out labels.

The defaults are the sample's: Bayesian search, 2 training jobs, 2 at a time, minimising
`validation:rmse`, `num_round=2`. Every setting is checked before any job starts; a bad one fails the
run at once with the field, the value and the fix.

Every long job is an operator with `wait_for_completion=False` followed by its sensor in reschedule mode.
Job names derive from the run, so a retried task or a re-run re-attaches to its own job (or reuses it
when it completed) instead of starting a duplicate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import Param, XComArg, chain, dag, task

from retraining.dag_defaults import AWS_CONN_ID, DEFAULT_ARGS
from retraining_airflow.building_blocks import (
    bucket_param,
    connection_region,
    instance_type_param,
    invalid_params_fail_the_task,
    role_arn_param,
    score_transform_output,
    start_and_await,
    upload_code,
)
from retraining_airflow.idempotent import (
    IdempotentModelOperator,
    IdempotentProcessingOperator,
    IdempotentTransformOperator,
    IdempotentTuningOperator,
)

# Kept in step with retraining.tuning (which parse time must not import: it loads botocore and pydantic).
OBJECTIVE_METRICS = [
    "validation:rmse",
    "validation:mae",
    "validation:mse",
    "train:rmse",
    "train:mae",
    "train:mse",
]
TUNING_PARAMS = [
    "strategy",
    "max_jobs",
    "max_parallel",
    "objective_metric",
    "objective_type",
    "early_stopping",
    "random_seed",
    "num_round",
    "alpha_min",
    "alpha_max",
    "gamma_min",
    "gamma_max",
    "max_delta_step_min",
    "max_delta_step_max",
    "max_depth_min",
    "max_depth_max",
]


def _range_params(
    name: str, kind: str, low: float, high: float, ceiling: float, what: str
) -> dict[str, Param]:
    return {
        f"{name}_{end}": Param(
            value,
            type=kind,
            title=f"{name}: {'lowest' if end == 'min' else 'highest'} value tried",
            description=(
                f"{what} The tuning job searches {name}_min..{name}_max (seed 000: {low:g}..{high:g}); "
                "set both equal to keep it fixed."
            ),
            minimum=0,
            maximum=ceiling,
        )
        for end, value in (("min", low), ("max", high))
    }


@dag(
    dag_id="tune_and_transform",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["sagemaker", "xgboost", "tuning"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "bucket": bucket_param(),
        "role_arn": role_arn_param(),
        "strategy": Param(
            "Bayesian",
            type="string",
            enum=["Bayesian", "Random", "Grid", "Hyperband"],
            title="Search strategy",
            description=(
                "How the next hyperparameters are chosen. Grid tries every combination of integer values "
                "(pin alpha and gamma, and set max_jobs to the number of combinations); Hyperband stops "
                "losing training jobs early."
            ),
        ),
        "max_jobs": Param(
            2,
            type="integer",
            minimum=1,
            maximum=500,
            title="Training jobs in all",
            description="MaxNumberOfTrainingJobs: how many training jobs the tuning job may run.",
        ),
        "max_parallel": Param(
            2,
            type="integer",
            minimum=1,
            maximum=10,
            title="Training jobs at a time",
            description="MaxParallelTrainingJobs: at most max_jobs. More at once finishes sooner but "
            "leaves the Bayesian search less to learn from.",
        ),
        "objective_metric": Param(
            "validation:rmse",
            type="string",
            enum=OBJECTIVE_METRICS,
            title="Objective metric",
            description="The metric the best training job is chosen by (the model is a regression).",
        ),
        "objective_type": Param(
            "Minimize",
            type="string",
            enum=["Minimize", "Maximize"],
            title="Objective direction",
            description="Minimize for error metrics such as rmse, mae and mse.",
        ),
        "early_stopping": Param(
            "Off",
            type="string",
            enum=["Off", "Auto"],
            title="Early stopping of training jobs",
            description="Auto stops a training job whose objective trails the median of earlier ones "
            "(needs Off with Hyperband).",
        ),
        "random_seed": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            title="Search seed",
            description="RandomSeed of the search, for reproducible hyperparameter choices; empty for none.",
        ),
        "num_round": Param(
            2,
            type="integer",
            minimum=1,
            maximum=2000,
            title="Boosting rounds",
            description="Static num_round of every training job (seed 000: 2).",
        ),
        **_range_params("alpha", "number", 0, 1000, 100_000, "L1 regularisation on weights."),
        **_range_params("gamma", "number", 0, 5, 1000, "Minimum loss reduction to split a leaf."),
        **_range_params("max_delta_step", "integer", 0, 10, 100, "Cap on each leaf's weight step."),
        **_range_params("max_depth", "integer", 0, 10, 20, "Maximum tree depth (0: no limit)."),
        "training_instance_type": instance_type_param("Training instance type", "ml.m4.xlarge"),
        "transform_instance_type": instance_type_param("Transform instance type", "ml.m4.xlarge"),
        "rows": Param(20000, type="integer", minimum=100, maximum=5_000_000, title="Rows of seed data"),
        "data_seed": Param(42, type="integer", minimum=0, title="Random seed of the seed data"),
    },
)
def tune_and_transform() -> None:
    @task
    def plan(**context: Any) -> dict[str, Any]:
        """Validate the run's parameters and build the requests, before any job starts."""
        from retraining.images import sklearn_processing_image_uri, xgboost_image_uri
        from retraining.tuning import parse_tune_run, plan_tune_and_transform

        params = context["params"]
        region = connection_region()
        run_values = {
            "bucket": params["bucket"],
            "role_arn": params["role_arn"],
            "region": region,
            "training_instance_type": params["training_instance_type"],
            "transform_instance_type": params["transform_instance_type"],
            "rows": params["rows"],
            "data_seed": params["data_seed"],
        }
        with invalid_params_fail_the_task():
            run, tuning = parse_tune_run(run_values, {name: params[name] for name in TUNING_PARAMS})
        return plan_tune_and_transform(
            run,
            tuning,
            dag_id=context["dag"].dag_id,
            run_id=context["run_id"],
            logical_date=context.get("logical_date"),
            xgboost_image=xgboost_image_uri(run.region),
            processing_image=sklearn_processing_image_uri(run.region),
        )

    @task
    def upload_seed_script(plan: dict[str, Any]) -> str:
        """Put the seeding script where the processing job's `code` input reads it."""
        from retraining.scripts import seed_data

        return upload_code(plan["code_s3_uri"], seed_data)[0]

    @task
    def best_model(plan: dict[str, Any], tuning_job: str) -> dict[str, Any]:
        """The tuning job's best training job and its artifact: the model is named after that job."""
        from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
        from airflow.sdk.exceptions import AirflowFailException

        from retraining.tuning import best_model_and_transform, best_training_job

        hook = SageMakerHook(aws_conn_id=AWS_CONN_ID)
        try:
            best = best_training_job(hook.describe_tuning_job(tuning_job))
        except ValueError as error:
            raise AirflowFailException(str(error)) from None
        artifact = hook.describe_training_job(best["name"])["ModelArtifacts"]["S3ModelArtifacts"]
        print(f"best training job of {tuning_job}: {best['name']} ({best['metric']} = {best['value']})")
        return {
            "tuning_job": tuning_job,
            "best_training_job": best["name"],
            "objective_metric": best["metric"],
            "objective_value": best["value"],
            "tuned_hyperparameters": best["hyperparameters"],
            "model_data_url": artifact,
            **best_model_and_transform(plan, best["name"], artifact),
        }

    @task
    def evaluate(plan: dict[str, Any], best: dict[str, Any]) -> dict[str, Any]:
        """Score the transform output against the held-out labels."""
        metrics = score_transform_output(plan["transform_output_s3_uri"], plan["test_labels_s3_uri"])
        print(
            f"test rmse of {best['model_name']}'s transform output: {metrics['rmse']:.5f} over {metrics['n']} "
            f"rows ({best['objective_metric']} in tuning: {best['objective_value']})"
        )
        return {
            **metrics,
            "model_name": best["model_name"],
            "transform_output_s3_uri": plan["transform_output_s3_uri"],
        }

    # TaskFlow calls return XComArgs that resolve to the annotated values at run time.
    planned: Any = plan()
    seed_data, await_seed_data = start_and_await(
        IdempotentProcessingOperator, "seed_data", planned["seed_request"], "await_seed_data"
    )
    tune, await_tuning = start_and_await(
        IdempotentTuningOperator, "tune", planned["tuning_request"], "await_tuning"
    )
    tuning_job: Any = XComArg(tune, key="job_name")
    best: Any = best_model(planned, tuning_job)
    create_model = IdempotentModelOperator(
        task_id="create_model", config=best["model"], aws_conn_id=AWS_CONN_ID
    )
    transform, await_transform = start_and_await(
        IdempotentTransformOperator, "transform", best["transform"], "await_transform"
    )

    chain(
        planned,
        upload_seed_script(planned),
        seed_data,
        await_seed_data,
        tune,
        await_tuning,
        best,
        create_model,
        transform,
        await_transform,
        evaluate(planned, best),
    )


tune_and_transform()
