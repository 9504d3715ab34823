"""What a process id runs now: pids are reused, so a stored pid is trusted only if its command line still
matches (the stack's pid files, the service's record of its job workers)."""

from __future__ import annotations

import subprocess
from pathlib import Path

_PROC = Path("/proc")


def command_line(pid: int) -> str | None:
    """The process's command line, arguments joined by spaces; None when there is no such process."""
    if _PROC.joinpath("self").exists():
        try:
            raw = _PROC.joinpath(str(pid), "cmdline").read_bytes()
        except OSError:
            return None
        return raw.replace(b"\0", b" ").decode(errors="replace").strip()
    # No /proc (macOS): ask ps.
    answer = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True)
    return answer.stdout.strip() or None
