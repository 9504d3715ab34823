"""How a retried or re-run task finds its own SageMaker job: attach, reuse, or start a recorded new attempt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

RUNNING_STATES = frozenset({"InProgress", "Stopping"})
REUSABLE_STATES = frozenset({"Completed"})
RETRYABLE_STATES = frozenset({"Failed", "Stopped"})
MAX_ATTEMPTS = 9

Action = Literal["create", "attach", "reuse"]


class TooManyAttempts(RuntimeError):
    """Every allowed attempt name is taken by a failed or stopped job."""


@dataclass(frozen=True)
class Resolution:
    """What the task should do, under which job name, and the failed attempts that came before."""

    name: str
    action: Action
    attempt: int
    earlier_attempts: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def attempt_name(base: str, attempt: int, max_length: int = 63) -> str:
    """`base` for the first attempt, then `base-a2`, `base-a3`... always within `max_length`."""
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt}")
    if attempt == 1:
        if len(base) > max_length:
            raise ValueError(f"job name {base!r} is longer than {max_length} characters")
        return base
    suffix = f"-a{attempt}"
    return base[: max_length - len(suffix)].rstrip("-") + suffix


def resolve_attempt(
    base: str,
    status_of: Callable[[str], str | None],
    max_length: int = 63,
    max_attempts: int = MAX_ATTEMPTS,
    missing_outputs: Callable[[str], list[str]] | None = None,
) -> Resolution:
    """Walk the attempt names in order; `status_of(name)` is the job's status, or None if it doesn't exist.

    A running job is attached to and a completed one reused, so a retry never duplicates work; a failed
    or stopped one is kept as history and the next attempt name is used. A completed job whose outputs
    are gone (`missing_outputs(name)` lists them: a lifecycle rule, a person, a lost store) is no use to
    reuse: it is kept as history like a failed one, and the next attempt runs."""
    earlier: list[tuple[str, str]] = []
    for attempt in range(1, max_attempts + 1):
        name = attempt_name(base, attempt, max_length)
        status = status_of(name)
        if status is None:
            return Resolution(name, "create", attempt, tuple(earlier))
        if status in RUNNING_STATES:
            return Resolution(name, "attach", attempt, tuple(earlier))
        if status in REUSABLE_STATES:
            missing = missing_outputs(name) if missing_outputs else []
            if not missing:
                return Resolution(name, "reuse", attempt, tuple(earlier))
            earlier.append((name, f"Completed, but its outputs are gone ({', '.join(missing)})"))
            continue
        if status not in RETRYABLE_STATES:
            raise ValueError(f"job {name} is in an unknown status {status!r}")
        earlier.append((name, status))
    raise TooManyAttempts(
        f"{base}: all {max_attempts} attempts failed or were stopped ({', '.join(n for n, _ in earlier)}); "
        "look at their FailureReason, fix the cause, then clear the task"
    )
