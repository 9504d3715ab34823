"""Runs a command as a SageMaker container would see it: the job's directory at /opt/ml, via bubblewrap.

bubblewrap gives the command a private mount namespace: the host's file system read-only, a private
/tmp, the job's directory bound read-write at /opt/ml (its parent /opt is a tmpfs so the mount point can
exist), its own pid namespace and host name, and with network isolation no network but loopback.
Any program sees /opt/ml there, whatever language it is written in and however it builds its paths.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

CONTAINER_ROOT = "/opt/ml"
_PRIVATE = (Path("/tmp"), Path("/opt"))
# What the command runs with: the service's interpreter and packages (the venv), this checkout.
_RUNTIME_PATHS = (Path(sys.prefix), Path(__file__).resolve().parents[2])


def _hidden_by_private_mounts(paths: tuple[Path, ...]) -> list[str]:
    """Paths under the private /tmp or /opt (a checkout or venv under /tmp), to be bound back read-only."""
    kept: list[str] = []
    for path in paths:
        resolved = path.resolve()
        if any(resolved.is_relative_to(private) for private in _PRIVATE) and str(resolved) not in kept:
            kept.append(str(resolved))
    return kept


def bubblewrap() -> str | None:
    """The bwrap executable, or None where bubblewrap is not installed."""
    return shutil.which("bwrap")


@dataclass(frozen=True)
class Isolation:
    """How one container runs: which host folder is its /opt/ml, its host name and network."""

    job_root: Path  # the host folder that the command sees as /opt/ml
    hostname: str = "algo-1"
    network_isolation: bool = False
    working_dir: str = "/"
    hosts_file: Path | None = None  # bound at /etc/hosts: the names of the job's other hosts

    def command(self, program: list[str], bwrap: str) -> list[str]:
        """`program` wrapped in bwrap with the container's file system."""
        wrapper = [
            bwrap,
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--tmpfs", "/tmp",
            "--tmpfs", "/opt",
            *[arg for path in _hidden_by_private_mounts(_RUNTIME_PATHS) for arg in ("--ro-bind", path, path)],
            "--bind", str(self.job_root), CONTAINER_ROOT,
            *(["--ro-bind", str(self.hosts_file), "/etc/hosts"] if self.hosts_file else []),
            "--unshare-pid",
            "--unshare-uts", "--hostname", self.hostname,
            "--die-with-parent",
            "--chdir", self.working_dir,
        ]  # fmt: skip
        if self.network_isolation:
            wrapper.append("--unshare-net")  # only a private loopback is left inside
        return [*wrapper, "--", *program]
