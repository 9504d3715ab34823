"""Batch transform: every input object through the model, `<input>.out` written beside the output path."""

from __future__ import annotations

import tarfile
import time
from pathlib import Path
from typing import Any, ClassVar

from local_sagemaker.algorithms import xgboost_builtin
from local_sagemaker.jobs import TRANSFORM, JobKind
from local_sagemaker.runners.base import JobRunner
from local_sagemaker.s3io import (
    DataError,
    _relative_key,
    download_object,
    download_prefix,
    list_objects,
    split_s3_uri,
    upload_file,
)


class TransformRunner(JobRunner):
    kind: ClassVar[JobKind] = TRANSFORM

    def log_stream(self) -> str:
        return f"{self.name}/i-{abs(hash(self.name)) % 16**12:012x}-{int(time.time())}"

    def execute(self) -> dict[str, Any]:
        model_dir = self._fetch_model()
        source = self.job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
        content_type = self.job["TransformInput"].get("ContentType", "text/csv").split(";")[0].strip()
        _, prefix = split_s3_uri(source)
        keys = list_objects(self.s3, source)
        if not keys:
            raise DataError(
                f"No S3 objects found under {source} (TransformInput.DataSource.S3DataSource.S3Uri)"
            )
        output_path = self.job["TransformOutput"]["S3OutputPath"].rstrip("/")
        inputs = self.sandbox("input")
        outputs = self.sandbox("output")
        total = 0
        for key in keys:
            self.check_stop()
            relative = _relative_key(prefix, key)
            local_in = inputs / relative
            local_in.parent.mkdir(parents=True, exist_ok=True)
            download_object(self.s3, split_s3_uri(source)[0], key, local_in)
            local_out = outputs / f"{relative}.out"
            local_out.parent.mkdir(parents=True, exist_ok=True)
            rows = xgboost_builtin.predict_file(model_dir, local_in, local_out, content_type)
            upload_file(self.s3, local_out, f"{output_path}/{relative}.out")
            self.log.write(f"Transformed {rows} record(s) from s3://{split_s3_uri(source)[0]}/{key}")
            total += rows
        self.log.write(f"Batch transform finished: {total} record(s) in {len(keys)} object(s)")
        return {}

    def _fetch_model(self) -> Path:
        model = self.store.get("model", self.job["ModelName"])
        if model is None:
            raise DataError(f"model {self.job['ModelName']!r} was deleted before the transform job started")
        container = model.get("PrimaryContainer") or model["Containers"][0]
        model_dir = self.sandbox("model")
        archive_dir = self.sandbox("model-download")
        download_prefix(self.s3, container["ModelDataUrl"], archive_dir)
        archive = next(archive_dir.rglob("*.tar.gz"), None)
        if archive is None:
            raise DataError(f"ModelDataUrl {container['ModelDataUrl']} does not hold a model.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(model_dir, filter="data")
        return model_dir
