"""Training jobs: download channels, train with the built-in algorithm or the user's code, upload model.tar.gz."""

from __future__ import annotations

import tarfile
from typing import Any, ClassVar

from local_sagemaker.algorithms import xgboost_builtin
from local_sagemaker.checkpoint_sync import synced_checkpoints
from local_sagemaker.clock import now
from local_sagemaker.containers.toolkit_env import runs_user_code
from local_sagemaker.containers.training import ContainerTraining
from local_sagemaker.jobs import TRAINING, JobKind
from local_sagemaker.runners.base import JobRunner
from local_sagemaker.runners.training_cluster import ClusterTraining, instance_count
from local_sagemaker.s3io import download_prefix, upload_file


class TrainingRunner(JobRunner):
    kind: ClassVar[JobKind] = TRAINING

    def execute(self) -> dict[str, Any]:
        if instance_count(self.job) > 1:
            return ClusterTraining.for_runner(self).run()
        self.secondary("Downloading", "Downloading input data")
        channels = {}
        content_types: dict[str, str | None] = {}
        for channel in self.job.get("InputDataConfig", []):
            self.check_stop()
            name = channel["ChannelName"]
            destination = self.sandbox("opt", "ml", "input", "data", name)
            files = download_prefix(self.s3, channel["DataSource"]["S3DataSource"]["S3Uri"], destination)
            self.log.write(f"Downloaded {len(files)} file(s) for channel {name}")
            channels[name] = destination
            content_types[name] = channel.get("ContentType")  # None: the algorithm's own default

        self.secondary("Training", "Training image download completed. Training in progress.")
        if runs_user_code(self.job):
            return self._train_in_container()
        model_dir = self.sandbox("opt", "ml", "model")
        with synced_checkpoints(
            self.s3, self.job.get("CheckpointConfig"), self.workdir, self.log.write
        ) as checkpoint_dir:
            result = xgboost_builtin.train(
                channels,
                self.job.get("HyperParameters", {}),
                model_dir,
                self.log.write,
                content_types=content_types,
                should_stop=self.should_stop,
                checkpoint_dir=checkpoint_dir,
            )
        # A stop between rounds still leaves a usable model, which SageMaker's algorithms save too.
        self.secondary("Uploading", "Uploading generated training model")
        artifact_uri = self._upload_model(model_dir)
        at = now()
        return {
            "ModelArtifacts": {"S3ModelArtifacts": artifact_uri},
            "FinalMetricDataList": [
                {"MetricName": name, "Value": value, "Timestamp": at}
                for name, value in result.final_metrics.items()
            ],
        }

    def _train_in_container(self) -> dict[str, Any]:
        """The user's program (script mode or ContainerEntrypoint) with the toolkit's contract."""
        container = ContainerTraining(
            self.settings,
            self.job,
            self.s3,
            self.sandbox("opt", "ml"),
            self.workdir,
            self.log.write,
            self.should_stop,
        )
        # The program sees the sandbox's opt/ml as /opt/ml, so the default LocalPath is its checkpoints folder.
        with synced_checkpoints(self.s3, self.job.get("CheckpointConfig"), self.workdir, self.log.write):
            outcome = container.run()
        # A stopped program had SIGTERM's grace period to save its model, which SageMaker uploads too.
        self.secondary("Uploading", "Uploading generated training model")
        fields = container.upload_artifacts(self.job["OutputDataConfig"]["S3OutputPath"], self.name)
        return {**fields, "FinalMetricDataList": outcome.final_metrics}

    def _upload_model(self, model_dir: Any) -> str:
        archive = self.workdir / "model.tar.gz"
        # gzip's own default level: level 9 (tarfile's) took 4x as long for 2 % smaller archives.
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            for path in sorted(model_dir.iterdir()):
                tar.add(path, arcname=path.name)
        output_path = self.job["OutputDataConfig"]["S3OutputPath"].rstrip("/")
        uri = f"{output_path}/{self.name}/output/model.tar.gz"
        upload_file(self.s3, archive, uri)
        self.log.write(f"Uploaded model artifacts to {uri}")
        return uri
