"""Training jobs with ResourceConfig.InstanceCount > 1: one sandbox per host, run side by side, one artifact.

What SageMaker does with several instances ("Distributed training in Amazon SageMaker", "How Amazon
SageMaker Provides Training Information", "How Amazon SageMaker Processes Training Output"): hosts
algo-1 ... algo-N, each with its own /opt/ml, resourceconfig.json naming all of them, a CloudWatch stream
`<job>/algo-<i>-<timestamp>` each, channels fully replicated or sharded by S3 key, the job failing when
any host fails, and /opt/ml/model (and /opt/ml/output/data) of every host aggregated into one archive.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import local_sagemaker
from local_sagemaker.algorithms.builtin_xgboost.distributed import HostSpec
from local_sagemaker.algorithms.builtin_xgboost.hyperparameters import available_cpus
from local_sagemaker.algorithms.builtin_xgboost.names import TRAIN, VALIDATION
from local_sagemaker.checkpoint_sync import synced_checkpoints
from local_sagemaker.clock import now
from local_sagemaker.containers.cluster import Cluster
from local_sagemaker.containers.host_group import HostGroup
from local_sagemaker.containers.process import ProgramResult, run_program
from local_sagemaker.containers.toolkit_env import runs_user_code
from local_sagemaker.containers.training import ContainerTraining, TrainingOutcome, pack_merged
from local_sagemaker.cwlogs import JobLog
from local_sagemaker.data_distribution import FULLY_REPLICATED, download_for_hosts
from local_sagemaker.job_errors import AlgorithmError
from local_sagemaker.s3io import DataError, upload_file

if TYPE_CHECKING:
    from collections.abc import Callable

    from local_sagemaker.runners.training import TrainingRunner

# The container's words for a host left without data (algorithm_mode/train.py sagemaker_train).
_NO_DATA = (
    "Host {host} does not have {what} data. Will broadcast to cluster and this host {host} will not be "
    "used in distributed training. Please divide the {what} data across instances properly. See "
    "https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html#Instance-XGBoost-distributed-training-divide-data."
)


def instance_count(job: dict[str, Any]) -> int:
    return int((job.get("ResourceConfig") or {}).get("InstanceCount", 1))


@dataclass
class ClusterTraining:
    """The multi-host part of one training job; the runner owns the lifecycle around it."""

    runner: TrainingRunner
    cluster: Cluster
    logs: dict[str, JobLog]

    @classmethod
    def for_runner(cls, runner: TrainingRunner) -> ClusterTraining:
        cluster = Cluster.for_job(runner.workdir, instance_count(runner.job))
        logs = runner.host_logs(cluster.hosts, lambda host: cluster.sandbox(host) / "job.log")
        return cls(runner, cluster, logs)

    @property
    def job(self) -> dict[str, Any]:
        return self.runner.job

    def run(self) -> dict[str, Any]:
        """Download, train on every host, upload: the fields the description gains."""
        try:
            self.runner.secondary("Downloading", "Downloading input data")
            channels = self._download_channels()
            self.runner.secondary("Training", "Training image download completed. Training in progress.")
            user_code = runs_user_code(self.job)
            metrics = self._run_user_code() if user_code else self._run_builtin(channels)
            self.runner.secondary("Uploading", "Uploading generated training model")
            return {**self._upload_artifacts(), "FinalMetricDataList": metrics}
        finally:
            for host in self.cluster.hosts[1:]:
                self.logs[host].flush()

    # input
    def _download_channels(self) -> dict[str, dict[str, list[Path]]]:
        """host -> channel -> its files, each channel distributed as its S3DataDistributionType says."""
        files: dict[str, dict[str, list[Path]]] = {host: {} for host in self.cluster.hosts}
        for channel in self.job.get("InputDataConfig", []):
            self.runner.check_stop()
            name = channel["ChannelName"]
            source = channel["DataSource"]["S3DataSource"]
            distribution = source.get("S3DataDistributionType", FULLY_REPLICATED)
            destinations = [self.cluster.root(host) / "input" / "data" / name for host in self.cluster.hosts]
            per_host = download_for_hosts(self.runner.s3, source["S3Uri"], distribution, destinations)
            for host, host_files in zip(self.cluster.hosts, per_host, strict=True):
                files[host][name] = host_files
                self.logs[host].write(
                    f"Downloaded {len(host_files)} file(s) for channel {name} ({distribution})"
                )
        return files

    # the user's code on every host
    def _run_user_code(self) -> list[dict[str, Any]]:
        hosts_file = self.cluster.hosts_file()

        def run_host(host: str, abort: Callable[[], bool]) -> TrainingOutcome:
            container = ContainerTraining(
                self.runner.settings,
                self.job,
                self.runner.s3,
                self.cluster.root(host),
                self.cluster.scratch(host),
                self.logs[host].write,
                self.runner.should_stop,
                current_host=host,
                hosts=self.cluster.hosts,
                hosts_file=hosts_file,
                abort=abort,
            )
            with synced_checkpoints(
                self.runner.s3,
                self.job.get("CheckpointConfig"),
                self.cluster.sandbox(host),
                self.logs[host].write,
            ):
                return container.run()

        outcomes = self._run_group(self.cluster.hosts, run_host)
        return outcomes[self.cluster.master].final_metrics

    # the built-in XGBoost over xgboost's collective
    def _run_builtin(self, channels: dict[str, dict[str, list[Path]]]) -> list[dict[str, Any]]:
        training_hosts = self._hosts_with_data(channels)
        if len(training_hosts) > 1:
            self.runner.log.write(f"Distributed training over xgboost's collective on {training_hosts}")
        # None: the channel gave no ContentType, and the algorithm applies its default, as on one host.
        content_types = {c["ChannelName"]: c.get("ContentType") for c in self.job["InputDataConfig"]}
        hyperparameters = dict(self.job.get("HyperParameters", {}))
        if "nthread" not in hyperparameters:
            # Each SageMaker instance has its own CPUs; here the hosts share this machine's, and xgboost
            # with more threads than its share of the cores ran 10x slower (200 rounds, 2 hosts, 2 cores).
            hyperparameters["nthread"] = str(max(1, available_cpus() // len(training_hosts)))
            self.runner.log.write(
                f"{len(training_hosts)} hosts share this machine's {available_cpus()} CPU(s): "
                f"nthread {hyperparameters['nthread']} on each"
            )
        master = training_hosts[0]
        result_file = self.cluster.scratch(master) / "result.json"
        env = {
            **os.environ,
            "PYTHONPATH": str(Path(local_sagemaker.__file__).resolve().parents[1]),
            "PYTHONUNBUFFERED": "1",
        }

        def run_host(host: str, abort: Callable[[], bool]) -> ProgramResult:
            root = self.cluster.root(host)
            (root / "model").mkdir(parents=True, exist_ok=True)
            failure_file = root / "output" / "failure"
            failure_file.parent.mkdir(parents=True, exist_ok=True)
            with synced_checkpoints(
                self.runner.s3,
                self.job.get("CheckpointConfig"),
                self.cluster.sandbox(host),
                self.logs[host].write,
            ) as checkpoint_dir:
                spec = HostSpec(
                    channels={name: str(root / "input" / "data" / name) for name in channels[host]},
                    content_types=content_types,
                    hyperparameters=hyperparameters,
                    model_dir=str(root / "model"),
                    checkpoint_dir=str(checkpoint_dir) if checkpoint_dir else None,
                    hosts=training_hosts,
                    current_host=host,
                    tracker_address=self.cluster.addresses[master],
                    tracker_port=self.cluster.tracker_port,
                    result_file=str(result_file),
                    failure_file=str(failure_file),
                    tracker_ready_file=str(self.cluster.scratch(master) / "tracker-ready"),
                )
                program = [
                    sys.executable,
                    "-m",
                    "local_sagemaker.algorithms.builtin_xgboost.host_main",
                    str(spec.write(self.cluster.scratch(host) / "xgboost-host.json")),
                ]
                result = run_program(
                    program, env, self.logs[host].write, self.runner.should_stop, abort=abort
                )
            if not result.stopped and result.returncode != 0:
                written = failure_file.read_text().strip() if failure_file.is_file() else ""
                raise AlgorithmError(written or "\n".join(result.tail))
            return result

        self._run_group(tuple(training_hosts), run_host)
        if not result_file.is_file():  # stopped before the master finished a round
            return []
        at = now()
        final = json.loads(result_file.read_text())["final_metrics"]
        return [{"MetricName": name, "Value": value, "Timestamp": at} for name, value in final.items()]

    def _hosts_with_data(self, channels: dict[str, dict[str, list[Path]]]) -> list[str]:
        """The sorted hosts that train: a host with no train files (or none of a validation channel) sits
        out, as the container's first collective round decides; with one left it trains alone."""
        has_validation = any(VALIDATION in by_channel for by_channel in channels.values())
        included = []
        for host in sorted(self.cluster.hosts):
            for what, channel in (("training", TRAIN), ("validation", VALIDATION)):
                if channel == VALIDATION and not has_validation:
                    continue
                if not channels[host].get(channel):
                    self.logs[host].write(_NO_DATA.format(host=host, what=what))
                    break
            else:
                included.append(host)
        if not included:
            raise AlgorithmError("No hosts received training data.")
        return included

    def _run_group(self, hosts: tuple[str, ...] | list[str], run_host: Callable[..., Any]) -> dict[str, Any]:
        """Run the hosts; the first failure fails the job, naming its host."""
        group: HostGroup[Any] = HostGroup(tuple(hosts), run_host)
        try:
            return group.run()
        except (AlgorithmError, DataError) as error:
            assert group.failure is not None
            host = group.failure.host
            self.logs[host].write(f"Host {host} failed: {error}")
            raise type(error)(f"{error} (on host {host} of {', '.join(self.cluster.hosts)})") from error

    # output
    def _upload_artifacts(self) -> dict[str, Any]:
        """One model.tar.gz from every host's /opt/ml/model (a later host's file wins a name clash), and
        output.tar.gz from every host's /opt/ml/output/data when any holds files."""
        base = f"{self.job['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{self.runner.name}/output"
        roots = [self.cluster.root(host) for host in self.cluster.hosts]
        model_uri = f"{base}/model.tar.gz"
        archive = pack_merged([root / "model" for root in roots], self.runner.workdir / "model.tar.gz")
        upload_file(self.runner.s3, archive, model_uri)
        self.runner.log.write(f"Uploaded model artifacts to {model_uri}")
        outputs = [root / "output" / "data" for root in roots]
        if any(path.is_file() for folder in outputs if folder.is_dir() for path in folder.rglob("*")):
            output_uri = f"{base}/output.tar.gz"
            upload_file(
                self.runner.s3, pack_merged(outputs, self.runner.workdir / "output.tar.gz"), output_uri
            )
            self.runner.log.write(f"Uploaded output data to {output_uri}")
        return {"ModelArtifacts": {"S3ModelArtifacts": model_uri}}
