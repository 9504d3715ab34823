"""Training with the user's own code: script mode on framework images, or any ContainerEntrypoint.

What happens follows the SageMaker training toolkit (aws/sagemaker-training-toolkit: trainer.train,
entry_point.run, process.ProcessRunner._create_command, files.write_failure_file) and the framework
containers built on it (aws/sagemaker-xgboost-container, aws/sagemaker-scikit-learn-container), with
the platform's part from "How Amazon SageMaker Runs Your Training Image": /opt/ml/model becomes
model.tar.gz, /opt/ml/output/data output.tar.gz, /opt/ml/output/failure the FailureReason.
"""

from __future__ import annotations

import shlex
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_sagemaker.config import ServiceSettings
from local_sagemaker.containers.isolation import Isolation, bubblewrap
from local_sagemaker.containers.metrics import MetricCollector
from local_sagemaker.containers.process import ProgramResult, run_program
from local_sagemaker.containers.requirements_env import requirements_layer
from local_sagemaker.containers.runtime import NO_BUBBLEWRAP, container_environment, run_isolated
from local_sagemaker.containers.source_dir import fetch_source_directory
from local_sagemaker.containers.toolkit_env import CODE_DIR, TrainingEnvironment, command_line_arguments
from local_sagemaker.job_errors import AlgorithmError
from local_sagemaker.s3io import upload_file

_FAILURE_TAIL_LINES = 10


@dataclass(frozen=True)
class TrainingOutcome:
    stopped: bool
    final_metrics: list[dict[str, Any]]


