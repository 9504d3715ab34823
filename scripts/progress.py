"""Run a DAG in a child process, its Airflow logs in a file, and print one line per task as it moves.

`make demo` uses this so a person sees which DAG, which task and which SageMaker job is in progress,
instead of thousands of log lines (they are kept in .local/demo/logs/ for when something goes wrong).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from scripts.dag_runs import DagRunResult, run_dag  # noqa: E402

FINISHED = {"success", "failed", "skipped", "upstream_failed", "removed"}
MARKS = {"success": "done", "failed": "FAILED", "skipped": "skipped", "upstream_failed": "not run"}


def _snapshot(dag_id: str, logical_date: datetime, since: datetime) -> dict[str, tuple[str, str | None]]:
    """task_id -> (state, SageMaker job name it pushed or waits on) for the DAG's run at `logical_date`,
    counting only what happened after `since`."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter_by(dag_id=dag_id, logical_date=logical_date).one_or_none()
        if run is None:
            return {}
        # A re-run of a date may reuse the earlier run's row: states from before `since` are not ours.
        states = {
            ti.task_id: str(ti.state) if ti.state and ti.start_date and ti.start_date >= since else "none"
            for ti in session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run.run_id)
        }
        rows: Any = session.scalars(XComModel.get_many(run_id=run.run_id, dag_ids=dag_id, key="job_name"))
        jobs = {row.task_id: str(XComModel.deserialize_value(row)) for row in rows}
    return {task: (state, jobs.get(task)) for task, state in states.items()}


def _line(task: str, state: str, job: str | None, waits_on: str | None) -> str | None:
    if state == "running":
        return f"    {task:<22} running" + (f"  (SageMaker job {job})" if job else "")
    if state == "up_for_reschedule":
        return f"    {task:<22} waiting for {waits_on or 'its job'}: InProgress"
    if state == "up_for_retry":
        return f"    {task:<22} will retry"
    if state in MARKS:
        detail = f"  ({job})" if job and state == "success" else ""
        return f"    {task:<22} {MARKS[state]}{detail}"
    return None


def run_with_progress(
    dag_id: str, logical_date: datetime, conf: dict[str, Any], log_dir: Path
) -> DagRunResult:
    log_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{dag_id}-{logical_date:%Y%m%dT%H%M%S}"
    log_file, result_file = log_dir / f"{stem}.log", log_dir / f"{stem}.result.json"
    result_file.unlink(missing_ok=True)
    launched = datetime.now(UTC) - timedelta(seconds=2)
    problem: Exception | None = None
    with log_file.open("w") as log:
        child = subprocess.Popen(
            [sys.executable, __file__, dag_id, logical_date.isoformat(), json.dumps(conf), str(result_file)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        seen: dict[str, str] = {}
        waiting: set[str] = set()  # sensors flip running <-> up_for_reschedule: say "waiting" once
        last_job: str | None = None
        while True:
            done = child.poll() is not None
            try:
                snapshot = _snapshot(dag_id, logical_date, launched)
            except Exception as error:  # SQLite busy while the run writes: look again on the next tick
                problem, snapshot = error, {}
            for task, (state, job) in snapshot.items():
                if seen.get(task) == state:
                    continue
                seen[task] = state
                last_job = job or last_job
                if state in ("running", "up_for_reschedule") and task in waiting:
                    continue
                if state == "up_for_reschedule":
                    waiting.add(task)
                line = _line(task, state, job, last_job)
                if line:
                    print(line, flush=True)
            if done:
                break
            time.sleep(1)
    if not seen and problem is not None:
        print(f"    (no progress shown: {problem!r:.200})", flush=True)
    if not result_file.exists():
        raise SystemExit(f"{dag_id} crashed before finishing; its log: {log_file}")
    result = DagRunResult(**json.loads(result_file.read_text()))
    print(f"  -> {dag_id} {result.state} (log: {log_file})", flush=True)
    return result


def _child(argv: list[str]) -> None:
    dag_id, logical, conf, result_file = argv
    result = run_dag(dag_id, datetime.fromisoformat(logical), json.loads(conf))
    Path(result_file).write_text(json.dumps(result.__dict__))


if __name__ == "__main__":
    _child(sys.argv[1:])
