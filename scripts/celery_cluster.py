"""The compose topology without Docker: Postgres, Redis and Airflow's components as separate processes.

scheduler, dag-processor, triggerer, api-server and N `airflow celery worker`s, each its own process
group, configured from scripts/cluster_settings.py (the list docker-compose.yaml sets), with the repo's
DAGs and plugins, everything on 127.0.0.1 and free ports under one directory, all stopped by `stop()`.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.airflow_ui import LOGIN, AirflowUI
from scripts.backing_services import Postgres, Redis, free_port, stop_process
from scripts.cluster_settings import (
    COMPONENTS,
    LOCAL_ONLY_ARGUMENTS,
    Addresses,
    Secrets,
    airflow_settings,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
AIRFLOW = Path(sys.executable).parent / "airflow"
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"


def new_secrets() -> Secrets:
    from cryptography.fernet import Fernet

    return Secrets(
        fernet_key=Fernet.generate_key().decode(),
        jwt_secret=secrets.token_urlsafe(32),
        api_secret_key=secrets.token_urlsafe(32),
    )


@dataclass
class CeleryCluster:
    root: Path
    # The local stack's environment (AWS endpoints, aws_default, RETRAINING_*), as compose's LOCAL AWS env.
    stack_env: dict[str, str]
    workers: int = 2
    run_schedules: bool = False
    postgres: Postgres = field(init=False)
    redis: Redis = field(init=False)
    api_port: int = field(default_factory=free_port)
    secrets: Secrets = field(default_factory=new_secrets)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.postgres = Postgres(self.root / "postgres")
        self.redis = Redis(self.root / "redis")
        # The REST client of the standalone UI works for any API server with the same login.
        self.api = AirflowUI(home=self.home, port=self.api_port)

    @property
    def home(self) -> Path:
        return self.root / "airflow"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def addresses(self) -> Addresses:
        return Addresses(
            database_host="127.0.0.1",
            database_port=self.postgres.port,
            database_user=self.postgres.user,
            database_password=self.postgres.password,
            database_name=self.postgres.database,
            broker_host="127.0.0.1",
            broker_port=self.redis.port,
            api_server_host="127.0.0.1",
            api_server_port=self.api_port,
        )

    def settings(self) -> dict[str, str]:
        """The shared compose settings for these addresses."""
        return airflow_settings(self.addresses(), self.secrets)

    def environment(self) -> dict[str, str]:
        venv_bin = str(Path(sys.executable).parent)
        local_only = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{LOGIN[0]}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(self.run_schedules),
        }
        return {
            **os.environ,
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
            **self.stack_env,
            **local_only,
            **self.settings(),
        }

    def log_file(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """One `airflow` CLI call with the cluster's settings; fails loudly with its stderr."""
        done = subprocess.run(
            [str(AIRFLOW), *args],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done

    def start(self) -> None:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({LOGIN[0]: LOGIN[1]}))
        self.postgres.start()
        self.redis.start()
        self.airflow("db", "migrate", timeout=600)
        for component in (
            "airflow-apiserver",
            "airflow-scheduler",
            "airflow-dag-processor",
            "airflow-triggerer",
        ):
            self._spawn(component, component)
        for number in range(1, self.workers + 1):
            # Two workers on one host need distinct Celery node names.
            self._spawn("airflow-worker", f"worker-{number}", "--celery-hostname", f"worker-{number}@%h")

    def _spawn(self, component: str, name: str, *extra: str) -> None:
        command = [str(AIRFLOW), *COMPONENTS[component], *LOCAL_ONLY_ARGUMENTS.get(component, []), *extra]
        self.processes[name] = subprocess.Popen(
            command,
            env=self.environment(),
            stdout=self.log_file(name).open("ab"),
            stderr=subprocess.STDOUT,
            cwd=self.root,
            start_new_session=True,
        )

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def celery_workers(self) -> list[str]:
        """Node names of the Celery workers that answer a ping through the broker."""
        done = subprocess.run(
            [str(Path(sys.executable).parent / "celery"), "--app", CELERY_APP, "inspect", "ping", "--json"],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        try:
            answer = json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return []
        return sorted(answer)

    def wait_ready(self, dag_ids: list[str], timeout: float = 300) -> None:
        """Until every component is healthy, the DAGs are parsed and every worker answers."""
        deadline = time.monotonic() + timeout
        self.api.wait_ready(dag_ids, timeout=timeout)
        workers: list[str] = []
        while time.monotonic() < deadline:
            if self.exited():
                raise RuntimeError(f"components exited: {self.exited()}; see {self.root / 'logs'}")
            workers = self.celery_workers()
            if len(workers) == self.workers:
                return
            time.sleep(2)
        raise TimeoutError(
            f"only {workers} of {self.workers} Celery workers answer; see {self.root / 'logs'}"
        )

    def get(self, path: str) -> Any:
        return self.api.get(path)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self.api.call(method, path, body)

    def get_text(self, path: str) -> str:
        return self.api.get_text(path)

    def stop(self) -> None:
        # Every component at once (each waits on its own warm shutdown), the database and broker last.
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            stop_process(process, grace=30)
        self.redis.stop()
        self.postgres.stop()
