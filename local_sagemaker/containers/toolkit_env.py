"""The training toolkit's view of a job: /opt/ml/input/config/*.json, SM_* variables, `--name value` args.

Follows aws/sagemaker-training-toolkit (src/sagemaker_training/environment.py `Environment` and
`to_env_vars`, mapping.py `to_env_vars`/`to_cmd_args`, params.py `SAGEMAKER_HYPERPARAMETERS`): every
hyperparameter value is decoded as JSON where it parses (the SDK JSON-encodes them), `sagemaker_*`
ones are the framework's and never reach the user's arguments.
"""

from __future__ import annotations

import json
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = "/opt/ml"
CODE_DIR = f"{ROOT}/code"
MODEL_DIR = f"{ROOT}/model"
INPUT_DIR = f"{ROOT}/input"
INPUT_CONFIG_DIR = f"{INPUT_DIR}/config"
OUTPUT_DIR = f"{ROOT}/output"
OUTPUT_DATA_DIR = f"{OUTPUT_DIR}/data"
OUTPUT_INTERMEDIATE_DIR = f"{OUTPUT_DIR}/intermediate"
GROUP_NAME = "homogeneousCluster"

SAGEMAKER_PREFIX = "sagemaker_"
# params.SAGEMAKER_HYPERPARAMETERS: the toolkit's own; other sagemaker_* ones are framework parameters.
TOOLKIT_HYPERPARAMETERS = (
    "sagemaker_program",
    "sagemaker_submit_directory",
    "sagemaker_enable_cloudwatch_metrics",
    "sagemaker_region",
    "sagemaker_container_log_level",
    "sagemaker_job_name",
    "default_user_module_name",
    "_tuning_objective_metric",
    "sagemaker_s3_output",
)


def runs_user_code(job: dict[str, Any]) -> bool:
    """True when the job runs a program of the user's, not the built-in algorithm."""
    spec = job.get("AlgorithmSpecification", {})
    return bool(spec.get("ContainerEntrypoint")) or "sagemaker_program" in job.get("HyperParameters", {})


def decode_hyperparameters(raw: dict[str, str]) -> dict[str, Any]:
    """environment.read_hyperparameters: each value as JSON where it parses, else the string itself."""
    decoded: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            decoded[name] = json.loads(value)
        except (ValueError, TypeError):
            decoded[name] = value
    return decoded


def _is_framework_parameter(name: str) -> bool:
    return name.startswith(SAGEMAKER_PREFIX) or name in TOOLKIT_HYPERPARAMETERS


