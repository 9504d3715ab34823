"""Sensor cost: executor-slot seconds a SageMaker sensor holds per hour of job time, in poke, reschedule and
deferrable mode, measured on a real Airflow (`airflow standalone`: scheduler, LocalExecutor, triggerer).

A benchmark DAG (written under .local/bench/sensors/dags, never into dags/) has one provider
SageMakerProcessingSensor per mode, each waiting for its own JOB_SECONDS processing job. Every execution of each
sensor is read back afterwards: when it was queued, started and ended from Airflow's metadata DB, and when the
executor handed its slot back from the scheduler's log. Queued -> slot handed back is the slot it held."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import save, table
from bench.stack import STATE, free_port, start_stack

MODES = ("poke", "reschedule", "deferrable")
DAGS_MODE = "reschedule"  # what include/retraining/dag_defaults.SENSOR_ARGS uses
# The same poke_interval (and trigger waiter_delay) for every mode. Not 5 s: on a loaded 2-CPU machine the
# executor reports a finished poke up to ~5 s late, and a re-queued reschedule sensor is then failed by the
# scheduler (apache/airflow#71172).
POKE_SECONDS = 10
PRODUCTION_POKE_SECONDS = 60  # RETRAINING_POLL_SECONDS' default
JOB_SECONDS = 50  # the processing script's sleep
TARGET = 0.05  # slot time < 5 % of job time
DAG_ID = "bench_sensors"
RUN_DEADLINE = 200  # seconds from trigger to a finished run before the bench gives up
SNAPSHOT_SECONDS = 0.5
# Where each poke interval is used, for the projection table.
INTERVALS = ((2, "local stack"), (5, "docker-compose.yaml"), (POKE_SECONDS, "this bench"), (60, "production"))
RELEASE_WAIT = 20  # seconds to wait for the scheduler to read the last executions back
RACE = "but the task instance's state attribute is"

SLEEP_SCRIPT = "import sys, time\ntime.sleep(float(sys.argv[1]))\n"

# Written to the bench's own dags folder; {placeholders} filled by str.format.
DAG_FILE = '''"""Benchmark DAG of bench/sensors.py: one sensor per mode, each awaiting its own processing job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.amazon.aws.sensors.sagemaker import SageMakerProcessingSensor
from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger
from airflow.providers.common.compat.sdk import AirflowException
from airflow.sdk import DAG

POKE_SECONDS = {poke_seconds}
TIMEOUT = 600


