"""Deterministic SageMaker names, so a retried or re-run task finds the job it started before."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MODEL_NAME = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
TUNING_JOB_MAX = 32
JOB_MAX = 63


def _slug(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9]+", "-", text)).strip("-")


def run_key(run_id: str, logical_date: datetime | None) -> str:
    """Identifies one DAG run: its logical date (readable) plus a short hash of the run id (unique)."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:6]
    stamp = logical_date.strftime("%Y%m%d-%H%M%S") if logical_date else "manual"
    return f"{stamp}-{digest}"


def job_name(prefix: str, task: str, key: str, max_length: int = JOB_MAX) -> str:
    """`{prefix}-{task}-{key}`, shortened from the left parts so the key (what makes it unique) survives."""
    key = _slug(key)
    budget = max_length - len(key) - 2
    if budget < 2:
        raise ValueError(f"key {key!r} leaves no room for a name within {max_length} characters")
    prefix, task = _slug(prefix), _slug(task)
    task = task[: max(1, budget // 2)] if len(prefix) + len(task) > budget else task
    prefix = prefix[: budget - len(task)].rstrip("-") or "j"
    name = f"{prefix}-{task}-{key}"
    if not JOB_NAME.match(name) or len(name) > max_length:
        raise ValueError(f"could not build a valid SageMaker name from {prefix!r}, {task!r}, {key!r}")
    return name


def model_name(job: str) -> str:
    """A model named after the job that trained it (as the Step Functions samples do)."""
    name = _slug(job)[:JOB_MAX].rstrip("-")
    if not MODEL_NAME.match(name):
        raise ValueError(f"{job!r} cannot be turned into a SageMaker model name")
    return name