@dataclass(frozen=True)
class ContainerTraining:
    """One host of a training job running the user's program; the runner supplies I/O and stop checks."""

    settings: ServiceSettings
    job: dict[str, Any]
    s3: Any
    job_root: Path  # the host folder that is this container's /opt/ml
    scratch: Path  # the job's working folder outside /opt/ml
    write_log: Callable[[str], None]
    should_stop: Callable[[], bool]
    current_host: str = "algo-1"
    hosts: tuple[str, ...] = ("algo-1",)
    hosts_file: Path | None = None  # with several hosts: their names and addresses, as /etc/hosts
    abort: Callable[[], bool] = lambda: False  # another host failed: end at once

    @property
    def environment(self) -> TrainingEnvironment:
        return TrainingEnvironment(self.job, current_host=self.current_host, hosts=self.hosts)

    def run(self) -> TrainingOutcome:
        """Prepare /opt/ml, run the program to its end; a failed program raises AlgorithmError."""
        environment = self.environment
        for folder in ("model", "output/data", "output/intermediate", "code", "input/data"):
            (self.job_root / folder).mkdir(parents=True, exist_ok=True)
        environment.write_config_files(self.job_root)
        submit_directory = environment.all_hyperparameters.get("sagemaker_submit_directory")
        if submit_directory:
            files = fetch_source_directory(
                self.s3, str(submit_directory), self.job_root / "code", self.scratch
            )
            self.write_log(f"Unpacked {len(files)} file(s) of {submit_directory} into {CODE_DIR}")
        program = self.program(environment)
        python_path = [CODE_DIR]
        requirements = self.job_root / "code" / "requirements.txt"
        if submit_directory and requirements.is_file():
            cache = self.settings.state_dir / "requirements"
            cache.mkdir(parents=True, exist_ok=True)
            python_path.append(str(requirements_layer(requirements, cache, self.write_log)))
        env = container_environment(
            self.settings,
            {
                **environment.environment_variables(),
                "PYTHONPATH": ":".join(python_path),
                **self.job.get("Environment", {}),
            },
        )
        metrics = MetricCollector(self.job.get("AlgorithmSpecification", {}).get("MetricDefinitions", []))

        def write(line: str) -> None:
            metrics.observe(line)
            self.write_log(line)

        self.write_log(f"Invoking user program: {shlex.join(program)}")
        result = self._run(program, env, write)
        if not result.stopped and result.returncode != 0:
            raise AlgorithmError(self.failure_reason(program, result))
        return TrainingOutcome(stopped=result.stopped, final_metrics=metrics.final_metrics())

    def program(self, environment: TrainingEnvironment) -> list[str]:
        """The command the container runs: the request's entrypoint, or the toolkit's for the script."""
        spec = self.job.get("AlgorithmSpecification", {})
        if spec.get("ContainerEntrypoint"):
            return list(spec["ContainerEntrypoint"]) + list(spec.get("ContainerArguments", []))
        entry_point = environment.user_entry_point or ""
        arguments = command_line_arguments(environment.user_hyperparameters)
        code_dir = self.job_root / "code"
        if not (code_dir / entry_point).is_file():
            raise AlgorithmError(
                f"ImportModuleError: HyperParameters.sagemaker_program names {entry_point!r}, which is not in "
                f"the source directory (it holds: {', '.join(sorted(p.name for p in code_dir.iterdir())) or 'nothing'})"
            )
        if entry_point.endswith(".sh"):
            return ["/bin/sh", entry_point, *arguments]
        if (code_dir / "setup.py").is_file():
            return [sys.executable, "-m", entry_point.removesuffix(".py"), *arguments]
        if entry_point.endswith(".py"):
            return [sys.executable, entry_point, *arguments]
        return [f"./{entry_point}", *arguments]

    def _run(self, program: list[str], env: dict[str, str], write: Callable[[str], None]) -> ProgramResult:
        if bubblewrap() is None:
            self.write_log(
                f"{NO_BUBBLEWRAP}; the program runs with /opt/ml paths as they are on this machine"
            )
            return run_program(
                program, env, write, self.should_stop, cwd=str(self.job_root / "code"), abort=self.abort
            )
        isolation = Isolation(
            self.job_root,
            hostname=self.current_host,
            network_isolation=bool(self.job.get("EnableNetworkIsolation")),
            working_dir=CODE_DIR,
            hosts_file=self.hosts_file,
        )
        return run_isolated(isolation, program, env, write, self.should_stop, abort=self.abort)

    def failure_reason(self, program: list[str], result: ProgramResult) -> str:
        """The program's own /opt/ml/output/failure, else the toolkit's ExecuteUserScriptError text."""
        failure_file = self.job_root / "output" / "failure"
        written = failure_file.read_text(errors="replace").strip() if failure_file.is_file() else ""
        if written:
            return f"{written}, exit code: {result.returncode}"
        tail = "\n".join(result.tail[-_FAILURE_TAIL_LINES:])
        return (
            f'ExecuteUserScriptError:\nExitCode {result.returncode}\nErrorMessage "{tail}"\n'
            f'Command "{shlex.join(program)}", exit code: {result.returncode}'
        )

    def upload_artifacts(self, output_path: str, job_name: str) -> dict[str, Any]:
        """model.tar.gz always (as SageMaker does), output.tar.gz when /opt/ml/output/data holds files."""
        base = f"{output_path.rstrip('/')}/{job_name}/output"
        model_uri = f"{base}/model.tar.gz"
        upload_file(self.s3, _pack(self.job_root / "model", self.scratch / "model.tar.gz"), model_uri)
        self.write_log(f"Uploaded model artifacts to {model_uri}")
        output_data = self.job_root / "output" / "data"
        if any(path.is_file() for path in output_data.rglob("*")):
            output_uri = f"{base}/output.tar.gz"
            upload_file(self.s3, _pack(output_data, self.scratch / "output.tar.gz"), output_uri)
            self.write_log(f"Uploaded output data to {output_uri}")
        return {"ModelArtifacts": {"S3ModelArtifacts": model_uri}}


def _pack(directory: Path, archive: Path) -> Path:
    """A tar.gz of the directory's contents, members named relative to it."""
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        for path in sorted(directory.iterdir()):
            tar.add(path, arcname=path.name)
    return archive


def pack_merged(directories: list[Path], archive: Path) -> Path:
    """One tar.gz of several hosts' folders, as SageMaker aggregates them; a later folder's file replaces
    an earlier one's of the same relative name (the SDK's local mode does the same)."""
    files: dict[str, Path] = {}
    for directory in directories:
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    files[path.relative_to(directory).as_posix()] = path
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        for name in sorted(files):
            tar.add(files[name], arcname=name)
    return archive
