"""A local stack (and, when asked, an Airflow home) of the benchmark's own, so it never disturbs a demo."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STATE = REPO / ".local" / "bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_stack(name: str, airflow: bool = False) -> Any:
    """Start moto + the service under .local/bench/<name>, export its environment, stop it at exit."""
    if airflow:
        # Airflow reads its configuration at first import: set it before anything imports airflow.
        os.environ["AIRFLOW_HOME"] = str(STATE / name / "airflow")
        os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
        os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from local_sagemaker.stack import StackConfig, down, stack_env, up

    cfg = StackConfig(base_dir=STATE / name / "stack", s3_port=free_port(), sagemaker_port=free_port())
    up(cfg)
    atexit.register(down, cfg)
    os.environ.update(stack_env(cfg))
    if airflow:
        airflow_cli = Path(sys.executable).parent / "airflow"
        subprocess.run([str(airflow_cli), "db", "migrate"], check=True, capture_output=True)
    return cfg
