"""Finding the local service's job workers among the machine's processes, by the title they carry."""

from __future__ import annotations

from pathlib import Path

from local_sagemaker import worker


def worker_pids(job: str) -> list[int]:
    """PIDs of workers running `job` (titled "local_sagemaker.worker <kind> <job> @<service>")."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            words = (proc / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        if words[:1] == [worker.TITLE_PREFIX.encode()] and job.encode() in words:
            found.append(int(proc.name))
    return found
