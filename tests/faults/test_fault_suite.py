"""`train_and_transform` under injected faults: transient ones are ridden over, permanent ones fail cleanly.

The local service runs with one fault plan (local_sagemaker.faults) for the whole module; every rule is
scoped by a job-name glob to one scenario's logical date, which is part of all its job names. Each scenario
runs the DAG with `dag.test()`, again after a failed run (the same run id: what clearing the run does in
production), and checks over all its runs:
- one SageMaker job per logical task, unless a job genuinely failed or stopped: then exactly one suffixed
  new attempt (`-a2`);
- no job left running and no worker process left behind;
- every artifact a model or a completed training job references exists in S3;
- a failed run stops before anything downstream of the failure (no model after a failed training job).
Faults are chained within a scenario (a later fault strikes the run that recovers from the earlier one) to
keep the suite to a few minutes on two cores. The table of what was measured is printed at the end of the
session and written to the test state folder.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from scripts.dag_runs import DagRunResult, load_dag
from tests.faults import report
from tests.faults.conftest import FaultyService
from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, channel, csv_bytes

pytestmark = pytest.mark.e2e

DAG_ID = "train_and_transform"
CONF = {"rows": 400, "num_round": 3}
LATER_ATTEMPTS = "*-a[0-9]"  # `exclude` glob: a fault strikes first attempts only, not `<name>-a2`...
TRANSIENT = datetime(2031, 1, 1, tzinfo=UTC)
JOB_FAILURES = datetime(2031, 1, 2, tzinfo=UTC)
STOPS = datetime(2031, 1, 3, tzinfo=UTC)
ON_KILL = "fault-onkill"


def stamp(logical_date: datetime) -> str:
    """The part of every job (and model) name of a run that its logical date fixes."""
    return logical_date.strftime("%Y%m%d-%H%M%S")


def jobs_of(logical_date: datetime, task: str = "*") -> str:
    return f"tt-{task}-{stamp(logical_date)}-*"


# Each injected error costs the caller an SDK back-off (up to 1, 2, 4 s...): enough to show, few to wait for.
THROTTLED = {
    "throttle CreateProcessingJob": 1,
    "throttle CreateTrainingJob": 2,
    "throttle DescribeTrainingJob": 2,
    "throttle CreateTransformJob": 1,
}
PLAN: list[dict[str, Any]] = [
    # transient: SDK retries (the connection's botocore `standard` mode) or one Airflow retry absorb them
    *(
        {"id": rule, "fault": "throttle", "operation": rule.split()[1], "job": jobs_of(TRANSIENT), "times": n}
        for rule, n in THROTTLED.items()
    ),
    {
        "id": "500 DescribeProcessingJob",
        "fault": "server_error",
        "operation": "DescribeProcessingJob",
        "job": jobs_of(TRANSIENT),
        "times": 2,
    },
    {
        "id": "503 CreateModel",
        "fault": "server_error",
        "code": "ServiceUnavailable",
        "operation": "CreateModel",
        "job": jobs_of(TRANSIENT),
        "times": 2,
    },
    # The job is created but the answer is lost: the SDK's retry meets ResourceInUse, the task fails, and
    # Airflow's retry must re-attach to the job rather than start a second one.
    {
        "id": "lost answer CreateTrainingJob",
        "fault": "server_error",
        "operation": "CreateTrainingJob",
        "after": True,
        "job": jobs_of(TRANSIENT),
        "times": 1,
    },
    {
        "id": "S3 SlowDown",
        "fault": "s3_read_error",
        "code": "SlowDown",
        "job": jobs_of(TRANSIENT, "train"),
        "times": 2,
    },
    # permanent for the job they strike: the run fails cleanly and a re-run starts one new attempt
    {
        "id": "algorithm error",
        "fault": "algorithm_error",
        "job": jobs_of(JOB_FAILURES, "train"),
        "exclude": LATER_ATTEMPTS,
        "times": 1,
    },
    {
        "id": "S3 AccessDenied",
        "fault": "s3_read_error",
        "code": "AccessDenied",
        "job": jobs_of(JOB_FAILURES, "transform"),
        "exclude": LATER_ATTEMPTS,
        "times": 1,
    },
    {
        "id": "hang to MaxRuntime",
        "fault": "hang",
        "job": jobs_of(STOPS, "train"),
        "exclude": LATER_ATTEMPTS,
        "times": 1,
        "max_runtime_seconds": 1,
    },
    {
        "id": "service killed",
        "fault": "hang",
        "job": jobs_of(STOPS, "transform"),
        "exclude": LATER_ATTEMPTS,
        "times": 1,
    },
    {"id": "on_kill", "fault": "hang", "job": f"{ON_KILL}-*", "exclude": LATER_ATTEMPTS, "times": 1},
    {"id": "nightly algorithm error", "fault": "algorithm_error", "job": "nr-train-20310201-*", "times": 1},
    # the night's first evaluation job dies (its process SIGKILLed); the re-run's hangs until its (shortened)
    # MaxRuntimeInSeconds stops it
    {
        "id": "nightly evaluation crash",
        "fault": "crash",
        "job_kind": "processing-job",
        "job": "nr-evaluate-20310203-*",
        "exclude": LATER_ATTEMPTS,
        "times": 1,
    },
    {
        "id": "nightly evaluation hang",
        "fault": "hang",
        "job_kind": "processing-job",
        "job": "nr-evaluate-20310203-*-a2",
        "times": 1,
        "max_runtime_seconds": 1,
    },
]


@pytest.fixture(scope="module")
def service(faulty_service: FaultyService) -> Iterator[FaultyService]:
    faulty_service.start(PLAN)
    yield faulty_service


def run_or_rerun(
    logical_date: datetime, dag_id: str = DAG_ID, conf: dict[str, Any] | None = None
) -> DagRunResult:
    """`dag.test()` as scripts.dag_runs.run_dag does it, but with `run_after` pinned to the logical date, so
    the run id, and with it every job name, is the same each time: a second call is what clearing the run
    does in production (run_dag's run ids follow the wall clock, which would start a new set of jobs)."""
    run = load_dag(dag_id).test(
        logical_date=logical_date, run_after=logical_date, run_conf=dict(conf or CONF)
    )
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    return DagRunResult(dag_id=dag_id, run_id=run.run_id, state=str(run.state), task_states=states)


def retries_in(run_id: str, dag_id: str = DAG_ID) -> int:
    """Airflow retries in the run: dag.test() replaces a run, so try numbers count only its own tries."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        tries = session.scalars(
            select(TaskInstance.try_number).where(
                TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id
            )
        )
        return sum(max(0, (t or 0) - 1) for t in tries)


@dataclass
class Struck:
    """A fault (rules of the plan) and the run of the scenario it strikes."""

    label: str
    run: int
    rules: tuple[str, ...]


class Scenario:
    def __init__(self, name: str, logical_date: datetime) -> None:
        self.name = name
        self.logical_date = logical_date
        self.stamp = stamp(logical_date)
        self.results: list[DagRunResult] = []
        self.retries: list[int] = []

    def run(self) -> DagRunResult:
        result = run_or_rerun(self.logical_date)
        assert not self.results or result.run_id == self.results[0].run_id  # the same run again
        self.results.append(result)
        self.retries.append(retries_in(result.run_id))
        return result

    def measure(
        self, service: FaultyService, checker: Any, s3: Any, struck: list[Struck]
    ) -> list[report.Row]:
        injected = service.injected()
        jobs = report.jobs_containing(checker, self.stamp)
        self.duplicates = report.duplicates(jobs)
        self.orphans = report.orphans(checker, self.stamp)
        self.lost = report.lost_artifacts(checker, s3, self.stamp)
        self.attempts = report.attempts_by_task(jobs)
        self.injected = {rule: injected[rule] for s in struck for rule in s.rules}
        rows = [
            report.Row(
                fault=s.label,
                scenario=self.name,
                injected=sum(injected[rule] for rule in s.rules),
                runs=len(self.results),
                retries=self.retries[s.run - 1],
                duplicates=self.duplicates,
                orphans=self.orphans,
                lost_artifacts=len(self.lost),
                outcome=self.outcome(s.run),
            )
            for s in struck
        ]
        report.record(*rows)
        return rows

    def outcome(self, run: int) -> str:
        state = self.results[run - 1].state
        if state == "success":
            return f"absorbed: run {run} succeeded"
        failed = sorted(t for t, s in self.results[run - 1].task_states.items() if s == "failed")
        recovered = next(
            (i + 1 for i, r in enumerate(self.results) if i >= run and r.state == "success"), None
        )
        return f"run {run} failed at {', '.join(failed)}; " + (
            f"re-run {recovered} succeeded" if recovered else "no re-run succeeded"
        )

    def first(self, checker: Any, kind: str) -> str:
        """The first attempt's job name of the scenario's `training`/`transform` task."""
        return min(j.name for j in report.jobs_containing(checker, self.stamp) if j.kind == kind)

    def assert_clean(self) -> None:
        assert (self.duplicates, self.orphans, self.lost) == (0, 0, [])


def one_job_each(**attempts: list[str]) -> dict[str, list[str]]:
    return {
        "processing:seed": ["Completed"],
        "training:train": ["Completed"],
        "transform:transform": ["Completed"],
        **{key.replace("_", ":"): value for key, value in attempts.items()},
    }


def assert_failed_cleanly(result: DagRunResult, failed_task: str, not_run: list[str]) -> None:
    assert result.state == "failed", result.task_states
    assert result.task_states[failed_task] == "failed", result.task_states
    for task in not_run:
        assert result.task_states[task] in ("upstream_failed", "None"), (task, result.task_states)


def test_transient_faults_are_ridden_over_without_a_duplicate_job(
    service: FaultyService, checker: Any, s3: Any
) -> None:
    scenario = Scenario("A: transient", TRANSIENT)
    result = scenario.run()
    scenario.measure(
        service,
        checker,
        s3,
        [
            Struck("throttling (ThrottlingException 400)", 1, tuple(THROTTLED)),
            Struck("InternalFailure 500 (DescribeProcessingJob)", 1, ("500 DescribeProcessingJob",)),
            Struck("ServiceUnavailable 503 (CreateModel)", 1, ("503 CreateModel",)),
            Struck("500 after CreateTrainingJob took effect", 1, ("lost answer CreateTrainingJob",)),
            Struck("S3 SlowDown 503 on the job's reads", 1, ("S3 SlowDown",)),
        ],
    )

    assert result.succeeded(), result.task_states
    assert scenario.injected == {
        **THROTTLED,
        "500 DescribeProcessingJob": 2,
        "503 CreateModel": 2,
        "lost answer CreateTrainingJob": 1,
        "S3 SlowDown": 2,
    }
    # Only `train` was retried by Airflow (the lost answer), and its retry re-attached to its job.
    assert scenario.retries == [1] and result.task_states["train"] == "success"
    assert scenario.attempts == one_job_each()
    scenario.assert_clean()


def test_failed_jobs_fail_the_run_cleanly_and_a_rerun_starts_one_new_attempt(
    service: FaultyService, checker: Any, s3: Any
) -> None:
    scenario = Scenario("B: job failures", JOB_FAILURES)
    training_failed = scenario.run()  # the first training job ends with an AlgorithmError
    transform_failed = scenario.run()  # training -a2 completes; the transform cannot read the model
    recovered = scenario.run()  # transform -a2 completes
    scenario.measure(
        service,
        checker,
        s3,
        [
            Struck("AlgorithmError (first training attempt)", 1, ("algorithm error",)),
            Struck("S3 AccessDenied 403 (first transform attempt)", 2, ("S3 AccessDenied",)),
        ],
    )

    assert_failed_cleanly(training_failed, "await_training", ["create_model", "transform", "evaluate"])
    assert_failed_cleanly(transform_failed, "await_transform", ["evaluate"])
    assert recovered.succeeded(), recovered.task_states
    assert scenario.injected == {"algorithm error": 1, "S3 AccessDenied": 1}
    assert scenario.attempts == one_job_each(
        training_train=["Failed", "Completed"], transform_transform=["Failed", "Completed"]
    )
    training = checker.describe_training_job(TrainingJobName=scenario.first(checker, "training"))
    assert training["FailureReason"].startswith("AlgorithmError: injected fault")
    assert not training.get("ModelArtifacts")  # nothing a model could be made from
    transform = checker.describe_transform_job(TransformJobName=scenario.first(checker, "transform"))
    assert transform["FailureReason"].startswith("ClientError: Failed to download data.")
    assert "AccessDenied" in transform["FailureReason"]
    models = checker.list_models(NameContains=scenario.stamp)["Models"]
    assert [m["ModelName"] for m in models] == [f"{scenario.first(checker, 'training')}-a2"]
    scenario.assert_clean()


def test_stopped_and_interrupted_jobs_fail_the_run_cleanly_and_a_rerun_recovers(
    service: FaultyService, checker: Any, s3: Any
) -> None:
    scenario = Scenario("C: stops", STOPS)
    killer = KillWhenStruck(service, "service killed")
    killer.start()
    hung = scenario.run()  # the first training job hangs and is stopped at MaxRuntimeInSeconds
    interrupted = scenario.run()  # training -a2 completes; the service is killed while the transform runs
    killer.join(timeout=60)
    assert killer.killed, killer.error
    recovered = scenario.run()
    scenario.measure(
        service,
        checker,
        s3,
        [
            Struck("hang until MaxRuntimeInSeconds (training)", 1, ("hang to MaxRuntime",)),
            Struck("service SIGKILLed mid-job, restarted (transform)", 2, ("service killed",)),
        ],
    )

    assert_failed_cleanly(hung, "await_training", ["create_model", "transform", "evaluate"])
    assert_failed_cleanly(interrupted, "await_transform", ["evaluate"])
    assert recovered.succeeded(), recovered.task_states
    # The restart kept the fault counts (same plan), so no later attempt was struck again.
    assert scenario.injected == {"hang to MaxRuntime": 1, "service killed": 1}
    assert scenario.attempts == one_job_each(
        training_train=["Stopped", "Completed"], transform_transform=["Failed", "Completed"]
    )
    stopped = checker.describe_training_job(TrainingJobName=scenario.first(checker, "training"))
    assert stopped["SecondaryStatus"] == "MaxRuntimeExceeded"
    killed = checker.describe_transform_job(TransformJobName=scenario.first(checker, "transform"))
    assert "stopped while this job was running" in killed["FailureReason"]
    scenario.assert_clean()


def test_a_killed_training_task_stops_its_job_and_its_retry_starts_one_new_attempt(
    service: FaultyService, checker: Any, s3: Any, local_stack: Any
) -> None:
    """The operator's on_kill, as Airflow calls it when the task is killed, then the task's retry."""
    from retraining_airflow.idempotent import JOB_NAME_XCOM_KEY, IdempotentTrainingOperator

    name = f"{ON_KILL}-{uuid.uuid4().hex[:8]}"
    request = small_training_request(s3, local_stack.bucket, name)

    class TaskInstanceStub:
        def __init__(self) -> None:
            self.xcom: dict[str, Any] = {}

        def xcom_push(self, key: str, value: Any) -> None:
            self.xcom[key] = value

    def try_task() -> tuple[IdempotentTrainingOperator, str]:
        operator = IdempotentTrainingOperator(
            task_id="train", config=dict(request), wait_for_completion=False, print_log=False
        )
        ti = TaskInstanceStub()
        operator.execute({"ti": ti})
        return operator, ti.xcom[JOB_NAME_XCOM_KEY]

    killed, first = try_task()
    wait_until(lambda: service.injected()["on_kill"] == 1)  # the job is running (and hanging)
    killed.on_kill()
    stopped = wait_for_end(checker, first)
    _, second = try_task()
    completed = wait_for_end(checker, second)

    jobs = report.jobs_containing(checker, name)
    lost = report.lost_artifacts(checker, s3, name)
    row = report.Row(
        fault="task killed (operator on_kill), then retried",
        scenario="D: on_kill",
        injected=service.injected()["on_kill"],
        runs=0,
        retries=1,
        duplicates=report.duplicates(jobs),
        orphans=report.orphans(checker, name),
        lost_artifacts=len(lost),
        outcome=f"attempt 1 {stopped}, attempt 2 {completed}",
    )
    report.record(row)

    assert (first, second) == (name, f"{name}-a2")
    assert (stopped, completed) == ("Stopped", "Completed")
    assert [j.name for j in jobs] == [name, f"{name}-a2"]
    assert (row.duplicates, row.orphans, lost) == (0, 0, [])


def test_a_failed_nightly_training_leaves_the_champion_and_the_registry_untouched(
    service: FaultyService, checker: Any, s3: Any, local_stack: Any
) -> None:
    """nightly_retrain with a champion in the registry: the night's training fails, nothing is registered."""
    group = f"faults-{uuid.uuid4().hex[:8]}"
    champion_arn = seed_champion(checker, s3, local_stack.bucket, group, data_date="2031-01-31")
    result = run_or_rerun(
        datetime(2031, 2, 2, 3, tzinfo=UTC),  # the 03:00 run of 2 Feb retrains on partition 2031-02-01
        "nightly_retrain",
        {
            "model_package_group": group,
            "rows_per_day": 300,
            "full_retrain_every_days": 0,
            "extra_rounds": 2,
            "full_rounds": 3,
        },
    )
    measured = Night(service, checker, s3, group, champion_arn, "-20310201-")
    row, after, jobs, lost = measured.measure(
        result, "AlgorithmError in nightly training, champion in place", "nightly algorithm error"
    )

    assert_failed_cleanly(
        result,
        "await_training",
        ["evaluate", "quality_gate", "register_champion", "register_rejected", "publish_champion"],
    )
    assert [(v["ModelPackageArn"], v["ModelApprovalStatus"]) for v in after] == [(champion_arn, "Approved")]
    assert checker.list_models(NameContains="-20310201-")["Models"] == []
    assert {j.kind for j in jobs} == {"processing", "training"}  # no evaluation, no scoring
    assert (row.duplicates, row.orphans, lost) == (0, 0, [])


def test_a_dying_or_hung_nightly_evaluation_never_promotes_the_candidate_and_keeps_the_champion(
    service: FaultyService, checker: Any, s3: Any, local_stack: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    """nightly_retrain with a champion: the evaluation processing job's process is killed (DescribeProcessingJob:
    `Failed` with a FailureReason), and in the re-run of the night its new attempt hangs until
    MaxRuntimeInSeconds stops it (`Stopped`, ExitMessage naming the runtime limit, as SageMaker's
    StoppingCondition documents). Either way the gate never runs, nothing is registered, the run fails saying
    the champion stays; the re-run reuses the night's completed data and training jobs."""
    group = f"faults-{uuid.uuid4().hex[:8]}"
    champion_arn = seed_champion(checker, s3, local_stack.bucket, group, data_date="2031-02-02")
    night = datetime(2031, 2, 4, 3, tzinfo=UTC)  # retrains on partition 2031-02-03
    conf = {
        "model_package_group": group,
        "rows_per_day": 300,
        "training_mode": "full",  # the seeded champion's model is a placeholder: do not continue from it
        "full_retrain_every_days": 0,
        "extra_rounds": 2,
        "full_rounds": 3,
    }
    measured = Night(service, checker, s3, group, champion_arn, "-20310203-")
    for fault, rule, ended in (
        (
            "nightly evaluation dies (process SIGKILLed), champion in place",
            "nightly evaluation crash",
            "Failed",
        ),
        ("nightly evaluation hangs to MaxRuntime, champion in place", "nightly evaluation hang", "Stopped"),
    ):
        result = run_or_rerun(night, "nightly_retrain", conf)
        row, after, jobs, lost = measured.measure(result, fault, rule)

        assert_failed_cleanly(
            result,
            "await_evaluation",
            ["quality_gate", "register_champion", "register_rejected", "publish_champion"],
        )
        assert [(v["ModelPackageArn"], v["ModelApprovalStatus"]) for v in after] == [
            (champion_arn, "Approved")
        ]
        evaluation = max(j.name for j in jobs if j.name.startswith("nr-evaluate-"))
        assert checker.describe_processing_job(ProcessingJobName=evaluation)["ProcessingJobStatus"] == ended
        printed = "".join(capfd.readouterr())
        assert f"{evaluation} ended {ended}" in printed
        assert "not promoted: the champion stays" in printed  # the failure says what it means
        assert (row.duplicates, row.orphans, lost) == (0, 0, [])
    killed = checker.describe_processing_job(ProcessingJobName=evaluation.removesuffix("-a2"))
    assert "worker process was killed (SIGKILL)" in killed["FailureReason"]
    attempts = report.attempts_by_task(jobs)
    assert attempts["processing:evaluate"] == [
        "Failed",
        "Stopped",
    ]  # one new attempt; data and training reused
    assert all(len(states) == 1 for task, states in attempts.items() if task != "processing:evaluate"), (
        attempts
    )


# helpers
@dataclass
class Night:
    """A nightly_retrain scenario with a seeded champion: what one run of it left, as a row of the table."""

    service: FaultyService
    checker: Any
    s3: Any
    group: str
    champion_arn: str
    partition: str  # "-YYYYMMDD-", the part of the night's job names its data partition fixes

    def measure(
        self, result: DagRunResult, fault: str, rule: str
    ) -> tuple[report.Row, list[dict[str, Any]], list[report.Job], list[str]]:
        after = self.checker.list_model_packages(ModelPackageGroupName=self.group)["ModelPackageSummaryList"]
        jobs = report.jobs_containing(self.checker, self.partition)
        lost = report.lost_artifacts(self.checker, self.s3, self.group)
        kept = [v["ModelPackageArn"] for v in after] == [self.champion_arn]
        row = report.Row(
            fault=fault,
            scenario="E: nightly_retrain",
            injected=self.service.injected()[rule],
            runs=1,
            retries=retries_in(result.run_id, "nightly_retrain"),
            duplicates=report.duplicates(jobs),
            orphans=report.orphans(self.checker, self.partition),
            lost_artifacts=len(lost),
            outcome=f"run {result.state}; registry versions {len(after)}, champion "
            + ("kept" if kept else "REPLACED"),
        )
        report.record(row)
        return row, after, jobs, lost


def seed_champion(checker: Any, s3: Any, bucket: str, group: str, data_date: str) -> str:
    """An approved version, as an earlier night would have registered it."""
    import io
    import tarfile

    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        member = tarfile.TarInfo("xgboost-model")
        tar.addfile(member, io.BytesIO(b""))
    key = f"faults/{group}/champion/model.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=archive.getvalue())
    checker.create_model_package_group(ModelPackageGroupName=group)
    return str(
        checker.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription="seeded champion",
            ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{bucket}/{key}"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            CustomerMetadataProperties={"data_date": data_date, "training_job": "seeded", "mse": "0.1"},
        )["ModelPackageArn"]
    )


def wait_until(condition: Any, timeout: float = 60, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s")
        time.sleep(every)


def wait_for_end(checker: Any, name: str, timeout: float = 90) -> str:
    ended: list[str] = []

    def done() -> bool:
        status = str(checker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"])
        ended.append(status)
        return status in ("Completed", "Failed", "Stopped")

    wait_until(done, timeout)
    return ended[-1]


def small_training_request(s3: Any, bucket: str, name: str) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(11)
    features = rng.normal(size=(300, 3))
    rows = np.column_stack([1 / (1 + np.exp(-features[:, 0])), features])
    prefix = f"faults/{name}"
    s3.put_object(Bucket=bucket, Key=f"{prefix}/train/train.csv", Body=csv_bytes(rows))
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [channel("train", f"s3://{bucket}/{prefix}/train/")],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/{prefix}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "HyperParameters": {"objective": "reg:logistic", "num_round": "3"},
    }


class KillWhenStruck(threading.Thread):
    """Once a `hang` rule has struck (its job is running and stuck), SIGKILLs the service and restarts it."""

    def __init__(self, service: FaultyService, rule: str) -> None:
        super().__init__(daemon=True, name="kill-service")
        self.service, self.rule = service, rule
        self.killed = False
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            wait_until(lambda: self.service.injected()[self.rule] > 0, timeout=240, every=0.3)
            time.sleep(0.5)
            self.service.kill_and_restart()
            self.killed = True
        except BaseException as error:
            self.error = error
