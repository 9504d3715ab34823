"""The local stack: the AWS endpoint (durable S3 and CloudWatch Logs, moto's IAM and STS) and the SageMaker
service, in the background, with every byte of state under one base dir (see docs/storage.md).

`python -m local_sagemaker.stack up|down|status|env` — `up` waits until both answer and writes an env
file whose exports point the aws CLI, boto3 and Airflow's `aws_default` connection at them."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_sagemaker.__main__ import ACCESS_KEY_ENV, SECRET_KEY_ENV, port_free
from local_sagemaker.build import build_id
from local_sagemaker.local_iam import DEFAULT_EXECUTION_ROLE_ARN
from local_sagemaker.processes import command_line
from local_sagemaker.sdk_config import SDK_CONFIG_ENV, write_sdk_config

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StackConfig:
    base_dir: Path
    host: str = "127.0.0.1"
    s3_port: int = 5055
    sagemaker_port: int = 7070
    region: str = "us-east-1"
    access_key_id: str = "testing"
    secret_access_key: str = "testing"
    bucket: str = "sagemaker-retraining-local"
    poll_seconds: int = 2
    execution_role_arn: str = DEFAULT_EXECUTION_ROLE_ARN

    @classmethod
    def from_env(cls, base_dir: Path) -> StackConfig:
        return cls(
            base_dir=base_dir,
            s3_port=int(os.environ.get("LOCAL_S3_PORT", "5055")),
            sagemaker_port=int(os.environ.get("LOCAL_SAGEMAKER_PORT", "7070")),
            bucket=os.environ.get("RETRAINING_BUCKET", "sagemaker-retraining-local"),
            execution_role_arn=os.environ.get("RETRAINING_ROLE_ARN", DEFAULT_EXECUTION_ROLE_ARN),
        )

    @property
    def s3_url(self) -> str:
        return f"http://{self.host}:{self.s3_port}"

    @property
    def sagemaker_url(self) -> str:
        return f"http://{self.host}:{self.sagemaker_port}"

    def pid_file(self, service: str) -> Path:
        return self.base_dir / "pids" / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.base_dir / "logs" / f"{service}.log"

    @property
    def env_file(self) -> Path:
        return self.base_dir / "env"

    @property
    def sdk_config_file(self) -> Path:
        return self.base_dir / "sagemaker-sdk-config.yaml"


def connection_uri_json(cfg: StackConfig) -> str:
    """The `aws_default` connection as JSON: every AWS service the DAGs touch, pointed at the stack."""
    endpoints = {"endpoint_url": cfg.s3_url}
    return json.dumps(
        {
            "conn_type": "aws",
            "login": cfg.access_key_id,
            "password": cfg.secret_access_key,
            "extra": {
                "region_name": cfg.region,
                "service_config": {
                    "sagemaker": {"endpoint_url": cfg.sagemaker_url},
                    "s3": endpoints,
                    "logs": endpoints,
                    "iam": endpoints,
                    "sts": endpoints,
                },
                # Local servers can be briefly busy; the standard retry mode rides over it.
                "config_kwargs": {"retries": {"mode": "standard", "max_attempts": 10}},
            },
        }
    )


def stack_env(cfg: StackConfig) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": cfg.access_key_id,
        "AWS_SECRET_ACCESS_KEY": cfg.secret_access_key,
        "AWS_DEFAULT_REGION": cfg.region,
        "AWS_ENDPOINT_URL_SAGEMAKER": cfg.sagemaker_url,
        "AWS_ENDPOINT_URL_S3": cfg.s3_url,
        "AWS_ENDPOINT_URL_LOGS": cfg.s3_url,
        # botocore reads the Logs endpoint from the service id "CloudWatch Logs".
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": cfg.s3_url,
        "AWS_ENDPOINT_URL_IAM": cfg.s3_url,
        "AWS_ENDPOINT_URL_STS": cfg.s3_url,
        "AIRFLOW_CONN_AWS_DEFAULT": connection_uri_json(cfg),
        "RETRAINING_BUCKET": cfg.bucket,
        "RETRAINING_POLL_SECONDS": str(cfg.poll_seconds),
        "LOCAL_SAGEMAKER_URL": cfg.sagemaker_url,
        SDK_CONFIG_ENV: str(cfg.sdk_config_file),
    }


def write_env_file(cfg: StackConfig) -> Path:
    lines = [f"export {key}='{value}'" for key, value in stack_env(cfg).items()]
    cfg.env_file.parent.mkdir(parents=True, exist_ok=True)
    cfg.env_file.write_text(
        "# written by `make local-up`; `source` it to talk to the local stack\n" + "\n".join(lines) + "\n"
    )
    return cfg.env_file


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _reported_build(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return str(json.load(answer).get("build"))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _running_pid(cfg: StackConfig, service: str) -> int | None:
    """The pid in the service's pid file, if that process is still this stack's service.

    Pids are reused (tests and benchmarks start many processes): a stale pid file must never get some
    other process signalled, so the process must still show this service's command line."""
    pid_file = cfg.pid_file(service)
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text())
    if not _is_service_process(pid, _command_markers(cfg, service)):
        pid_file.unlink(missing_ok=True)
        return None
    return pid


