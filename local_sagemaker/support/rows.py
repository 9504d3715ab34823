"""The three answers the support matrix gives for a request member, one row each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IMPLEMENTED = "implemented"
NO_LOCAL_EFFECT = "no local effect"
REJECTED = "rejected"


@dataclass(frozen=True)
class Row:
    """How the local service treats one member (and, where `covers_members`, everything inside it)."""

    operation: str
    path: str
    status: str
    note: str  # implemented: what it does; no local effect: why; rejected: why and what to do instead
    test: str = ""  # implemented: the test id that proves it, e.g. tests/unit/...py::test_name
    values: tuple[Any, ...] = ()  # when set, only these values are supported; others are refused
    covers_members: bool = False  # the row speaks for every member inside this one too

    @property
    def key(self) -> tuple[str, str]:
        return self.operation, self.path


def implemented(
    operation: str,
    path: str,
    test: str,
    note: str = "",
    values: tuple[Any, ...] = (),
    covers_members: bool = False,
) -> Row:
    """A member the service honours, proven by `test`; `values` limits which values it honours."""
    return Row(operation, path, IMPLEMENTED, note, test, values, covers_members)


def no_local_effect(operation: str, path: str, reason: str, values: tuple[Any, ...] = ()) -> Row:
    """A member accepted because it means nothing on one machine (encryption, networks, billing...)."""
    return Row(operation, path, NO_LOCAL_EFFECT, reason, values=values, covers_members=True)


def rejected(operation: str, path: str, why: str) -> Row:
    """A member with local meaning the service does not implement: a request giving it is refused."""
    return Row(operation, path, REJECTED, why, covers_members=True)
