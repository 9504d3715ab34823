"""Processing jobs: inputs under /opt/ml/processing, the entrypoint run in the container, outputs to S3."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from local_sagemaker.containers.isolation import Isolation, bubblewrap
from local_sagemaker.containers.process import ProgramResult, run_program
from local_sagemaker.containers.processing_config import CONFIG_DIR, write_processing_config
from local_sagemaker.containers.runtime import NO_BUBBLEWRAP, container_environment, run_isolated
from local_sagemaker.job_errors import AlgorithmError
from local_sagemaker.jobs import PROCESSING, JobKind
from local_sagemaker.runners.base import JobRunner, StopRequested
from local_sagemaker.runners.processing_cluster import ClusterProcessing, processing_instance_count
from local_sagemaker.s3io import DataError, download_prefix, upload_directory
from local_sagemaker.sandbox import Sandbox

_TAIL_LINES = 5


class ProcessingRunner(JobRunner):
    kind: ClassVar[JobKind] = PROCESSING
    exit_message: str | None = None

    def fields_when_failed(self) -> dict[str, Any]:
        return {"ExitMessage": self.exit_message} if self.exit_message else {}

    def execute(self) -> dict[str, Any]:
        if processing_instance_count(self.job) > 1:
            return ClusterProcessing.for_runner(self).run()
        sandbox = Sandbox(self.sandbox("sandbox"))
        for item in self.job.get("ProcessingInputs", []):
            self.check_stop()
            source = item["S3Input"]
            files = download_prefix(self.s3, source["S3Uri"], sandbox.local_path(source["LocalPath"]))
            self.log.write(f"Downloaded {len(files)} file(s) for input {item['InputName']}")
        outputs = self.job.get("ProcessingOutputConfig", {}).get("Outputs", [])
        for item in outputs:
            sandbox.local_path(item["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)

        write_processing_config(sandbox.local_path(CONFIG_DIR), self.job)

        app = self.job["AppSpecification"]
        program = app["ContainerEntrypoint"] + app.get("ContainerArguments", [])
        env = container_environment(self.settings, self.job.get("Environment", {}))
        if bubblewrap():
            network = self.job.get("NetworkConfig", {}).get("EnableNetworkIsolation", False)
            isolation = Isolation(sandbox.local_path("/opt/ml"), network_isolation=network)
            result = run_isolated(isolation, program, env, self.log.write, self.should_stop)
        else:
            self.log.write(f"{NO_BUBBLEWRAP}; /opt/ml paths in the python script are rewritten instead")
            result = self._run_rewritten(sandbox, app, env)
        if result.stopped:
            raise StopRequested
        if result.returncode != 0:
            tail = result.tail[-_TAIL_LINES:]
            self.exit_message = "\n".join(tail)
            raise AlgorithmError(
                f"the processing script exited with code {result.returncode}. Last output: {' | '.join(tail)}"
            )

        for item in outputs:
            self.check_stop()
            target = item["S3Output"]
            written = upload_directory(self.s3, sandbox.local_path(target["LocalPath"]), target["S3Uri"])
            self.log.write(
                f"Uploaded {len(written)} file(s) for output {item['OutputName']} to {target['S3Uri']}"
            )
        return {}

    def _run_rewritten(self, sandbox: Sandbox, app: dict[str, Any], env: dict[str, str]) -> ProgramResult:
        """Where bubblewrap is missing: a python script with its literal /opt/ml paths mapped."""
        script = sandbox.local_path(app["ContainerEntrypoint"][1])
        if not script.is_file():
            raise DataError(
                f"AppSpecification.ContainerEntrypoint names {app['ContainerEntrypoint'][1]}, which no "
                "ProcessingInput put in place; add an input whose LocalPath holds the script"
            )
        runnable = script.with_name(f".{script.name}.local.py")
        runnable.write_text(sandbox.rewrite_script(script.read_text()))
        arguments = [
            sandbox.map_argument(a)
            for a in app["ContainerEntrypoint"][2:] + app.get("ContainerArguments", [])
        ]
        env = {**env, "HOME": str(sandbox.root)}
        return run_program(
            [sys.executable, str(runnable), *arguments],
            env,
            self.log.write,
            self.should_stop,
            cwd=str(sandbox.root),
        )