def _env_value(value: Any) -> str:
    """mapping.to_env_vars: strings as they are, None empty, anything else compact sorted JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _arg_value(value: Any) -> str:
    """mapping.to_cmd_args: a mapping as k=v,k=v, None empty, anything else str()."""
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def command_line_arguments(hyperparameters: dict[str, Any]) -> list[str]:
    """`--name value` in sorted order, `-x` for a one-letter name."""
    arguments: list[str] = []
    for name in sorted(hyperparameters):
        arguments += [f"--{name}" if len(name) > 1 else f"-{name}", _arg_value(hyperparameters[name])]
    return arguments


@dataclass(frozen=True)
class TrainingEnvironment:
    """One host's view of a training job, built from its CreateTrainingJob request."""

    job: dict[str, Any]
    current_host: str = "algo-1"
    hosts: tuple[str, ...] = ("algo-1",)
    num_cpus: int = field(default_factory=multiprocessing.cpu_count)

    @property
    def all_hyperparameters(self) -> dict[str, Any]:
        return decode_hyperparameters(self.job.get("HyperParameters", {}))

    @property
    def user_hyperparameters(self) -> dict[str, Any]:
        return {k: v for k, v in self.all_hyperparameters.items() if not _is_framework_parameter(k)}

    @property
    def framework_parameters(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.all_hyperparameters.items()
            if _is_framework_parameter(k) and k not in TOOLKIT_HYPERPARAMETERS
        }

    @property
    def user_entry_point(self) -> str | None:
        program = self.all_hyperparameters.get("sagemaker_program")
        return None if program is None else str(program)

    @property
    def instance_type(self) -> str:
        return str(self.job.get("ResourceConfig", {}).get("InstanceType", "local"))

    def resource_config(self) -> dict[str, Any]:
        """resourceconfig.json as SageMaker writes it for a homogeneous cluster."""
        hosts = list(self.hosts)
        return {
            "current_host": self.current_host,
            "current_instance_type": self.instance_type,
            "current_group_name": GROUP_NAME,
            "hosts": hosts,
            "instance_groups": [
                {"instance_group_name": GROUP_NAME, "instance_type": self.instance_type, "hosts": hosts}
            ],
            "network_interface_name": "eth0",
        }

    def input_data_config(self) -> dict[str, Any]:
        """inputdataconfig.json: one entry per channel of the request."""
        mode = self.job.get("AlgorithmSpecification", {}).get("TrainingInputMode", "File")
        config: dict[str, Any] = {}
        for channel in self.job.get("InputDataConfig", []):
            source = channel.get("DataSource", {}).get("S3DataSource", {})
            entry = {
                "TrainingInputMode": channel.get("InputMode", mode),
                "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
                "RecordWrapperType": channel.get("RecordWrapperType", "None"),
            }
            if "ContentType" in channel:
                entry["ContentType"] = channel["ContentType"]
            config[channel["ChannelName"]] = entry
        return config

    def write_config_files(self, job_root: Path) -> None:
        """/opt/ml/input/config/{hyperparameters,resourceconfig,inputdataconfig}.json under `job_root`."""
        config_dir = job_root / "input" / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        files = {
            "hyperparameters.json": self.job.get("HyperParameters", {}),
            "resourceconfig.json": self.resource_config(),
            "inputdataconfig.json": self.input_data_config(),
        }
        for name, content in files.items():
            (config_dir / name).write_text(json.dumps(content))

    def channel_dirs(self) -> dict[str, str]:
        return {name: f"{INPUT_DIR}/data/{name}" for name in self.input_data_config()}

    def training_env(self) -> dict[str, Any]:
        """SM_TRAINING_ENV: the toolkit's Environment as a mapping of its properties."""
        hosts = list(self.hosts)
        program = self.user_entry_point
        module_dir = str(self.all_hyperparameters.get("sagemaker_submit_directory", CODE_DIR))
        resource_config = self.resource_config()
        return {
            "additional_framework_parameters": self.framework_parameters,
            "channel_input_dirs": self.channel_dirs(),
            "current_host": self.current_host,
            "current_instance_group": GROUP_NAME,
            "current_instance_group_hosts": hosts,
            "current_instance_type": self.instance_type,
            "distribution_hosts": [],
            "distribution_instance_groups": [],
            "framework_module": None,
            "hosts": hosts,
            "hyperparameters": self.user_hyperparameters,
            "input_config_dir": INPUT_CONFIG_DIR,
            "input_data_config": self.input_data_config(),
            "input_dir": INPUT_DIR,
            "instance_groups": [GROUP_NAME],
            "instance_groups_dict": {
                group["instance_group_name"]: group for group in resource_config["instance_groups"]
            },
            "is_hetero": False,
            "is_master": self.current_host == hosts[0],
            "is_modelparallel_enabled": None,
            "is_smddpmprun_installed": False,
            "is_smddprun_installed": False,
            "job_name": self.job["TrainingJobName"],
            "log_level": 20,
            "master_hostname": hosts[0],
            "model_dir": MODEL_DIR,
            "module_dir": module_dir,
            "module_name": program[:-3] if program and program.endswith(".py") else program,
            "network_interface_name": "eth0",
            "num_cpus": self.num_cpus,
            "num_gpus": 0,
            "num_neurons": 0,
            "output_data_dir": OUTPUT_DATA_DIR,
            "output_dir": OUTPUT_DIR,
            "output_intermediate_dir": OUTPUT_INTERMEDIATE_DIR,
            "resource_config": resource_config,
            "user_entry_point": program,
        }

    def environment_variables(self) -> dict[str, str]:
        """Environment.to_env_vars plus what the platform sets (TRAINING_JOB_NAME, CURRENT_HOST...)."""
        env = self.training_env()
        toolkit = {
            "hosts": env["hosts"],
            "network_interface_name": env["network_interface_name"],
            "hps": env["hyperparameters"],
            "user_entry_point": env["user_entry_point"],
            "framework_params": env["additional_framework_parameters"],
            "resource_config": env["resource_config"],
            "input_data_config": env["input_data_config"],
            "output_data_dir": env["output_data_dir"],
            "channels": sorted(env["channel_input_dirs"]),
            "current_host": env["current_host"],
            "current_instance_type": env["current_instance_type"],
            "current_instance_group": env["current_instance_group"],
            "current_instance_group_hosts": env["current_instance_group_hosts"],
            "instance_groups": env["instance_groups"],
            "instance_groups_dict": env["instance_groups_dict"],
            "distribution_instance_groups": env["distribution_instance_groups"],
            "is_hetero": env["is_hetero"],
            "module_name": env["module_name"],
            "log_level": env["log_level"],
            "framework_module": env["framework_module"],
            "input_dir": env["input_dir"],
            "input_config_dir": env["input_config_dir"],
            "output_dir": env["output_dir"],
            "num_cpus": env["num_cpus"],
            "num_gpus": env["num_gpus"],
            "num_neurons": env["num_neurons"],
            "model_dir": env["model_dir"],
            "module_dir": env["module_dir"],
            "training_env": env,
            "user_args": command_line_arguments(self.user_hyperparameters),
            "output_intermediate_dir": env["output_intermediate_dir"],
        }
        toolkit.update({f"channel_{name}": path for name, path in env["channel_input_dirs"].items()})
        toolkit.update({f"hp_{name}": value for name, value in self.user_hyperparameters.items()})
        variables = {f"SM_{key.upper()}": _env_value(value) for key, value in toolkit.items()}
        variables.update(
            {
                "TRAINING_JOB_NAME": self.job["TrainingJobName"],
                "TRAINING_JOB_ARN": self.job.get("TrainingJobArn", ""),
                "CURRENT_HOST": self.current_host,
                "SAGEMAKER_JOB_NAME": self.job["TrainingJobName"],
            }
        )
        return variables
