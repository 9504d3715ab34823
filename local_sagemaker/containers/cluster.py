"""The hosts of a multi-instance training job: algo-1..algo-N, each its own /opt/ml, address and name.

SageMaker names a job's instances algo-1 ... algo-N and lets them resolve each other by name
(resourceconfig.json, SM_HOSTS). Locally every host is a process on this machine: each gets its own
loopback address (127.a.b.i, any of which Linux routes to `lo`), so hosts can listen on the same port
without clashing, and a hosts file that bubblewrap binds at /etc/hosts maps the names to those addresses.
The a.b block is chosen per job, so two jobs running at once do not share addresses. Where only
127.0.0.1 can be bound (macOS configures no other loopback address), every host gets 127.0.0.1 and the
tracker a free port of its own instead.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import socket
from dataclasses import dataclass
from pathlib import Path

# The port the XGBoost container's tracker listens on (sagemaker_xgboost_container/distributed.py).
TRACKER_PORT = 9099
# Every host is a process here: more than this on one machine helps no one.
MAX_LOCAL_HOSTS = 16
_BLOCK_TRIES = 64


def host_names(count: int) -> tuple[str, ...]:
    return tuple(f"algo-{index}" for index in range(1, count + 1))


class _NoSuchAddress(Exception):
    """This machine routes no loopback address but 127.0.0.1."""


def _port_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, port))
        except OSError as error:
            if error.errno == errno.EADDRNOTAVAIL:
                raise _NoSuchAddress from error
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _address_block(seed: str) -> tuple[int, int]:
    """A 127.a.b.0/24 block whose first address has the tracker port free, starting from the seed's hash."""
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big")
    for attempt in range(_BLOCK_TRIES):
        value = digest + attempt * 7919
        block = (16 + value % 224, (value >> 8) % 256)
        if _port_free(f"127.{block[0]}.{block[1]}.1", TRACKER_PORT):
            return block
    raise RuntimeError("no free loopback address block for the job's hosts (127.16.0.0 - 127.239.255.0)")


@dataclass(frozen=True)
class Cluster:
    """Where each host of one job lives: its /opt/ml folder, its address, the shared hosts file."""

    workdir: Path  # the job's working folder
    hosts: tuple[str, ...]
    addresses: dict[str, str]  # host name -> loopback address
    tracker_port: int = TRACKER_PORT  # where the master's XGBoost tracker listens

    @classmethod
    def for_job(cls, workdir: Path, count: int) -> Cluster:
        hosts = host_names(count)
        try:
            first, second = _address_block(str(workdir.resolve()))
        except _NoSuchAddress:
            return cls(workdir, hosts, dict.fromkeys(hosts, "127.0.0.1"), _free_port())
        addresses = {host: f"127.{first}.{second}.{index}" for index, host in enumerate(hosts, start=1)}
        return cls(workdir, hosts, addresses)

    @property
    def master(self) -> str:
        """The host the XGBoost container and the toolkit call master: the first of the sorted names."""
        return sorted(self.hosts)[0]

    def sandbox(self, host: str) -> Path:
        """That host's folder: its opt/ml, its scratch space and its local log."""
        path = self.workdir / "hosts" / host
        path.mkdir(parents=True, exist_ok=True)
        return path

    def root(self, host: str) -> Path:
        """The folder that host sees as /opt/ml."""
        path = self.sandbox(host) / "opt" / "ml"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def scratch(self, host: str) -> Path:
        """A folder of that host's outside its /opt/ml (archives, source downloads)."""
        path = self.sandbox(host) / "scratch"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def hosts_file(self) -> Path:
        """This machine's /etc/hosts plus one line per host, to be bound at /etc/hosts in every sandbox."""
        path = self.workdir / "hosts" / "etc-hosts"
        base = ""
        with contextlib.suppress(OSError):
            base = Path("/etc/hosts").read_text()
        if "localhost" not in base:
            base += "127.0.0.1 localhost\n::1 localhost\n"
        lines = "".join(f"{address} {host}\n" for host, address in self.addresses.items())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base.rstrip("\n") + "\n# the job's hosts (local SageMaker)\n" + lines)
        return path
