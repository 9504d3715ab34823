"""A retried task re-attaches, reuses, or starts a recorded new attempt — never a silent duplicate."""

from __future__ import annotations

import re

import pytest

from retraining.idempotency import TooManyAttempts, attempt_name, resolve_attempt

SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def statuses(table: dict[str, str]):  # type: ignore[no-untyped-def]
    return table.get


def test_first_run_creates_under_the_base_name() -> None:
    resolution = resolve_attempt("train-20261101", statuses({}))
    assert (resolution.name, resolution.action, resolution.attempt) == ("train-20261101", "create", 1)


@pytest.mark.parametrize(
    ("status", "action"), [("InProgress", "attach"), ("Stopping", "attach"), ("Completed", "reuse")]
)
def test_existing_job_is_attached_or_reused(status: str, action: str) -> None:
    resolution = resolve_attempt("train-x", statuses({"train-x": status}))
    assert (resolution.name, resolution.action) == ("train-x", action)


def test_failed_and_stopped_attempts_are_kept_and_the_next_name_is_used() -> None:
    resolution = resolve_attempt("train-x", statuses({"train-x": "Failed", "train-x-a2": "Stopped"}))
    assert (resolution.name, resolution.action, resolution.attempt) == ("train-x-a3", "create", 3)
    assert resolution.earlier_attempts == (("train-x", "Failed"), ("train-x-a2", "Stopped"))


def test_a_completed_later_attempt_is_reused() -> None:
    resolution = resolve_attempt("t", statuses({"t": "Failed", "t-a2": "Completed"}))
    assert (resolution.name, resolution.action) == ("t-a2", "reuse")


def test_attempt_names_stay_valid_at_the_length_limit() -> None:
    base = "a" * 62 + "b"
    for attempt in range(1, 10):
        name = attempt_name(base, attempt)
        assert len(name) <= 63 and SAGEMAKER_NAME.match(name)
    assert attempt_name("x" * 30 + "-yy", 2, max_length=32).endswith("-a2")
    assert len(attempt_name("x" * 32, 5, max_length=32)) == 32


def test_too_long_base_and_exhausted_attempts_are_errors() -> None:
    with pytest.raises(ValueError, match="longer than 63"):
        attempt_name("a" * 64, 1)
    all_failed = {attempt_name("t", i): "Failed" for i in range(1, 10)}
    with pytest.raises(TooManyAttempts, match="fix the cause"):
        resolve_attempt("t", statuses(all_failed))


def test_a_completed_job_whose_outputs_are_gone_is_history_and_the_next_attempt_runs() -> None:
    gone = {"t": ["s3://b/t/output/model.tar.gz"]}
    resolution = resolve_attempt(
        "t", statuses({"t": "Completed"}), missing_outputs=lambda name: gone.get(name, [])
    )
    assert (resolution.name, resolution.action, resolution.attempt) == ("t-a2", "create", 2)
    assert resolution.earlier_attempts == (
        ("t", "Completed, but its outputs are gone (s3://b/t/output/model.tar.gz)"),
    )
    kept = resolve_attempt("t", statuses({"t": "Completed"}), missing_outputs=lambda name: [])
    assert (kept.name, kept.action) == ("t", "reuse")
