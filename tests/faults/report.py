"""What the fault suite measures after each scenario, and the table it leaves behind."""

from __future__ import annotations

import json
import os
import re
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.conftest import TEST_STATE
from tests.support.workers import worker_pids

TABLE_FILE = TEST_STATE / "fault-table.md"
ACTIVE = ("InProgress", "Stopping")
RETRYABLE = ("Failed", "Stopped")
_ATTEMPT = re.compile(r"^(?P<base>.+)-a(?P<n>\d)$")
# kind, list paginator, summaries key, name field, status field
JOB_LISTINGS = (
    ("training", "list_training_jobs", "TrainingJobSummaries", "TrainingJobName", "TrainingJobStatus"),
    (
        "processing",
        "list_processing_jobs",
        "ProcessingJobSummaries",
        "ProcessingJobName",
        "ProcessingJobStatus",
    ),
    ("transform", "list_transform_jobs", "TransformJobSummaries", "TransformJobName", "TransformJobStatus"),
)


@dataclass
class Row:
    """One fault: how often it struck, and what the scenario it struck in measured."""

    fault: str
    scenario: str
    injected: int = 0  # times the service reports injecting it
    runs: int = 0  # DAG runs of the scenario (a re-run is what clearing the run does)
    retries: int = 0  # Airflow task retries in the run the fault struck
    duplicates: int = 0
    orphans: int = 0
    lost_artifacts: int = 0
    outcome: str = ""


# Each test process (pytest-xdist worker) appends its rows to a file of its own; the process that reports
# the session merges them into the table.
ROWS_GLOB = "fault-rows-*.jsonl"

HEADER = (
    "| fault | scenario | injected | runs | retries | duplicates | orphans | lost artifacts | outcome |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---|\n"
)


def _rows_file() -> Path:
    return TEST_STATE / f"fault-rows-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.jsonl"


def record(*rows: Row) -> None:
    """Keep the rows and rewrite the table at once, so a failing invariant still shows in it."""
    TEST_STATE.mkdir(parents=True, exist_ok=True)
    with _rows_file().open("a") as out:
        out.writelines(json.dumps(asdict(row)) + "\n" for row in rows)
    write_table()


def rows() -> list[Row]:
    found = [
        Row(**json.loads(line))
        for path in sorted(TEST_STATE.glob(ROWS_GLOB))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    return sorted(found, key=lambda r: r.scenario)  # stable: a scenario's rows keep their order


def clear() -> None:
    """At the start of a session: forget the rows of earlier ones."""
    for path in TEST_STATE.glob(ROWS_GLOB):
        path.unlink(missing_ok=True)


def write_table() -> str | None:
    """The table of every row recorded this session, written to TABLE_FILE; None when there are none."""
    found = rows()
    if not found:
        return None
    lines = [
        f"| {r.fault} | {r.scenario} | {r.injected} | {r.runs} | {r.retries} | {r.duplicates} | {r.orphans} | "
        f"{r.lost_artifacts} | {r.outcome} |"
        for r in found
    ]
    text = (
        "# Fault suite (train_and_transform and nightly_retrain on the local stack)\n\n"
        "duplicates, orphans and lost artifacts are checked over the whole scenario; retries are Airflow task "
        "retries in the run the fault struck.\n\n" + HEADER + "\n".join(lines) + "\n"
    )
    temporary = TABLE_FILE.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, TABLE_FILE)
    return text


# jobs
@dataclass(frozen=True)
class Job:
    kind: str
    name: str
    status: str

    @property
    def base(self) -> str:
        match = _ATTEMPT.match(self.name)
        return match["base"] if match else self.name

    @property
    def attempt(self) -> int:
        match = _ATTEMPT.match(self.name)
        return int(match["n"]) if match else 1


def jobs_containing(sagemaker: Any, text: str) -> list[Job]:
    found: list[Job] = []
    for kind, operation, key, name_field, status_field in JOB_LISTINGS:
        for page in sagemaker.get_paginator(operation).paginate(NameContains=text):
            found.extend(Job(kind, s[name_field], s[status_field]) for s in page[key])
    return sorted(found, key=lambda j: (j.kind, j.base, j.attempt))


def attempts_by_task(jobs: list[Job]) -> dict[str, list[str]]:
    """`{"training:train": ["Failed", "Completed"]}`: each logical task's jobs' statuses, attempts in order."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for job in jobs:
        grouped[task_of(job)].append(job.status)
    return dict(grouped)


def task_of(job: Job) -> str:
    """The logical task a job belongs to: its kind and the task part of its name (`tt-train-<key>`)."""
    return f"{job.kind}:{job.base.split('-')[1]}"


def duplicates(jobs: list[Job]) -> int:
    """Jobs a task started although it had one already: an attempt whose predecessor did not fail or stop,
    a gap in the attempt numbers, or a second base name for the same task (the provider's timestamp suffix)."""
    count = 0
    grouped: dict[tuple[str, str], list[Job]] = defaultdict(list)
    bases: dict[str, set[str]] = defaultdict(set)
    for job in jobs:
        grouped[(job.kind, job.base)].append(job)
        bases[task_of(job)].add(job.base)
    for group in grouped.values():
        group.sort(key=lambda j: j.attempt)
        for index, job in enumerate(group):
            gap = job.attempt != index + 1
            if gap or (index > 0 and group[index - 1].status not in RETRYABLE):
                count += 1
    return count + sum(len(names) - 1 for names in bases.values())


def orphans(sagemaker: Any, text: str, settle_seconds: float = 15) -> int:
    """Jobs still running once every run is over (after a short settle for Stopping), plus worker processes
    still alive for jobs that have ended."""
    deadline = time.monotonic() + settle_seconds
    while True:
        jobs = jobs_containing(sagemaker, text)
        running = [j for j in jobs if j.status in ACTIVE]
        # A worker exits a moment after it records its job's end.
        lingering = [j for j in jobs if j.status not in ACTIVE and worker_alive(j.name)]
        if not (running or lingering) or time.monotonic() > deadline:
            return len(running) + len(lingering)
        time.sleep(0.5)


def worker_alive(job: str) -> bool:
    return bool(worker_pids(job))


# artifacts
def lost_artifacts(sagemaker: Any, s3: Any, text: str) -> list[str]:
    """S3 objects that models, registry versions and completed training jobs of the scenario point at,
    but that do not exist."""
    referenced: set[str] = set()
    for page in sagemaker.get_paginator("list_models").paginate(NameContains=text):
        for summary in page["Models"]:
            model = sagemaker.describe_model(ModelName=summary["ModelName"])
            containers = [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]
            referenced.update(c["ModelDataUrl"] for c in containers if c.get("ModelDataUrl"))
    for job in jobs_containing(sagemaker, text):
        if job.kind == "training" and job.status == "Completed":
            described = sagemaker.describe_training_job(TrainingJobName=job.name)
            referenced.add(described["ModelArtifacts"]["S3ModelArtifacts"])
    for group in sagemaker.list_model_package_groups(NameContains=text)["ModelPackageGroupSummaryList"]:
        for page in sagemaker.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=group["ModelPackageGroupName"]
        ):
            for summary in page["ModelPackageSummaryList"]:
                package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
                for container in package.get("InferenceSpecification", {}).get("Containers", []):
                    if container.get("ModelDataUrl"):
                        referenced.add(container["ModelDataUrl"])
    return sorted(uri for uri in referenced if not s3_exists(s3, uri))


def s3_exists(s3: Any, uri: str) -> bool:
    from botocore.exceptions import ClientError

    bucket, key = uri[len("s3://") :].split("/", 1)
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True
