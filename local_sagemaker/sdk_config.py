"""The SageMaker Python SDK's defaults file for the local stack: the account's default bucket, named as the SDK names it.

The SDK resolves the account for `sagemaker-<region>-<account>` with an STS client built with an explicit
`endpoint_url=https://sts.<region>.amazonaws.com` (`sagemaker.core.helper.session_helper.sts_regional_endpoint`),
which no `AWS_ENDPOINT_URL_STS` can redirect. The SDK's documented defaults file
(`SageMaker.PythonSDK.Modules.Session.DefaultS3Bucket`, found through `SAGEMAKER_ADMIN_CONFIG_OVERRIDE`)
names the same bucket up front, so the SDK needs no STS call, and opts out of telemetry; the admin file
leaves a user's own `~/.config/sagemaker/config.yaml` in charge of everything else."""

from __future__ import annotations

import json
from pathlib import Path

SDK_CONFIG_ENV = "SAGEMAKER_ADMIN_CONFIG_OVERRIDE"


def default_bucket_name(region: str, account_id: str) -> str:
    return f"sagemaker-{region}-{account_id}"


def write_sdk_config(path: Path, region: str, account_id: str) -> Path:
    """Write the defaults file (YAML is a superset of JSON, so JSON is written) and return its path."""
    config = {
        "SchemaVersion": "1.0",
        "SageMaker": {
            "PythonSDK": {
                "Modules": {
                    "Session": {"DefaultS3Bucket": default_bucket_name(region, account_id)},
                    # The SDK's telemetry calls AWS over the internet; a local stack keeps every call local.
                    "TelemetryOptOut": True,
                }
            }
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path
