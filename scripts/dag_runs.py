"""Run a DAG from `dags/` in-process with `dag.test()` and read its tasks' results back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DAGS_FOLDER = REPO_ROOT / "dags"


@dataclass
class DagRunResult:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]

    def succeeded(self) -> bool:
        return self.state == "success"


def load_dag(dag_id: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise KeyError(f"no DAG {dag_id!r} in {DAGS_FOLDER}")
    return dag


def run_dag(
    dag_id: str, logical_date: datetime, conf: dict[str, Any] | None = None, run_after: datetime | None = None
) -> DagRunResult:
    """Run the DAG for `logical_date`. A manual run's id derives from `run_after` (now by default): pass the
    same `run_after` again to re-run the same run (same run id), as clearing a finished run does."""
    dag = load_dag(dag_id)
    run = dag.test(logical_date=logical_date, run_conf=conf or {}, run_after=run_after)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    return DagRunResult(dag_id=dag_id, run_id=run.run_id, state=str(run.state), task_states=states)


def task_result(dag_id: str, run_id: str, task_id: str) -> Any:
    """The task's return value (its `return_value` XCom), or None."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(run_id=run_id, dag_ids=dag_id, task_ids=task_id, key="return_value")
        ).first()
        return None if row is None else XComModel.deserialize_value(row)
