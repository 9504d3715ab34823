"""A training task refused by an account quota (ResourceLimitExceeded) succeeds on an Airflow retry.

Follows the SageMaker API reference (CreateTrainingJob: ResourceLimitExceeded when a service quota would
be exceeded) and Airflow's task retries (`retries`, `retry_delay`): the DAGs' defaults retry a task whose
create is refused, and the retry starts the one job of that run, never a duplicate.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from scripts.dag_runs import run_dag, task_result
from tests.faults.conftest import RETRY_DELAY_ENV, FaultyService
from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE

pytestmark = pytest.mark.e2e

QUOTAS_ENV = "LOCAL_SAGEMAKER_INSTANCE_QUOTAS"
INSTANCE_TYPE = "ml.m5.xlarge"  # train_and_transform's default training instance type


@pytest.fixture
def quota_of_one(faulty_service: FaultyService) -> Iterator[FaultyService]:
    """The session's service restarted with one training instance of INSTANCE_TYPE for the account."""
    import retraining.dag_defaults

    # Retries 4, 8 and 16 s apart: time enough for the quota to be freed between them.
    saved_delay = os.environ.get(RETRY_DELAY_ENV, "0.5")
    os.environ[RETRY_DELAY_ENV] = "4"
    importlib.reload(retraining.dag_defaults)
    os.environ[QUOTAS_ENV] = f"training-job:{INSTANCE_TYPE}=1"
    try:
        faulty_service.start(None)
    finally:
        os.environ.pop(QUOTAS_ENV, None)
    try:
        yield faulty_service
    finally:
        faulty_service.start(None)  # later tests get the service without the quota
        os.environ[RETRY_DELAY_ENV] = saved_delay
        importlib.reload(retraining.dag_defaults)


def train_attempts(dag_id: str) -> dict[str, tuple[str, int]]:
    """Every run's `train` task: run id -> (state, try number)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance.run_id, TaskInstance.state, TaskInstance.try_number).filter(
            TaskInstance.dag_id == dag_id, TaskInstance.task_id == "train"
        )
        return {str(run_id): (str(state), int(tries)) for run_id, state, tries in rows}


@pytest.mark.timeout(600)
def test_a_quota_refusal_is_retried_and_starts_one_job(
    quota_of_one: FaultyService, checker: Any, training_blocker: Any
) -> None:
    blocker = training_blocker(INSTANCE_TYPE)
    dag_id = "train_and_transform"
    released, refused = threading.Event(), threading.Event()

    def release_when_refused() -> None:
        # Free the quota only once Airflow has seen the refusal and put `train` up for retry.
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and not released.is_set():
            runs = train_attempts(dag_id)
            if any(state == "up_for_retry" for run, (state, _) in runs.items() if run not in earlier_runs):
                refused.set()
                checker.stop_training_job(TrainingJobName=blocker)
                released.set()
                return
            time.sleep(0.5)

    # Earlier tests' runs do not count. (Importing Airflow's models here, not first in the thread, also
    # keeps the thread's import from racing run_dag's.)
    earlier_runs = set(train_attempts(dag_id))
    watcher = threading.Thread(target=release_when_refused, daemon=True)
    watcher.start()
    try:
        result = run_dag(dag_id, datetime(2026, 11, 3, tzinfo=UTC), {"rows": 1500, "num_round": 4})
    finally:
        released.set()
        watcher.join(10)
    assert result.succeeded(), result.task_states
    assert refused.is_set(), "train was never refused: the quota did not apply"
    state, tries = train_attempts(dag_id)[result.run_id]
    assert state == "success" and tries >= 2, "refused first, then created on a retry"
    plan = task_result(result.dag_id, result.run_id, "plan")
    name = plan["training_job_name"]
    jobs = checker.list_training_jobs(NameContains=name)["TrainingJobSummaries"]
    assert [j["TrainingJobName"] for j in jobs] == [name], "a retry started a duplicate job"
    assert checker.describe_training_job(TrainingJobName=blocker)["TrainingJobStatus"] == "Stopped"


@pytest.fixture
def training_blocker(checker: Any, local_stack: Any) -> Iterator[Any]:
    """Starts a training job that holds the quota's one instance, sleeping (no CPU taken from the run
    under test); stopped at the end in any case."""
    started: list[str] = []

    def start(instance_type: str) -> str:
        name = f"quota-blocker-{uuid.uuid4().hex[:8]}"
        checker.create_training_job(
            TrainingJobName=name,
            AlgorithmSpecification={
                "TrainingImage": XGBOOST_IMAGE,
                "TrainingInputMode": "File",
                "ContainerEntrypoint": ["sleep", "900"],
            },
            RoleArn=ROLE,
            OutputDataConfig={"S3OutputPath": f"s3://{local_stack.bucket}/quota-blocker/models"},
            ResourceConfig={"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )
        started.append(name)
        return name

    yield start
    for name in started:
        if checker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "InProgress":
            checker.stop_training_job(TrainingJobName=name)
