"""Imported by the workers' fork server before it forks any: reads what every job's first clients need.

Building the first S3 and Logs clients reads botocore's service models and endpoint rules (~0.15 s);
done here once, every forked worker inherits the loaded models. No request is sent."""

from __future__ import annotations

from pathlib import Path

from local_sagemaker.config import ServiceSettings, aws_client

_PLACEHOLDER = ServiceSettings(
    state_dir=Path("/nonexistent"),
    s3_endpoint_url="http://127.0.0.1:9",
    logs_endpoint_url="http://127.0.0.1:9",
)
for _service in ("s3", "logs"):
    aws_client(_PLACEHOLDER, _service)
