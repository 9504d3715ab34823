"""Twenty training jobs submitted at once: the service runs them side by side and every one finishes.

SageMaker runs each CreateTrainingJob on its own instances as soon as it is accepted (no queue between
accounts' jobs and the API); without a quota set, the local service starts each job's worker at once, and
the host's scheduler shares the cores. No job may starve, and Describe keeps answering while they run.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.support.sagemaker_api import unique, wait_training

JOBS = 20


def most_at_once(jobs: list[dict[str, Any]]) -> int:
    """The largest number of jobs whose [TrainingStartTime, TrainingEndTime] overlap at one moment."""
    edges = sorted(
        itertools.chain.from_iterable(
            ((job["TrainingStartTime"], 1), (job["TrainingEndTime"], -1)) for job in jobs
        ),
        key=lambda edge: (edge[0], edge[1]),  # an end before a start at the same instant
    )
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_twenty_jobs_submitted_at_once_all_complete_side_by_side(
    sagemaker: Any, training_request: Any
) -> None:
    hyperparameters = {"objective": "reg:logistic", "num_round": "3", "max_depth": "3"}
    requests = [training_request(name=unique("burst"), hyperparameters=hyperparameters) for _ in range(JOBS)]
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        answers = list(pool.map(lambda request: sagemaker.create_training_job(**request), requests))
    assert all(answer["TrainingJobArn"] for answer in answers)

    jobs = [wait_training(sagemaker, request["TrainingJobName"]) for request in requests]
    assert [job["TrainingJobStatus"] for job in jobs] == ["Completed"] * JOBS, [
        job.get("FailureReason") for job in jobs
    ]
    assert all(job["ModelArtifacts"]["S3ModelArtifacts"].endswith("/output/model.tar.gz") for job in jobs)
    # They ran side by side, not one after another behind a hidden queue.
    assert most_at_once(jobs) > 1
