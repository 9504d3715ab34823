"""A real Airflow 3 on 127.0.0.1: api-server (UI), scheduler, dag-processor and triggerer.

`airflow standalone` runs the four components; this module gives it a fixed login, a chosen port and the
local stack's environment, and waits until the scheduler has parsed the DAGs. `make ui` uses it in the
foreground; the backfill and browser tests use it in the background.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
LOGIN = ("admin", "admin")  # local only: the UI binds 127.0.0.1


@dataclass
class AirflowUI:
    home: Path
    port: int
    # False: the scheduler runs only what is triggered or backfilled, never tonight's scheduled run.
    run_schedules: bool = True
    process: subprocess.Popen[bytes] | None = None
    _token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "standalone.log"

    def environment(self, base: dict[str, str]) -> dict[str, str]:
        passwords = self.home / "simple_auth_manager_passwords.json"
        venv_bin = str(Path(sys.executable).parent)
        env = {
            **base,
            # standalone starts its components as `airflow ...` from PATH
            "PATH": venv_bin + os.pathsep + base.get("PATH", ""),
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{LOGIN[0]}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            # New DAGs stay paused: starting the UI must not start tonight's retraining by itself.
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(self.run_schedules),
        }
        return env

    def start(self, base_env: dict[str, str] | None = None) -> None:
        self.home = self.home.resolve()  # Airflow refuses a relative SQLite path
        self.home.mkdir(parents=True, exist_ok=True)
        passwords = self.home / "simple_auth_manager_passwords.json"
        passwords.write_text(json.dumps({LOGIN[0]: LOGIN[1]}))
        env = self.environment(dict(base_env if base_env is not None else os.environ))
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), "standalone"],
            env=env,
            stdout=self.log_file.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends every component
        )

    def wait_ready(self, dag_ids: list[str], timeout: float = 240) -> None:
        """Until the API answers, every component is healthy and the DAGs are parsed."""
        deadline = time.monotonic() + timeout
        missing: list[str] = dag_ids
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"airflow standalone exited early; see {self.log_file}")
            try:
                health = self.get("/api/v2/monitor/health", auth=False)
                healthy = all(
                    health.get(part, {}).get("status") == "healthy"
                    for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
                )
                if healthy:
                    known = {d["dag_id"] for d in self.get("/api/v2/dags?limit=100")["dags"]}
                    missing = [d for d in dag_ids if d not in known]
                    if not missing:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(2)
        raise TimeoutError(
            f"Airflow at {self.url} not ready after {timeout}s (missing DAGs {missing}); see {self.log_file}"
        )

    def token(self) -> str:
        """A JWT for the REST API, fetched once (it lasts far longer than any run of ours)."""
        if self._token is None:
            self._token = self._new_token()
        return self._token

    def _new_token(self) -> str:
        request = urllib.request.Request(
            f"{self.url}/auth/token",
            data=json.dumps({"username": LOGIN[0], "password": LOGIN[1]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return str(json.load(answer)["access_token"])

    def get(self, path: str, auth: bool = True) -> Any:
        return self.call("GET", path, None, auth)

    def get_text(self, path: str) -> str:
        """A page (not JSON) behind the login, e.g. a plugin's app."""
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token()}"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return str(answer.read().decode())

    def call(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def stop(self, grace: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run the Airflow UI against the local stack (Ctrl-C stops it)."
    )
    parser.add_argument("--home", type=Path, default=REPO_ROOT / ".local" / "airflow")
    parser.add_argument("--port", type=int, default=int(os.environ.get("AIRFLOW_UI_PORT", "8080")))
    args = parser.parse_args(argv)
    if "AWS_ENDPOINT_URL_SAGEMAKER" not in os.environ and "AIRFLOW_CONN_AWS_DEFAULT" not in os.environ:
        print("note: no local stack environment; the DAGs will use your AWS connection settings.")
    if port_in_use(args.port):
        raise SystemExit(
            f"Port {args.port} on 127.0.0.1 is in use (another Airflow?). Stop it or pick another port: "
            f"make ui AIRFLOW_UI_PORT=8090"
        )
    ui = AirflowUI(home=args.home, port=args.port)
    # A TERM (from a terminal closing or a supervisor) must also stop every component, not orphan them.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ui.start()
    try:
        print(f"Starting Airflow (logs: {ui.log_file}) ...", flush=True)
        ui.wait_ready(["train_and_transform", "nightly_retrain"])
        print(f"\nAirflow UI: {ui.url}   login: {LOGIN[0]} / {LOGIN[1]}   (Ctrl-C stops it)\n", flush=True)
        assert ui.process is not None
        ui.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        ui.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
