"""A source directory's requirements.txt, installed into a per-job layer over the service's own Python.

As the training toolkit does (modules.install_requirements, before the entry point runs), with the
packages put in a folder keyed by the file's hash and the Python version, reused by every job that
asks for the same requirements, and added to the program's PYTHONPATH ahead of the service's packages.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from local_sagemaker.job_errors import AlgorithmError

_REPO_UV = Path(__file__).resolve().parents[2] / ".local" / "bootstrap" / "bin" / "uv"
_INSTALL_TIMEOUT_SECONDS = 600


def _installer() -> list[str] | None:
    uv = shutil.which("uv") or (str(_REPO_UV) if _REPO_UV.is_file() else None)
    if uv:
        return [uv, "pip", "install", "--quiet", "--python", sys.executable]
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, check=False)
    return [sys.executable, "-m", "pip", "install", "--quiet"] if probe.returncode == 0 else None


def requirements_layer(requirements: Path, cache_root: Path, write_log: Callable[[str], None]) -> Path:
    """The folder holding the installed requirements; installs them the first time they are seen."""
    content = requirements.read_bytes()
    digest = hashlib.sha256(content + sys.version.encode()).hexdigest()[:24]
    layer = cache_root / digest
    if layer.is_dir():
        write_log(f"requirements.txt: reusing the installed packages in {layer}")
        return layer
    installer = _installer()
    if installer is None:
        raise AlgorithmError(
            "InstallRequirementsError: the local service found neither uv nor pip to install the source "
            "directory's requirements.txt; install uv (pip install uv) where the service runs"
        )
    staging = cache_root / f".{digest}-{uuid.uuid4().hex[:8]}"
    command = [*installer, "--target", str(staging), "-r", str(requirements)]
    write_log(f"Installing requirements.txt: {' '.join(command)}")
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=_INSTALL_TIMEOUT_SECONDS,
        check=False,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        message = (done.stderr or done.stdout).strip()[-600:]
        write_log(message)
        raise AlgorithmError(
            f'InstallRequirementsError:\nExitCode {done.returncode}\nErrorMessage "{message}"\n'
            f'Command "{" ".join(command)}"'
        )
    try:
        staging.rename(layer)  # atomic: a job running beside this one sees all of it or none
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another job installed the same set first
    return layer
