"""
### Nightly retraining with a quality gate and a model registry (SageMaker)

Every night at 03:00 UTC, for the previous day's data partition (`ds`):

1. a processing job writes the partition `s3://<bucket>/nightly_retrain/data/ds=<ds>/`;
2. the champion is the latest **approved** version in the model package group (from an earlier date);
3. training continues from the champion's `model.tar.gz` through a `model` channel (SageMaker incremental
   training), or starts fresh when there is no champion, when asked, or on the periodic full-retrain day;
4. an evaluation processing job scores the candidate and the champion on the night's held-out rows and
   writes `evaluation.json` (`regression_metrics.mse.value`);
5. the gate: MSE <= threshold and not worse than the champion by more than the tolerance;
6. pass: the version is registered **Approved**, a model is created, the night's scoring file is batch
   transformed and the `champion-model` Asset is updated. Fail: the version is registered **Rejected**, the
   champion stays, and the run fails with both metrics in its message.

One run at a time (`max_active_runs=1`): nights must not race on the champion. Every job name derives from
the partition date, so re-running a date (or a backfill) reuses that date's jobs, artifacts and registry entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.providers.amazon.aws.utils.sagemaker import ApprovalStatus
from airflow.sdk import Asset, CronTriggerTimetable, Param, chain, dag, task

from retraining.dag_defaults import AWS_CONN_ID, DEFAULT_ARGS, job_name_of
from retraining_airflow.building_blocks import (
    bucket_param,
    connection_region,
    invalid_params_fail_the_task,
    role_arn_param,
    start_and_await,
    upload_code,
)
from retraining_airflow.idempotent import (
    IdempotentModelOperator,
    IdempotentProcessingOperator,
    IdempotentRegisterModelVersionOperator,
    IdempotentTrainingOperator,
    IdempotentTransformOperator,
)

# An "x-" scheme: Airflow leaves user-defined URIs alone, where a provider scheme would make it load every
# provider's URI normalizers while this file parses (~100-800 ms, bench/results/parse.md).
CHAMPION_MODEL = Asset("champion-model", uri="x-sagemaker://model-package-group/champion-model")
SCHEDULE_TIMEZONE = "UTC"


@dag(
    dag_id="nightly_retrain",
    schedule=CronTriggerTimetable("0 3 * * *", timezone=SCHEDULE_TIMEZONE),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["sagemaker", "xgboost", "retraining", "model-registry"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "partition_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Partition date",
            description="Data date to retrain on (YYYY-MM-DD). Empty: the day before the run's logical date.",
        ),
        "training_mode": Param(
            "auto",
            type="string",
            enum=["auto", "incremental", "full"],
            title="Training mode",
            description="auto: incremental from the champion, full when there is none or on the periodic full-retrain day.",
        ),
        "mse_threshold": Param(
            0.6,
            type="number",
            exclusiveMinimum=0,
            title="MSE threshold",
            description="The candidate's MSE on the night's held-out rows must be at most this (labels are standardised: 1.0 = predicting the mean).",
        ),
        "tolerance": Param(
            0.05,
            type="number",
            minimum=0,
            maximum=1,
            title="Tolerance vs champion",
            description="How much worse than the champion (fraction of its MSE, on the same rows) a candidate may be.",
        ),
        "extra_rounds": Param(
            10,
            type="integer",
            minimum=1,
            maximum=1000,
            title="Extra boosting rounds",
            description="Rounds added to the champion in incremental training.",
        ),
        "full_rounds": Param(60, type="integer", minimum=1, maximum=5000, title="Rounds for a full retrain"),
        "full_retrain_every_days": Param(
            7,
            type="integer",
            minimum=0,
            maximum=366,
            title="Full retrain every N days",
            description="0 = never (only when there is no champion or when asked).",
        ),
        "rows_per_day": Param(
            5000, type="integer", minimum=200, maximum=2_000_000, title="Rows per partition"
        ),
        "label_noise": Param(
            0.0,
            type="number",
            minimum=0,
            maximum=100,
            title="Label noise (fault drill)",
            description="Corrupts the night's training labels, to exercise the gate. Keep 0.",
        ),
        "model_package_group": Param(
            "nightly-retrain",
            type="string",
            pattern="^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
            title="Model package group",
        ),
        "bucket": bucket_param(),
        "role_arn": role_arn_param(),
    },
)
def nightly_retrain() -> None:
    @task
    def plan(**context: Any) -> dict[str, Any]:
        """Validate the parameters and name everything of this night, before any job starts."""

        from retraining.images import sklearn_processing_image_uri, xgboost_image_uri
        from retraining.nightly import NightlySettings, parse_partition_date, plan_night
        from retraining.settings import parse_settings

        params = dict(context["params"])
        region = connection_region()
        requested_date = params.pop("partition_date", None)
        with invalid_params_fail_the_task():
            settings = parse_settings({**params, "region": region}, NightlySettings)
            partition = parse_partition_date(requested_date) if requested_date else _previous_day(context)
        return plan_night(
            settings,
            dag_id=context["dag"].dag_id,
            partition=partition,
            xgboost_image=xgboost_image_uri(region),
            processing_image=sklearn_processing_image_uri(region),
        )

    @task
    def upload_scripts(plan: dict[str, Any]) -> list[str]:
        from retraining.scripts import daily_data, evaluate_model

        return upload_code(plan["code_s3_uri"], daily_data, evaluate_model)

    @task
    def choose_training(plan: dict[str, Any]) -> dict[str, Any]:
        """Find the champion and decide full vs incremental; build the training request accordingly."""
        from datetime import date

        from retraining.champion import choose_champion
        from retraining.nightly import decide_training_mode, night_names, night_training_request
        from retraining_airflow.registry import approved_records

        records = approved_records(AWS_CONN_ID, plan["settings"]["model_package_group"])
        champion = choose_champion(records, plan["partition_date"])
        mode, reason = decide_training_mode(
            plan["settings"]["training_mode"],
            champion,
            date.fromisoformat(plan["partition_date"]),
            plan["settings"]["full_retrain_every_days"],
        )
        print(f"ds={plan['partition_date']}: {mode} training, because {reason}")
        names = night_names(plan, mode, champion)
        return {
            "champion": champion,
            "mode": mode,
            "reason": reason,
            "names": names,
            "request": night_training_request(plan, names, mode, champion),
        }

    @task
    def evaluation_config(
        plan: dict[str, Any], training: dict[str, Any], training_job: str
    ) -> dict[str, Any]:
        from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

        from retraining.nightly import evaluation_request

        artifact = SageMakerHook(aws_conn_id=AWS_CONN_ID).describe_training_job(training_job)[
            "ModelArtifacts"
        ]
        return {
            "model_data_url": artifact["S3ModelArtifacts"],
            "request": evaluation_request(
                plan, training["names"], artifact["S3ModelArtifacts"], training["champion"]
            ),
        }

    @task
    def quality_gate(
        plan: dict[str, Any], training: dict[str, Any], candidate: dict[str, Any], training_job: str
    ) -> dict[str, Any]:
        """Read evaluation.json and decide; the decision and the registry metadata travel together."""
        import json

        from retraining.gate import evaluate_gate, read_evaluation
        from retraining.nightly import EVALUATION_FILE
        from retraining_airflow.job_outputs import read_job_output

        names = training["names"]
        report = json.loads(
            read_job_output(
                f"{names['evaluation_s3_uri']}/{EVALUATION_FILE}", names["evaluation_job_name"], AWS_CONN_ID
            )
        )
        candidate_mse, champion_mse = read_evaluation(report)
        settings = plan["settings"]
        decision = evaluate_gate(
            candidate_mse, champion_mse, settings["mse_threshold"], settings["tolerance"]
        )
        print(decision.message)
        metadata = {
            "data_date": plan["partition_date"],
            "training_job": training_job,
            "training_mode": training["mode"],
            "mse": f"{candidate_mse:.6f}",
            "champion_mse": "" if champion_mse is None else f"{champion_mse:.6f}",
            "parent_version": "" if not training["champion"] else str(training["champion"]["version"]),
        }
        return {
            "passed": decision.passed,
            "message": decision.message,
            "model_data_url": candidate["model_data_url"],
            "description": f"{training_job}: {training['mode']} training on ds={plan['partition_date']}",
            "extras": {"CustomerMetadataProperties": {k: v for k, v in metadata.items() if v}},
        }

    @task.branch
    def route(decision: dict[str, Any]) -> str:
        return "register_champion" if decision["passed"] else "register_rejected"

    @task
    def scoring_configs(
        plan: dict[str, Any], training: dict[str, Any], decision: dict[str, Any], training_job: str
    ) -> dict[str, Any]:
        from retraining.naming import model_name
        from retraining.nightly import night_model_request, night_transform_request

        model = model_name(training_job)
        return {
            "model": night_model_request(plan, model, decision["model_data_url"]),
            "transform": night_transform_request(plan, training["names"], model),
        }

    @task(outlets=[CHAMPION_MODEL])
    def publish_champion(
        plan: dict[str, Any],
        training: dict[str, Any],
        decision: dict[str, Any],
        version_arn: str,
        **context: Any,
    ) -> dict[str, Any]:
        """Announce the new champion to whoever schedules on it (the Asset event carries the facts)."""
        facts = {
            "model_package_arn": version_arn,
            "model_data_url": decision["model_data_url"],
            "data_date": plan["partition_date"],
            "scores": training["names"]["scores_s3_uri"],
            **decision["extras"]["CustomerMetadataProperties"],
        }
        context["outlet_events"][CHAMPION_MODEL].extra = facts
        return facts

    @task
    def keep_champion(decision: dict[str, Any]) -> None:
        from airflow.sdk.exceptions import AirflowFailException

        # Fails the run loudly, without retries: retrying cannot make this model better.
        raise AirflowFailException(decision["message"] + " The champion stays in place.")

    planned: Any = plan()
    seed_partition, await_partition = start_and_await(
        IdempotentProcessingOperator, "seed_partition", planned["seed_request"], "await_partition"
    )
    training: Any = choose_training(planned)
    train, await_training = start_and_await(
        IdempotentTrainingOperator, "train", training["request"], "await_training"
    )
    training_job = job_name_of("train")
    candidate: Any = evaluation_config(planned, training, training_job)
    evaluate, await_evaluation = start_and_await(
        IdempotentProcessingOperator, "evaluate", candidate["request"], "await_evaluation"
    )
    decision: Any = quality_gate(planned, training, candidate, training_job)
    registry_args = {
        "image_uri": planned["xgboost_image"],
        "model_url": decision["model_data_url"],
        "package_group_name": planned["model_package_group"],
        "package_group_desc": "Nightly retrained XGBoost models",
        "package_desc": decision["description"],
        "extras": decision["extras"],
        "aws_conn_id": AWS_CONN_ID,
    }
    register_champion = IdempotentRegisterModelVersionOperator(
        task_id="register_champion", model_approval=ApprovalStatus.APPROVED, **registry_args
    )
    register_rejected = IdempotentRegisterModelVersionOperator(
        task_id="register_rejected", model_approval=ApprovalStatus.REJECTED, **registry_args
    )
    champion_version: Any = register_champion.output
    scoring: Any = scoring_configs(planned, training, decision, training_job)
    create_model = IdempotentModelOperator(
        task_id="create_model", config=scoring["model"], aws_conn_id=AWS_CONN_ID
    )
    score, await_scoring = start_and_await(
        IdempotentTransformOperator, "score", scoring["transform"], "await_scoring"
    )

    chain(
        planned,
        upload_scripts(planned),
        seed_partition,
        await_partition,
        training,
        train,
        await_training,
        candidate,
        evaluate,
        await_evaluation,
        decision,
        route(decision),
        [register_champion, register_rejected],
    )
    chain(
        register_champion,
        scoring,
        create_model,
        score,
        await_scoring,
        publish_champion(planned, training, decision, champion_version),
    )
    chain(register_rejected, keep_champion(decision))


def _previous_day(context: dict[str, Any]) -> Any:
    """The run at 03:00 on day D retrains on day D-1's partition (in the schedule's timezone)."""
    import pendulum

    logical = context.get("logical_date") or context["dag_run"].run_after
    return (pendulum.instance(logical).in_timezone(SCHEDULE_TIMEZONE) - timedelta(days=1)).date()


nightly_retrain()
