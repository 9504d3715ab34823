"""Starts job worker processes, by default forked from a server that has already imported what jobs use.

A fresh interpreter that imports xgboost, pandas and boto3 costs a job about two seconds before it reads
a byte; a fork of a process that holds them costs milliseconds. That start-up is what separated a
20-round incremental retrain from a 300-round full one (bench/incremental.py). `spawn` (a fresh
interpreter per job) stays available, for comparison and as a fallback.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing import forkserver
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from local_sagemaker import worker
from local_sagemaker.config import WorkerStart

# Imported once by the fork server; modules that are missing are skipped (the job imports them itself).
PRELOAD = [
    "local_sagemaker.runners.processing",
    "local_sagemaker.runners.training",
    "local_sagemaker.runners.transform",
    "local_sagemaker.runners.tuning",
    "local_sagemaker.tuning_search",
    "boto3",
    "botocore.session",
    "numpy",
    "pandas",
    "xgboost",
    "optuna",
    "setproctitle",
    "local_sagemaker.warm",
]


class WorkerPool:
    """Hands out worker processes; `Process.exitcode` tells their fate, `pid` leads their process group."""

    def __init__(self, start_method: WorkerStart) -> None:
        self.start_method = start_method
        self._context: Any = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            forkserver.set_forkserver_preload(PRELOAD)

    def warm_up(self) -> None:
        """Start the fork server now, so the imports run while the service waits for its first job."""
        if self.start_method == "forkserver":
            forkserver.ensure_running()

    def start(
        self, state_dir: Path, kind_name: str, name: str, log_path: Path, env: dict[str, str]
    ) -> BaseProcess:
        process = self._context.Process(
            target=worker.run_job,
            args=(os.getpid(), str(state_dir), kind_name, name, str(log_path), env),
            name=worker.title(state_dir, kind_name, name),
            # Not daemonic: a tuning job's worker starts workers of its own for its training jobs.
            daemon=False,
        )
        process.start()
        return process
