"""The two files SageMaker Processing gives every processing container under /opt/ml/config/.

Follows the SageMaker Developer Guide, "How Amazon SageMaker Processing Configures Your Processing Container":
`processingjobconfig.json` repeats the CreateProcessingJob request (ARN and name, AppSpecification with its
entrypoint and arguments or null, Environment, inputs and outputs with their modes filled in, cluster,
role, stopping condition), and `resourceconfig.json` names the hosts (`current_host`, `hosts`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIG_DIR = "/opt/ml/config"
HOST = "algo-1"  # the only host of a one-instance job

# What SageMaker writes for members the request left out.
_INPUT_DEFAULTS = {
    "S3DataDistributionType": "FullyReplicated",
    "S3InputMode": "File",
    "S3CompressionType": "None",
    "S3DownloadMode": "StartOfJob",
}


def processing_job_config(job: dict[str, Any]) -> dict[str, Any]:
    """processingjobconfig.json for a stored processing job description."""
    app = job["AppSpecification"]
    inputs = [
        {**item, "S3Input": {**_INPUT_DEFAULTS, **item["S3Input"]}} if "S3Input" in item else item
        for item in job.get("ProcessingInputs", [])
    ]
    output_config = job.get("ProcessingOutputConfig")
    cluster = job["ProcessingResources"]["ClusterConfig"]
    config: dict[str, Any] = {
        "ProcessingJobArn": job["ProcessingJobArn"],
        "ProcessingJobName": job["ProcessingJobName"],
        "AppSpecification": {
            "ImageUri": app["ImageUri"],
            "ContainerEntrypoint": app.get("ContainerEntrypoint"),
            "ContainerArguments": app.get("ContainerArguments"),
        },
        "Environment": job.get("Environment", {}),
        "ProcessingInputs": inputs,
        "ProcessingResources": {"ClusterConfig": {"VolumeKmsKeyId": None, **cluster}},
        "RoleArn": job["RoleArn"],
    }
    if output_config is not None:
        config["ProcessingOutputConfig"] = {
            "Outputs": output_config.get("Outputs", []),
            "KmsKeyId": output_config.get("KmsKeyId"),
        }
    if "StoppingCondition" in job:
        config["StoppingCondition"] = job["StoppingCondition"]
    return config


def resource_config(current_host: str = HOST, hosts: tuple[str, ...] = (HOST,)) -> dict[str, Any]:
    return {"current_host": current_host, "hosts": list(hosts)}


def write_processing_config(
    config_dir: Path, job: dict[str, Any], current_host: str = HOST, hosts: tuple[str, ...] = (HOST,)
) -> None:
    """Both files into `config_dir`, that host's /opt/ml/config."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "processingjobconfig.json").write_text(json.dumps(processing_job_config(job), indent=4))
    (config_dir / "resourceconfig.json").write_text(json.dumps(resource_config(current_host, hosts)))