class DeferrableProcessingSensor(SageMakerProcessingSensor):
    """The provider's SageMaker sensors cannot defer (no `deferrable` argument): poke once, then hand the wait to
    the provider's SageMakerTrigger in the triggerer, as SageMakerProcessingOperator(deferrable=True) does."""

    def execute(self, context: Any) -> None:
        if self.poke(context):
            return
        self.defer(
            trigger=SageMakerTrigger(
                job_name=self.job_name,
                job_type="Processing",
                waiter_delay=int(self.poke_interval),
                waiter_max_attempts=int(TIMEOUT // self.poke_interval) + 1,
                aws_conn_id=self.aws_conn_id,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> None:
        if not event or event.get("status") != "success":
            raise AirflowException(f"processing job did not complete: {{event}}")


with DAG(dag_id="{dag_id}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, max_active_tasks=8):
    for mode in ("poke", "reschedule", "deferrable"):
        # The job name is a template rendered on every poke, as the DAGs' job_name_of is.
        common: dict[str, Any] = {{
            "task_id": f"await_{{mode}}",
            "job_name": "{{{{ dag_run.conf['jobs']['" + mode + "'] }}}}",
            "poke_interval": POKE_SECONDS,
            "timeout": TIMEOUT,
            "aws_conn_id": "aws_default",
        }}
        if mode == "deferrable":
            DeferrableProcessingSensor(**common)
        else:
            SageMakerProcessingSensor(mode=mode, **common)
'''

_EXECUTOR_EVENT = re.compile(
    r"^scheduler\s*\|\s*(?P<at>\S+Z) .*Received executor event with state \w+ for task instance "
    r"TaskInstanceKey\(dag_id='" + DAG_ID + r"', task_id='(?P<task>[\w]+)', run_id='(?P<run>[^']+)'"
)


@dataclass
class Execution:
    """One run of a sensor task in a worker: queued -> started (/run) -> ended (or deferred) -> slot released."""

    queued: datetime
    started: datetime
    ended: datetime
    released: datetime | None = None

    @property
    def slot(self) -> float:
        return (self.ended - self.queued).total_seconds()

    @property
    def startup(self) -> float:
        return (self.started - self.queued).total_seconds()

    @property
    def held(self) -> float | None:
        return None if self.released is None else (self.released - self.queued).total_seconds()


@dataclass
class Snapshots:
    """What polling task_instance shows over a run: values a row keeps only until the next execution."""

    queued: dict[str, list[datetime]] = field(default_factory=dict)
    deferred: dict[str, list[datetime]] = field(default_factory=dict)

    @staticmethod
    def add(into: dict[str, list[datetime]], task_id: str, value: datetime | None) -> None:
        seen = into.setdefault(task_id, [])
        if value is not None and value not in seen:
            seen.append(value)


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _required(value: str | None) -> datetime:
    parsed = _when(value)
    if parsed is None:
        raise RuntimeError("a timestamp the run must have left is missing in the metadata DB")
    return parsed


@contextlib.contextmanager
def _database(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        yield connection
    finally:
        connection.close()


def _snapshot(db: sqlite3.Connection, run_id: str, seen: Snapshots) -> str | None:
    rows = db.execute(
        "SELECT ti.task_id, ti.queued_dttm, tr.created_date FROM task_instance ti "
        "LEFT JOIN trigger tr ON tr.id = ti.trigger_id WHERE ti.dag_id = ? AND ti.run_id = ?",
        (DAG_ID, run_id),
    ).fetchall()
    for task_id, queued, deferred in rows:
        seen.add(seen.queued, task_id, _when(queued))
        seen.add(seen.deferred, task_id, _when(deferred))
    state = db.execute(
        "SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", (DAG_ID, run_id)
    ).fetchone()
    return None if state is None else str(state[0])


def _executions(db: sqlite3.Connection, run_id: str, task_id: str, seen: Snapshots) -> list[Execution]:
    starts = [
        _required(r[0])
        for r in db.execute(
            "SELECT dttm FROM log WHERE dag_id = ? AND run_id = ? AND task_id = ? AND event = 'running' "
            "ORDER BY dttm",
            (DAG_ID, run_id, task_id),
        )
    ]
    rescheduled = [
        _required(r[0])
        for r in db.execute(
            "SELECT r.end_date FROM task_reschedule r JOIN task_instance ti ON ti.id = r.ti_id "
            "WHERE ti.dag_id = ? AND ti.run_id = ? AND ti.task_id = ? ORDER BY r.id",
            (DAG_ID, run_id, task_id),
        )
    ]
    (final_end,) = db.execute(
        "SELECT end_date FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?",
        (DAG_ID, run_id, task_id),
    ).fetchone()
    ends = [*rescheduled, *seen.deferred.get(task_id, []), _required(final_end)]
    queued = seen.queued.get(task_id, [])
    if not len(queued) == len(starts) == len(ends):
        raise RuntimeError(
            f"{task_id}: {len(queued)} queued, {len(starts)} started, {len(ends)} ended executions seen; "
            "the metadata DB does not account for every execution"
        )
    return [Execution(*times) for times in zip(queued, starts, ends, strict=True)]


def _executor_events(log_file: Path, run_id: str) -> dict[str, list[datetime]]:
    """When the scheduler read each finished execution back from the executor: the slot is free again."""
    events: dict[str, list[datetime]] = {}
    for line in log_file.read_text(errors="replace").splitlines():
        match = _EXECUTOR_EVENT.match(line)
        if match and match["run"] == run_id:
            events.setdefault(match["task"], []).append(datetime.fromisoformat(match["at"]))
    return events


def _attach_releases(executions: dict[str, list[Execution]], log_file: Path, run_id: str) -> None:
    """The run can finish before the scheduler reads the last executions back: wait for those events."""
    deadline = time.monotonic() + RELEASE_WAIT
    while True:
        events = _executor_events(log_file, run_id)
        complete = all(len(events.get(f"await_{m}", [])) >= len(executions[m]) for m in MODES)
        if complete or time.monotonic() > deadline:
            break
        time.sleep(1)
    for mode, runs in executions.items():
        released = events.get(f"await_{mode}", [])
        if len(released) == len(runs):  # one executor event per execution, or none are paired
            for execution, at in zip(runs, released, strict=True):
                execution.released = at


def _create_jobs(jobs: dict[str, str], code_uri: str) -> None:
    import boto3

    sagemaker = boto3.client("sagemaker")
    for name in jobs.values():
        sagemaker.create_processing_job(
            ProcessingJobName=name,
            RoleArn="arn:aws:iam::123456789012:role/SageMakerExecutionRole",
            AppSpecification={
                "ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
                "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/sleep.py"],
                "ContainerArguments": [str(JOB_SECONDS)],
            },
            ProcessingInputs=[
                {
                    "InputName": "code",
                    "S3Input": {
                        "S3Uri": code_uri,
                        "LocalPath": "/opt/ml/processing/input/code",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
            ProcessingResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}
            },
            StoppingCondition={"MaxRuntimeInSeconds": 600},
        )


def _job_seconds(name: str) -> float:
    """Creation to end of the job as the service describes it: the wait its sensor covers."""
    import boto3

    job = boto3.client("sagemaker").describe_processing_job(ProcessingJobName=name)
    if job["ProcessingJobStatus"] != "Completed":
        raise RuntimeError(f"job {name} ended {job['ProcessingJobStatus']}: {job.get('FailureReason')}")
    return (job["ProcessingEndTime"] - job["CreationTime"]).total_seconds()


def _upload_script(bucket: str) -> str:
    import boto3

    prefix = "bench-sensors/code/"
    boto3.client("s3").put_object(Bucket=bucket, Key=prefix + "sleep.py", Body=SLEEP_SCRIPT.encode())
    return f"s3://{bucket}/{prefix}"


def _airflow(home: Path, dags: Path) -> Any:
    from scripts.airflow_ui import AirflowUI

    class BenchAirflow(AirflowUI):
        """scripts/airflow_ui's standalone, on the bench's dags folder and on free ports only."""

        log_ports = (free_port(), free_port())

        def environment(self, base: dict[str, str]) -> dict[str, str]:
            return {
                **super().environment(base),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.log_ports[0]),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.log_ports[1]),
            }

    return BenchAirflow(home=home, port=free_port(), run_schedules=False)


@dataclass
class Measured:
    run_id: str
    executions: dict[str, list[Execution]]
    job_seconds: dict[str, float]


def _run(ui: Any, code_uri: str) -> Measured:
    stamp = uuid.uuid4().hex[:8]
    jobs = {mode: f"bench-sensors-{mode}-{stamp}" for mode in MODES}
    ui.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    _create_jobs(jobs, code_uri)
    run = ui.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": {"jobs": jobs}})
    run_id = str(run["dag_run_id"])
    seen = Snapshots()
    deadline = time.monotonic() + RUN_DEADLINE
    state: str | None = None
    with _database(ui.home / "airflow.db") as db:
        while state not in ("success", "failed"):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{DAG_ID} run {run_id} not finished after {RUN_DEADLINE}s; see {ui.log_file}"
                )
            with contextlib.suppress(sqlite3.OperationalError):  # a writer holds the lock: look again
                state = _snapshot(db, run_id, seen)
            time.sleep(SNAPSHOT_SECONDS)
        if state != "success":
            tasks = db.execute(
                "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?", (DAG_ID, run_id)
            ).fetchall()
            race = RACE in ui.log_file.read_text(errors="replace")
            raise RuntimeError(
                f"{DAG_ID} run {run_id} {state}: {tasks}; logs under {ui.home / 'logs'}"
                + (
                    ". The scheduler failed a sensor whose previous execution the executor reported after "
                    "it was queued again (apache/airflow#71172): raise POKE_SECONDS"
                    if race
                    else ""
                )
            )
        executions = {mode: _executions(db, run_id, f"await_{mode}", seen) for mode in MODES}
    _attach_releases(executions, ui.log_file, run_id)
    return Measured(run_id, executions, {mode: _job_seconds(name) for mode, name in jobs.items()})


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.1%}"


def _cost(execution: Execution) -> float:
    """Slot seconds of one execution: until the executor handed the slot back, else until the task's end."""
    return execution.held if execution.held is not None else execution.slot


def _report(measured: Measured, ready: float, elapsed: float) -> None:
    complete = all(e.held is not None for runs in measured.executions.values() for e in runs)
    rows = []
    for mode in MODES:
        runs, job_s = measured.executions[mode], measured.job_seconds[mode]
        cost = sum(_cost(e) for e in runs)
        rows.append(
            [
                mode + (" (the DAGs' mode)" if mode == DAGS_MODE else ""),
                f"{job_s:.1f}",
                len(runs),
                f"{sum(e.slot for e in runs):.1f}",
                f"{sum(e.startup for e in runs):.1f}",
                f"{cost:.1f}",
                f"{cost / job_s * 3600:.0f}",
                _pct(cost, job_s),
                ("met" if cost / job_s < TARGET else "missed") if mode == DAGS_MODE else "-",
            ]
        )

    # Warm pokes: every execution after a sensor's first, which ran on a freshly spawned worker process.
    warm = measured.executions[DAGS_MODE][1:] or measured.executions[DAGS_MODE]
    poke_cost = statistics.mean(_cost(e) for e in warm)
    poke_run = statistics.mean(e.slot for e in warm)
    poke_startup = statistics.mean(e.startup for e in warm)
    per_hour = 3600 // PRODUCTION_POKE_SECONDS
    hourly = per_hour * poke_cost
    deferrable = measured.executions["deferrable"]
    poke_mode = measured.executions["poke"][0]
    # A poke-mode sensor holds its slot for the whole job, plus its start-up and release once.
    poke_overhead = _cost(poke_mode) - (poke_mode.ended - poke_mode.started).total_seconds()
    projection = [
        [
            "poke: the whole job, plus one start-up and release",
            f"{3600 + poke_overhead:.0f}",
            _pct(3600 + poke_overhead, 3600),
            "-",
        ],
        [
            f"reschedule (the DAGs' mode): {per_hour} pokes x {poke_cost:.2f} s",
            f"{hourly:.0f}",
            _pct(hourly, 3600),
            "met" if hourly / 3600 < TARGET else "missed",
        ],
        [
            f"reschedule, task run time only (lower bound): {per_hour} x {poke_run:.2f} s",
            f"{per_hour * poke_run:.0f}",
            _pct(per_hour * poke_run, 3600),
            "met" if per_hour * poke_run / 3600 < TARGET else "missed",
        ],
        [
            "deferrable: 2 executions a job, whatever its length (first one cold here)",
            f"{sum(_cost(e) for e in deferrable):.1f}",
            _pct(sum(_cost(e) for e in deferrable), 3600),
            "-",
        ],
    ]
    intervals = [
        [
            f"{interval} s ({where})",
            f"{3600 / interval:.0f}",
            _pct(3600 / interval * poke_cost, 3600),
            _pct(3600 / interval * poke_run, 3600),
            "met" if poke_cost / interval < TARGET else "missed",
        ]
        for interval, where in INTERVALS
    ]
    breakdown = [
        [
            mode,
            " ".join(f"{e.slot:.1f}" for e in measured.executions[mode]),
            " ".join(f"{e.startup:.1f}" for e in measured.executions[mode]),
            " ".join("n/a" if e.held is None else f"{e.held:.1f}" for e in measured.executions[mode]),
        ]
        for mode in MODES
    ]
    lags = [
        (e.released - e.ended).total_seconds()
        for runs in measured.executions.values()
        for e in runs
        if e.released is not None
    ]
    notes = [
        f"One run of DAG `{DAG_ID}` (written to .local/bench/sensors/dags, run {measured.run_id}) on "
        "`airflow standalone` (LocalExecutor, parallelism 4, SQLite, triggerer) against the bench's own local "
        f"stack; the three sensors wait at the same time, each for its own {JOB_SECONDS} s processing job (a "
        "python sleep) that the bench creates just before triggering the run.",
        f"poke_interval = {POKE_SECONDS} s for every mode (the trigger's waiter_delay too), not the production "
        f"{PRODUCTION_POKE_SECONDS} s, so that the job gets several reschedule pokes and the bench stays under 4 "
        "minutes. Reschedule cost = pokes x per-poke slot seconds, so a job-hour at an interval of i seconds "
        "costs 3600 / i x the mean warm poke (an upper bound on the count: each cycle also waits for the "
        "scheduler). The mean, not the median: the per-poke cost is bimodal (see the release lag below).",
        "Slot held: from the scheduler queueing the task instance for the executor until the scheduler read "
        "the finished execution back from the executor ('Received executor event' in the scheduler's log; a "
        "LocalExecutor slot counts as taken until then). Task run: queued -> the execution's end as the metadata "
        "DB records it (task_reschedule/task_instance end_date, or the trigger row's creation for a deferral). "
        "Start-up: queued -> the task's /run call (log rows event='running'). queued_dttm and the trigger rows "
        f"are polled every {SNAPSHOT_SECONDS} s (each value lives >= one poke interval; counts cross-checked).",
        f"Release lag (task end -> slot free) was {min(lags, default=0):.1f}-{max(lags, default=0):.1f} s. "
        "Its big mode is the task supervisor: once the task's sockets close, it can sleep up to "
        "[workers] min_heartbeat_interval (5 s) before it notices the process has exited ('Workload finished' "
        "in the scheduler log). The rest is the scheduler loop on a loaded 2-CPU machine.",
        "The first execution of every sensor ran on a LocalExecutor worker process spawned for it: that cold "
        "start (seconds of imports) is in the first execution of each mode, deferrable's measured cost "
        "included. The projections use warm pokes only (executions after the first).",
        "Airflow 3.3's task_reschedule rows cannot give per-poke durations by themselves: their start_date is "
        "stamped when the reschedule request arrives, so their duration is ~0.",
        "Job seconds: CreationTime -> ProcessingEndTime of DescribeProcessingJob, the wait the sensor covers.",
        "The provider's SageMaker sensors (apache-airflow-providers-amazon 9.39) take no `deferrable` argument; "
        "the deferrable mode here is SageMakerProcessingSensor poking once, then deferring to the provider's "
        "SageMakerTrigger (aiobotocore waiter ProcessingJobComplete, endpoint from AIRFLOW_CONN_AWS_DEFAULT), "
        "as SageMakerProcessingOperator(deferrable=True) does. Its waiting costs the triggerer, not a slot.",
        "With poke_interval 5 s a reschedule sensor was failed by the scheduler: the executor reported a poke's "
        "end after the sensor was queued again (apache/airflow#71172, open). Keep poke_interval well above the "
        "release lag.",
        f"Airflow was ready {ready:.0f} s after the bench began; the whole bench took {elapsed:.0f} s.",
    ]
    if not complete:
        notes.insert(
            0, "Some executions could not be paired with executor events: their task run time is used."
        )
    save(
        "sensors",
        "Sensor cost: executor-slot seconds per job-hour",
        [
            (
                f"Measured: one ~{JOB_SECONDS} s job per mode, poke_interval {POKE_SECONDS} s",
                table(
                    [
                        "mode",
                        "job s",
                        "executions",
                        "task run s",
                        "of which start-up s",
                        "slot held s",
                        "slot s per job-hour",
                        "% of job time",
                        f"< {TARGET:.0%} target",
                    ],
                    rows,
                ),
            ),
            (
                f"Projected to the production poke_interval ({PRODUCTION_POKE_SECONDS} s), per job-hour",
                table(["mode", "slot s per job-hour", "% of job time", f"< {TARGET:.0%} target"], projection)
                + f"\n\nMean warm reschedule poke: {poke_cost:.2f} s slot held, {poke_run:.2f} s task run, of "
                f"which {poke_startup:.2f} s start-up.",
            ),
            (
                "Reschedule at other poke intervals (mean warm poke x pokes per job-hour)",
                table(
                    [
                        "poke_interval",
                        "pokes per job-hour",
                        "% of job time (slot held)",
                        "% of job time (task run)",
                        f"< {TARGET:.0%} target",
                    ],
                    intervals,
                )
                + f"\n\nShortest poke_interval that meets the target: {poke_cost / TARGET:.0f} s.",
            ),
            (
                "Each execution: task run s, start-up s, slot held s",
                table(["mode", "task run s", "start-up s", "slot held s"], breakdown),
            ),
        ],
        notes,
    )


def _stop(ui: Any) -> None:
    """Stop standalone, then wait until every component in its process group is gone (KILL stragglers)."""
    group = None if ui.process is None else ui.process.pid  # started with start_new_session: pid == pgid
    ui.stop()
    if group is None:
        return
    deadline = time.monotonic() + 20
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            return
        time.sleep(0.5)


def main() -> None:
    began = time.monotonic()
    root = STATE / "sensors"
    shutil.rmtree(root, ignore_errors=True)
    cfg = start_stack("sensors", airflow=True)
    dags = root / "dags"
    dags.mkdir(parents=True)
    (dags / f"{DAG_ID}.py").write_text(DAG_FILE.format(poke_seconds=POKE_SECONDS, dag_id=DAG_ID))
    code_uri = _upload_script(cfg.bucket)
    ui = _airflow(root / "airflow", dags)
    # A TERM must also stop every Airflow component (the finally below), not orphan them.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    ui.start()
    try:
        ui.wait_ready([DAG_ID], timeout=180)
        ready = time.monotonic() - began
        print(f"bench sensors: Airflow ready after {ready:.0f} s", flush=True)
        measured = _run(ui, code_uri)
    finally:
        _stop(ui)
        signal.signal(signal.SIGTERM, previous)
    elapsed = time.monotonic() - began
    _report(measured, ready, elapsed)
    print(f"bench sensors: {elapsed:.0f} s")


if __name__ == "__main__":
    main()
