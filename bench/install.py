"""Fresh-install time of the pinned set: uv with a cold and a warm cache (and pip, on request)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import save, table

REPO = Path(__file__).resolve().parent.parent
UV = REPO / ".local" / "bootstrap" / "bin" / "uv"


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def measure(with_pip: bool) -> list[list[object]]:
    rows: list[list[object]] = []
    work = Path(tempfile.mkdtemp(prefix="bench-install-"))
    try:
        cache = work / "uv-cache"
        for label in ("uv, empty cache (a new machine)", "uv, warm cache (a second checkout)"):
            venv = work / f"venv-{len(rows)}"
            env = {**os.environ, "UV_CACHE_DIR": str(cache), "VIRTUAL_ENV": str(venv)}
            seconds = _timed([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], env)
            seconds += _timed(
                [str(UV), "pip", "install", "--quiet", "-r", str(REPO / "requirements.txt")], env
            )
            rows.append([label, f"{seconds:.1f}"])
        if with_pip:
            venv = work / "venv-pip"
            env = {**os.environ, "PIP_CACHE_DIR": str(work / "pip-cache")}
            seconds = _timed([sys.executable, "-m", "venv", str(venv)], env)
            seconds += _timed(
                [str(venv / "bin" / "pip"), "install", "-q", "-r", str(REPO / "requirements.txt")], env
            )
            rows.append(["pip, empty cache", f"{seconds:.1f}"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> None:
    with_pip = os.environ.get("BENCH_PIP") == "1"
    rows = measure(with_pip)
    notes = [
        "`make install` uses uv (pinned, bootstrapped by pip); the whole set is pinned in requirements.txt."
    ]
    if not with_pip:
        notes.append("pip is measured only with BENCH_PIP=1 (it takes minutes).")
    save(
        "install",
        "Fresh install of the pinned set",
        [("Wall seconds", table(["installer", "seconds"], rows))],
        notes,
    )


if __name__ == "__main__":
    main()
