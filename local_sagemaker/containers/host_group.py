"""Runs one job's hosts side by side: each in its own thread, the first failure ending the others at once.

On SageMaker a training job with several instances fails as soon as one of them fails, and the others
are shut down; the job's FailureReason is that instance's. Here each host is a program run by
`run_program`; a host that raises marks the group failed and every other host's `abort` turns true.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Outcome = TypeVar("Outcome")


@dataclass
class HostFailure:
    host: str
    error: BaseException


@dataclass
class HostGroup(Generic[Outcome]):
    """`run_host(host, abort)` runs one host to its end; it raises when that host failed."""

    hosts: tuple[str, ...]
    run_host: Callable[[str, Callable[[], bool]], Outcome]
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    failure: HostFailure | None = None
    _failed: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(self, host: str) -> None:
        try:
            outcome = self.run_host(host, self._failed.is_set)
        except BaseException as error:  # any failure of a host fails the job, whatever it is
            with self._lock:
                if self.failure is None:  # the first host to fail is the cause; the rest follow it
                    self.failure = HostFailure(host, error)
            self._failed.set()
            return
        with self._lock:
            self.outcomes[host] = outcome

    def run(self) -> dict[str, Outcome]:
        """Every host to its end; re-raises the first host's failure (the caller names the host)."""
        threads = [
            threading.Thread(target=self._run, args=(host,), name=f"host-{host}", daemon=True)
            for host in self.hosts
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.failure is not None:
            raise self.failure.error
        return self.outcomes
