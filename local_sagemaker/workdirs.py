"""Bounded disk: a job's working folder is emptied when the job ends, but for its logs.

A Completed job's data (downloaded inputs, model files, outputs: all already in S3) goes at once; a Failed
or Stopped job's is kept for debugging for LOCAL_SAGEMAKER_KEEP_FAILED_HOURS (default 24), then removed
the next time any job ends or the service starts. `job.log` and `worker.log` always stay: the job pages
and tuning's trial summaries read them."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

KEEP_FAILED_ENV = "LOCAL_SAGEMAKER_KEEP_FAILED_HOURS"
_KEPT_FILES = frozenset({"job.log", "worker.log"})
# Marks a folder whose data is kept for debugging; its mtime is when the job ended.
_KEEP_MARK = ".kept-for-debugging"


def keep_failed_seconds() -> float:
    raw = os.environ.get(KEEP_FAILED_ENV, "24")
    try:
        hours = float(raw)
    except ValueError:
        raise ValueError(
            f"{KEEP_FAILED_ENV}={raw!r} must be a number of hours, e.g. 24 (0 removes at once)"
        ) from None
    return hours * 3600


def empty(workdir: Path) -> None:
    """Remove everything in the folder but its logs."""
    if not workdir.exists():
        return
    for entry in workdir.iterdir():
        if entry.name in _KEPT_FILES:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def job_ended(workdir: Path, completed: bool) -> None:
    """Tidy a job's folder as it ends, then any failed job's folder whose keeping time is over."""
    if completed or keep_failed_seconds() <= 0:
        empty(workdir)
    elif workdir.exists():
        (workdir / _KEEP_MARK).touch()
    sweep(workdir.parent.parent)


def sweep(jobs_root: Path) -> list[Path]:
    """Empty kept folders (under jobs/<kind>/<name>) whose keeping time is over; returns them."""
    deadline = time.time() - keep_failed_seconds()
    emptied = []
    for mark in jobs_root.glob(f"*/*/{_KEEP_MARK}"):
        try:
            expired = mark.stat().st_mtime < deadline
        except FileNotFoundError:
            continue
        if expired:
            empty(mark.parent)
            emptied.append(mark.parent)
    return emptied
