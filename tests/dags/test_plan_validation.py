"""Every DAG's first task checks the trigger form's values before any job starts, and a bad value fails
the task for good (no retry can fix it) with a message naming the field and what it should be."""

from __future__ import annotations

from typing import Any

import pytest

BAD_VALUES = [
    ("train_and_transform", "bucket", "Not_A_Bucket"),
    ("train_and_transform", "role_arn", "SageMakerRole"),
    ("tune_and_transform", "bucket", "-bucket"),
    ("tune_and_transform", "role_arn", "arn:aws:iam::12:role/x"),
    ("nightly_retrain", "bucket", "UPPER"),
    ("nightly_retrain", "partition_date", "2026-02-30"),
]


def run_plan(dag: Any, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    plan = dag.get_task("plan")
    # The connection's region is all `plan` reads from outside; no connection is needed for that here.
    monkeypatch.setitem(plan.python_callable.__globals__, "connection_region", lambda: "us-east-1")
    return plan.python_callable(params=params, dag=dag, run_id="manual__check", logical_date=None)


def form_defaults(dag: Any) -> dict[str, Any]:
    return {name: dag.params[name] for name in dag.params}


@pytest.mark.parametrize(("dag_id", "field", "value"), BAD_VALUES)
def test_a_bad_form_value_fails_plan_naming_the_field(
    dag_bag: Any,
    monkeypatch: pytest.MonkeyPatch,
    dag_id: str,
    field: str,
    value: str,
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    dag = dag_bag.dags[dag_id]
    with pytest.raises(AirflowFailException) as failed:
        run_plan(dag, {**form_defaults(dag), field: value}, monkeypatch)
    message = str(failed.value)
    assert message.startswith("Invalid parameters:")
    assert field in message and value in message


@pytest.mark.parametrize("dag_id", ["train_and_transform", "tune_and_transform", "nightly_retrain"])
def test_the_form_defaults_plan_a_run(dag_bag: Any, monkeypatch: pytest.MonkeyPatch, dag_id: str) -> None:
    dag = dag_bag.dags[dag_id]
    params = form_defaults(dag)
    if dag_id == "nightly_retrain":
        params["partition_date"] = "2026-05-01"
    plan = run_plan(dag, params, monkeypatch)
    assert isinstance(plan, dict) and plan