def _command_markers(cfg: StackConfig, service: str) -> list[str]:
    if service == "moto":
        # Stacks started before the durable store ran moto_server (or our wrapper of it) on the S3 port.
        return ["moto_server", str(cfg.s3_port)]
    if service == "aws":
        return ["local_sagemaker.aws_server", str(cfg.base_dir / "aws")]
    return ["local_sagemaker", "serve", str(cfg.base_dir / "sagemaker")]


def _is_service_process(pid: int, markers: list[str]) -> bool:
    command = command_line(pid)
    return command is not None and all(marker in command for marker in markers)


def _start(
    cfg: StackConfig,
    service: str,
    command: list[str],
    port: int,
    health_url: str,
    extra_env: dict[str, str] | None = None,
    build: str | None = None,
) -> None:
    if _running_pid(cfg, service) and _healthy(health_url):
        running = _reported_build(health_url)
        if build is None or running == build:
            return
        # Started from older code (the checkout changed since): restart it so it speaks the current API.
        print(f"local stack: {service} runs older code (build {running}, now {build}); restarting it")
        stop_service(cfg, service)
    if not port_free(cfg.host, port):
        raise SystemExit(
            f"local stack: port {port} on {cfg.host} is in use by another program, so {service} cannot start. "
            f"Free it, or choose another port: LOCAL_S3_PORT / LOCAL_SAGEMAKER_PORT (e.g. make local-up LOCAL_SAGEMAKER_PORT=7171)."
        )
    cfg.log_file(service).parent.mkdir(parents=True, exist_ok=True)
    cfg.pid_file(service).parent.mkdir(parents=True, exist_ok=True)
    with cfg.log_file(service).open("ab") as log:
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(extra_env or {})},
        )
    cfg.pid_file(service).write_text(str(proc.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _healthy(health_url):
            return
        if proc.poll() is not None:
            raise SystemExit(
                f"local stack: {service} exited at start-up; the end of {cfg.log_file(service)}:\n"
                + _log_tail(cfg.log_file(service))
            )
        time.sleep(0.2)
    raise SystemExit(f"local stack: {service} did not become healthy in 60 s; see {cfg.log_file(service)}")


def _log_tail(log: Path, lines: int = 5) -> str:
    text = log.read_text(errors="replace").rstrip().splitlines() if log.exists() else []
    return "\n".join(text[-lines:])


def reset(cfg: StackConfig) -> list[str]:
    """Stop the stack and remove its stores (S3, Logs, SageMaker state); what was removed, for the user."""
    down(cfg)
    removed = []
    for name, folder in (
        ("S3 objects and CloudWatch Logs", cfg.base_dir / "aws"),
        ("SageMaker jobs, models, registry and job folders", cfg.base_dir / "sagemaker"),
    ):
        if folder.exists():
            size = _folder_bytes(folder)
            shutil.rmtree(folder)
            removed.append(f"{name}: {folder} ({size / 1e6:.1f} MB)")
    return removed


def _aws_client(cfg: StackConfig, service: str) -> Any:
    """A client of the stack's AWS endpoint (S3, Logs, IAM and STS all answer on it)."""
    import boto3

    return boto3.client(  # type: ignore[call-overload]  # the service name is a parameter
        service,
        endpoint_url=cfg.s3_url,
        region_name=cfg.region,
        aws_access_key_id=cfg.access_key_id,
        aws_secret_access_key=cfg.secret_access_key,
    )


def _ensure_bucket(cfg: StackConfig) -> None:
    s3 = _aws_client(cfg, "s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if cfg.bucket not in existing:
        s3.create_bucket(Bucket=cfg.bucket)


def _ensure_execution_role(cfg: StackConfig) -> None:
    from local_sagemaker.local_iam import ensure_execution_role

    ensure_execution_role(_aws_client(cfg, "iam"), cfg.execution_role_arn, cfg.region, cfg.bucket)


def aws_health_url(cfg: StackConfig) -> str:
    from local_sagemaker.aws_server import HEALTH_PATH

    return cfg.s3_url + HEALTH_PATH


def start_aws(cfg: StackConfig) -> None:
    """The AWS endpoint alone: S3 and Logs kept under base_dir/aws, IAM and STS from moto."""
    # A stack from before the durable store: its in-memory moto holds the port and nothing worth keeping.
    stop_service(cfg, "moto")
    _start(
        cfg,
        "aws",
        [
            sys.executable,
            "-m",
            "local_sagemaker.aws_server",
            "--data-dir",
            str(cfg.base_dir / "aws"),
            "--host",
            cfg.host,
            "--port",
            str(cfg.s3_port),
            "--region",
            cfg.region,
        ],
        cfg.s3_port,
        aws_health_url(cfg),
        build=build_id(),
    )


def up(cfg: StackConfig) -> Path:
    start_aws(cfg)
    start_service(cfg)
    _ensure_bucket(cfg)
    _ensure_execution_role(cfg)
    write_sdk_config(cfg.sdk_config_file, cfg.region, cfg.execution_role_arn.split(":")[4])
    return write_env_file(cfg)


def start_service(cfg: StackConfig) -> None:
    """The SageMaker-compatible service alone, against the S3 at cfg.s3_port (already running)."""
    _start(
        cfg,
        "sagemaker",
        [
            sys.executable,
            "-m",
            "local_sagemaker",
            "serve",
            "--host",
            cfg.host,
            "--port",
            str(cfg.sagemaker_port),
            "--state-dir",
            str(cfg.base_dir / "sagemaker"),
            "--region",
            cfg.region,
            "--s3-endpoint-url",
            cfg.s3_url,
        ],
        cfg.sagemaker_port,
        f"{cfg.sagemaker_url}/health",
        # Through the environment, not argv, so the secret does not show in `ps`.
        extra_env={ACCESS_KEY_ENV: cfg.access_key_id, SECRET_KEY_ENV: cfg.secret_access_key},
        build=build_id(),
    )


def _exited(pid: int) -> bool:
    try:
        # When this process started the service (tests do), reap it: a zombie still answers kill(pid, 0).
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def stop_service(cfg: StackConfig, service: str, sig: signal.Signals = signal.SIGTERM) -> None:
    pid = _running_pid(cfg, service)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
    deadline = time.monotonic() + 15
    while not _exited(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            deadline = math.inf
        time.sleep(0.05)
    cfg.pid_file(service).unlink(missing_ok=True)


def down(cfg: StackConfig) -> None:
    for service in ("sagemaker", "aws", "moto"):
        stop_service(cfg, service)


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


def status(cfg: StackConfig) -> int:
    """Each process up or down, the space each store uses, and (when up) the doctor's check of the data."""
    health = {"aws": aws_health_url(cfg), "sagemaker": f"{cfg.sagemaker_url}/health"}
    for service, url in health.items():
        print(f"{service}: {'up' if _healthy(url) else 'down'} ({url})")
    stores = {
        "S3 objects": cfg.base_dir / "aws" / "s3",
        "CloudWatch Logs": cfg.base_dir / "aws" / "logs",
        "SageMaker state and job folders": cfg.base_dir / "sagemaker",
    }
    for name, folder in stores.items():
        print(f"{name}: {_folder_bytes(folder) / 1e6:.1f} MB in {folder}")
    if not all(_healthy(url) for url in health.values()):
        print("doctor: skipped (start the stack with `make local-up` to check the data)")
        return 0
    import boto3

    from local_sagemaker import doctor

    session = boto3.Session(
        aws_access_key_id=cfg.access_key_id,
        aws_secret_access_key=cfg.secret_access_key,
        region_name=cfg.region,
    )
    sagemaker = session.client("sagemaker", endpoint_url=cfg.sagemaker_url)
    s3 = session.client("s3", endpoint_url=cfg.s3_url)
    return doctor.report(sagemaker, s3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_sagemaker.stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "env", "reset"])
    parser.add_argument(
        "--base-dir", default=str(REPO_ROOT / ".local"), help="where pids, logs, state and env live"
    )
    args = parser.parse_args(argv)
    cfg = StackConfig.from_env(Path(args.base_dir).resolve())
    if args.command == "up":
        env_file = up(cfg)
        print(f"local stack up: SageMaker {cfg.sagemaker_url}, S3/Logs {cfg.s3_url}, bucket {cfg.bucket}")
        print(f"run `source {env_file}` to point the aws CLI, boto3 and Airflow at it")
    elif args.command == "down":
        down(cfg)
        print("local stack stopped")
    elif args.command == "status":
        return status(cfg)
    elif args.command == "reset":
        removed = reset(cfg)
        print(
            "local stack stopped; removed:"
            if removed
            else "local stack stopped; there was no state to remove"
        )
        for line in removed:
            print(f"- {line}")
        print(
            f"kept: Airflow's metadata ({os.environ.get('AIRFLOW_HOME', 'AIRFLOW_HOME')}) and the services' logs"
        )
    else:
        print(cfg.env_file.read_text() if cfg.env_file.exists() else write_env_file(cfg).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
