"""Settings of one local service instance, shared by the HTTP server and its job workers."""

from __future__ import annotations

import functools
import json
import os
import threading
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, field_validator

SETTINGS_FILE = "service.json"

# How job workers start: forked from a server that has imported what jobs use, or a fresh interpreter each.
WorkerStart = Literal["forkserver", "spawn"]
WORKER_START_CHOICES: tuple[str, ...] = get_args(WorkerStart)


class ServiceSettings(BaseModel):
    """What the service needs to know; workers read the same values from the state directory."""

    host: str = "127.0.0.1"
    port: int = Field(default=7070, ge=1, le=65535)
    state_dir: Path
    region: str = "us-east-1"
    account_id: str = Field(default="123456789012", pattern=r"^\d{12}$")
    access_key_id: str = "testing"
    secret_access_key: str = "testing"
    s3_endpoint_url: str
    logs_endpoint_url: str
    # Requests must be signed with `access_key_id`; off only for tests of the protocol itself.
    require_auth: bool = True
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # Seconds a stopped job's worker gets to exit before it is killed.
    stop_grace_seconds: float = Field(default=10.0, gt=0)
    worker_start: WorkerStart = "forkserver"
    # Account service quotas, "training-job:ml.m5.xlarge" -> concurrent instances (local_sagemaker.quotas).
    instance_quotas: dict[str, int] = Field(default_factory=dict)

    @field_validator("s3_endpoint_url", "logs_endpoint_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL such as http://127.0.0.1:5000, got {value!r}")
        return value.rstrip("/")

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / SETTINGS_FILE).write_text(self.model_dump_json(indent=2))

    @classmethod
    def load(cls, state_dir: Path) -> ServiceSettings:
        return cls.model_validate(json.loads((state_dir / SETTINGS_FILE).read_text()))

    def aws_client_env(self) -> dict[str, str]:
        """Environment for boto3 clients the workers make against local S3 and Logs."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL_S3": self.s3_endpoint_url,
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": self.logs_endpoint_url,
        }


@functools.cache
def _session() -> Any:
    """One boto3 session per process: its loader keeps the service models it has read, so every client
    after the first costs milliseconds. The fork server warms it (local_sagemaker.warm) for its workers."""
    import boto3

    return boto3.session.Session()


_client_lock = threading.Lock()  # a botocore session is not safe to build clients from two threads at once


def aws_client(settings: ServiceSettings, service: str) -> Any:
    """A boto3 client for local S3 or Logs, with retries for a busy local server."""
    from botocore.config import Config

    endpoint = settings.s3_endpoint_url if service == "s3" else settings.logs_endpoint_url
    with _client_lock:
        return _session().client(
            service,
            endpoint_url=endpoint,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            config=Config(retries={"mode": "standard", "max_attempts": 5}, s3={"addressing_style": "path"}),
        )


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")
