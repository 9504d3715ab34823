"""Processing jobs with ClusterConfig.InstanceCount > 1: the entrypoint on every host, outputs from all.

"How Amazon SageMaker Processing Runs Your Processing Container Image": a job with several instances
runs the container on each; it completes when every container exits 0 and fails when any exits non-zero.
Each host gets its inputs (S3DataDistributionType: all objects, or its share by key), its own name in
/opt/ml/config/resourceconfig.json (`current_host`, `hosts`) beside processingjobconfig.json, and each host's output folders are uploaded
to the output's S3Uri when the job ends (a later host's file wins a key both wrote).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_sagemaker.containers.cluster import Cluster
from local_sagemaker.containers.host_group import HostGroup
from local_sagemaker.containers.isolation import Isolation
from local_sagemaker.containers.process import ProgramResult
from local_sagemaker.containers.processing_config import CONFIG_DIR, write_processing_config
from local_sagemaker.containers.runtime import container_environment, run_isolated
from local_sagemaker.cwlogs import JobLog
from local_sagemaker.data_distribution import FULLY_REPLICATED, download_for_hosts
from local_sagemaker.job_errors import AlgorithmError
from local_sagemaker.runners.base import StopRequested
from local_sagemaker.s3io import upload_directory
from local_sagemaker.sandbox import Sandbox

if TYPE_CHECKING:
    from local_sagemaker.runners.processing import ProcessingRunner

_TAIL_LINES = 5


def processing_instance_count(job: dict[str, Any]) -> int:
    cluster = (job.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    return int(cluster.get("InstanceCount", 1))


@dataclass
class ClusterProcessing:
    runner: ProcessingRunner
    cluster: Cluster
    logs: dict[str, JobLog]

    @classmethod
    def for_runner(cls, runner: ProcessingRunner) -> ClusterProcessing:
        cluster = Cluster.for_job(runner.workdir, processing_instance_count(runner.job))
        logs = runner.host_logs(cluster.hosts, lambda host: cluster.sandbox(host) / "job.log")
        return cls(runner, cluster, logs)

    def sandbox(self, host: str) -> Sandbox:
        return Sandbox(self.cluster.sandbox(host) / "sandbox")

    def run(self) -> dict[str, Any]:
        try:
            self._download_inputs()
            self._run_hosts()
            self._upload_outputs()
            return {}
        finally:
            for host in self.cluster.hosts[1:]:
                self.logs[host].flush()

    def _download_inputs(self) -> None:
        for item in self.runner.job.get("ProcessingInputs", []):
            self.runner.check_stop()
            source = item["S3Input"]
            distribution = source.get("S3DataDistributionType", FULLY_REPLICATED)
            destinations = [self.sandbox(host).local_path(source["LocalPath"]) for host in self.cluster.hosts]
            per_host = download_for_hosts(self.runner.s3, source["S3Uri"], distribution, destinations)
            for host, files in zip(self.cluster.hosts, per_host, strict=True):
                self.logs[host].write(
                    f"Downloaded {len(files)} file(s) for input {item['InputName']} ({distribution})"
                )
        for host in self.cluster.hosts:
            sandbox = self.sandbox(host)
            for item in self._outputs():
                sandbox.local_path(item["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
            write_processing_config(
                sandbox.local_path(CONFIG_DIR), self.runner.job, current_host=host, hosts=self.cluster.hosts
            )

    def _outputs(self) -> list[dict[str, Any]]:
        return list(self.runner.job.get("ProcessingOutputConfig", {}).get("Outputs", []))

    def _run_hosts(self) -> None:
        app = self.runner.job["AppSpecification"]
        program = app["ContainerEntrypoint"] + app.get("ContainerArguments", [])
        env = container_environment(self.runner.settings, self.runner.job.get("Environment", {}))
        hosts_file = self.cluster.hosts_file()

        def run_host(host: str, abort: Callable[[], bool]) -> ProgramResult:
            isolation = Isolation(
                self.sandbox(host).local_path("/opt/ml"), hostname=host, hosts_file=hosts_file
            )
            result = run_isolated(
                isolation, program, env, self.logs[host].write, self.runner.should_stop, abort
            )
            if not result.stopped and result.returncode != 0:
                tail = result.tail[-_TAIL_LINES:]
                self.runner.exit_message = "\n".join(tail)
                raise AlgorithmError(
                    f"the processing script exited with code {result.returncode} on host {host}. "
                    f"Last output: {' | '.join(tail)}"
                )
            return result

        group: HostGroup[ProgramResult] = HostGroup(self.cluster.hosts, run_host)
        group.run()
        if self.runner.should_stop():
            raise StopRequested

    def _upload_outputs(self) -> None:
        for item in self._outputs():
            target = item["S3Output"]
            written = 0
            for host in self.cluster.hosts:
                self.runner.check_stop()
                folder = self.sandbox(host).local_path(target["LocalPath"])
                uploaded = upload_directory(self.runner.s3, folder, target["S3Uri"])
                written += len(uploaded)
                self.logs[host].write(
                    f"Uploaded {len(uploaded)} file(s) for output {item['OutputName']} to {target['S3Uri']}"
                )
            self.runner.log.write(f"Output {item['OutputName']}: {written} file(s) from all hosts")
