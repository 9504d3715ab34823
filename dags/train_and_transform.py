"""
### Train a model and batch-transform a test set (SageMaker)

The AWS "train a machine learning model" sample, on Airflow: a processing job seeds the bucket with
train / validation / test data, SageMaker's built-in XGBoost trains (`reg:logistic`, rmse), a model is
created from the job's artifact, a batch transform scores the test set, and the last task evaluates the
transform output against the held-out labels.

Every long job is an operator with `wait_for_completion=False` followed by its sensor in reschedule mode,
so no worker slot is held while SageMaker works. Job names derive from the run, and a retried task
re-attaches to its own job instead of starting a duplicate.
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
    IdempotentTrainingOperator,
    IdempotentTransformOperator,
)


@dag(
    dag_id="train_and_transform",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["sagemaker", "xgboost", "training"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "bucket": bucket_param(),
        "role_arn": role_arn_param(),
        "training_instance_type": instance_type_param("Training instance type"),
        "transform_instance_type": instance_type_param("Transform instance type"),
        "objective": Param(
            "reg:logistic",
            type="string",
            enum=["reg:logistic", "reg:squarederror", "binary:logistic"],
            title="XGBoost objective",
        ),
        "eval_metric": Param(
            "rmse", type="string", enum=["rmse", "mae", "logloss", "auc"], title="Evaluation metric"
        ),
        "num_round": Param(5, type="integer", minimum=1, maximum=2000, title="Boosting rounds"),
        "max_depth": Param(5, type="integer", minimum=0, maximum=20, title="Maximum tree depth"),
        "eta": Param(0.2, type="number", minimum=0.001, maximum=1, title="Learning rate (eta)"),
        "rows": Param(20000, type="integer", minimum=100, maximum=5_000_000, title="Rows of seed data"),
        "data_seed": Param(42, type="integer", minimum=0, title="Random seed of the seed data"),
    },
)
def train_and_transform() -> None:
    @task
    def plan(**context: Any) -> dict[str, Any]:
        """Validate the run's parameters and build every request, before any job starts."""
        from retraining.builders import plan_train_and_transform
        from retraining.images import sklearn_processing_image_uri, xgboost_image_uri
        from retraining.settings import TrainingRunSettings, parse_settings

        params = context["params"]
        region = connection_region()
        with invalid_params_fail_the_task():
            settings = parse_settings(
                {
                    "bucket": params["bucket"],
                    "role_arn": params["role_arn"],
                    "region": region,
                    "training_instance_type": params["training_instance_type"],
                    "transform_instance_type": params["transform_instance_type"],
                    "hyperparameters": {
                        "objective": params["objective"],
                        "eval_metric": params["eval_metric"],
                        "num_round": str(params["num_round"]),
                        "max_depth": str(params["max_depth"]),
                        "eta": str(params["eta"]),
                    },
                    "rows": params["rows"],
                    "data_seed": params["data_seed"],
                },
                TrainingRunSettings,
            )
        return plan_train_and_transform(
            settings,
            dag_id=context["dag"].dag_id,
            run_id=context["run_id"],
            logical_date=context.get("logical_date"),
            xgboost_image=xgboost_image_uri(settings.region),
            processing_image=sklearn_processing_image_uri(settings.region),
        )

    @task
    def upload_seed_script(plan: dict[str, Any]) -> str:
        """Put the seeding script where the processing job's `code` input reads it."""
        from retraining.scripts import seed_data

        return upload_code(plan["code_s3_uri"], seed_data)[0]

    @task
    def model_and_transform(plan: dict[str, Any], training_job: str) -> dict[str, Any]:
        """The model is named after the training job that produced it, and the transform uses that model."""
        from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

        from retraining.builders import model_request
        from retraining.naming import model_name

        artifact = SageMakerHook(aws_conn_id=AWS_CONN_ID).describe_training_job(training_job)[
            "ModelArtifacts"
        ]
        model = model_name(training_job)
        transform = {**plan["transform_request"], "ModelName": model}
        return {
            "model": model_request(
                model=model,
                image_uri=plan["xgboost_image"],
                model_data_url=artifact["S3ModelArtifacts"],
                role_arn=plan["role_arn"],
            ),
            "transform": transform,
        }

    @task
    def evaluate(plan: dict[str, Any]) -> dict[str, Any]:
        """Score the transform output against the held-out labels."""
        metrics = score_transform_output(plan["transform_output_s3_uri"], plan["test_labels_s3_uri"])
        print(f"test rmse of the transform output: {metrics['rmse']:.5f} over {metrics['n']} rows")
        return {**metrics, "transform_output_s3_uri": plan["transform_output_s3_uri"]}

    # TaskFlow calls return XComArgs that resolve to the annotated values at run time.
    planned: Any = plan()
    seed_data, await_seed_data = start_and_await(
        IdempotentProcessingOperator, "seed_data", planned["seed_request"], "await_seed_data"
    )
    train, await_training = start_and_await(
        IdempotentTrainingOperator, "train", planned["training_request"], "await_training"
    )
    training_job: Any = XComArg(train, key="job_name")
    configs: Any = model_and_transform(planned, training_job)
    create_model = IdempotentModelOperator(
        task_id="create_model", config=configs["model"], aws_conn_id=AWS_CONN_ID
    )
    transform, await_transform = start_and_await(
        IdempotentTransformOperator, "transform", configs["transform"], "await_transform"
    )

    chain(
        planned,
        upload_seed_script(planned),
        seed_data,
        await_seed_data,
        train,
        await_training,
        configs,
        create_model,
        transform,
        await_transform,
        evaluate(planned),
    )


train_and_transform()
