"""What every container program gets: the service's Python first on PATH, local AWS endpoints, isolation."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from local_sagemaker.config import ServiceSettings
from local_sagemaker.containers.isolation import Isolation, bubblewrap
from local_sagemaker.containers.process import ProgramResult, run_program

NO_BUBBLEWRAP = (
    "bubblewrap (bwrap) is not installed: the program runs without a private /opt/ml, file system or "
    "network; install the Debian package bubblewrap for SageMaker's container isolation"
)


def container_environment(settings: ServiceSettings, job_environment: dict[str, str]) -> dict[str, str]:
    """The framework images' Python is the service's own: its bin folder comes first on PATH.

    As a SageMaker container gets its role's credentials, the program gets the local stack's, so boto3
    inside it reaches the local S3 and Logs. The request's Environment is applied last."""
    python_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{python_bin}:{os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}",
        "HOME": "/tmp",  # the container's only writable place outside /opt/ml
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONNOUSERSITE": "1",
        **settings.aws_client_env(),
        **job_environment,
    }


def run_isolated(
    isolation: Isolation,
    program: list[str],
    env: dict[str, str],
    write_log: Callable[[str], None],
    should_stop: Callable[[], bool],
    abort: Callable[[], bool] = lambda: False,
) -> ProgramResult:
    """Run `program` inside bubblewrap; callers check `bubblewrap()` first and fall back themselves."""
    bwrap = bubblewrap()
    if bwrap is None:
        raise RuntimeError(NO_BUBBLEWRAP)
    return run_program(isolation.command(program, bwrap), env, write_log, should_stop, abort=abort)
