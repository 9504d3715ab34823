"""Batch transform: every input object through the model in mini-batches, `<input>.out` under the output path."""

from __future__ import annotations

import tarfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from local_sagemaker.algorithms.xgboost_builtin import AlgorithmError
from local_sagemaker.jobs import TRANSFORM, JobKind
from local_sagemaker.runners.base import JobRunner
from local_sagemaker.s3io import DataError, download_prefix, upload_file
from local_sagemaker.transform.joining import RecordProcessor
from local_sagemaker.transform.records import decompressed, lines_of, mini_batches
from local_sagemaker.transform.settings import TransformSettings, read_settings
from local_sagemaker.transform.sources import InputObject, input_objects
from local_sagemaker.transform.xgboost_server import XGBoostBatchServer

_READ_CHUNK = 1024 * 1024


class TransformRunner(JobRunner):
    kind: ClassVar[JobKind] = TRANSFORM

    def log_stream(self) -> str:
        return f"{self.name}/i-{abs(hash(self.name)) % 16**12:012x}-{int(time.time())}"

    def execute(self) -> dict[str, Any]:
        container = self._container()
        settings = read_settings(self.job, container)
        server = XGBoostBatchServer(self._fetch_model(container), settings.environment, settings.accept)
        source = self.job["TransformInput"]["DataSource"]["S3DataSource"]
        objects = input_objects(self.s3, source["S3DataType"], source["S3Uri"])
        # The line SageMaker's data log starts with.
        self.log.write(
            f"MaxConcurrentTransforms={settings.max_concurrent}, "
            f"MaxPayloadInMB={settings.max_payload_bytes // (1024 * 1024)}, "
            f"BatchStrategy={settings.batch_strategy.upper().replace('RECORD', '_RECORD')}"
        )
        output_path = self.job["TransformOutput"]["S3OutputPath"].rstrip("/")
        outputs = self.sandbox("output")
        failures: list[str] = []
        with ThreadPoolExecutor(max_workers=settings.max_concurrent) as pool:
            for item in objects:
                self.check_stop()
                local_out = outputs / f"{item.relative}.out"
                local_out.parent.mkdir(parents=True, exist_ok=True)
                try:
                    records = self._transform_object(item, settings, server, pool, local_out)
                except (DataError, AlgorithmError) as exc:
                    # Like SageMaker: the other objects still run; only whole outputs are uploaded.
                    self.log.write(f"{item.bucket}/{item.key}: ClientError: {exc}")
                    failures.append(str(exc))
                    local_out.unlink(missing_ok=True)
                    continue
                upload_file(self.s3, local_out, f"{output_path}/{item.relative}.out")
                self.log.write(f"Transformed {records} record(s) from {item.uri}")
        if failures:
            more = (
                f" ({len(failures) - 1} more object(s) failed too; see the job's log)"
                if len(failures) > 1
                else ""
            )
            raise DataError(failures[0] + more)
        self.log.write(f"Batch transform finished: {len(objects)} object(s)")
        return {}

    def _transform_object(
        self,
        item: InputObject,
        settings: TransformSettings,
        server: XGBoostBatchServer,
        pool: ThreadPoolExecutor,
        local_out: Path,
    ) -> int:
        where = f"input {item.uri}"
        batches = mini_batches(
            decompressed(self._object_chunks(item), settings.compression, where),
            settings.split_type,
            settings.batch_strategy,
            settings.max_payload_bytes,
            where,
        )
        transform = _batch_transform(settings, server, where)
        records = 0
        with local_out.open("wb") as out:
            for answer, count in _in_order(
                pool, transform, batches, settings.max_concurrent, self.check_stop
            ):
                out.write(answer)
                records += count
        return records

    def _object_chunks(self, item: InputObject) -> Iterator[bytes]:
        try:
            body = self.s3.get_object(Bucket=item.bucket, Key=item.key)["Body"]
            yield from body.iter_chunks(chunk_size=_READ_CHUNK)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise DataError(
                f"Data download failed:Unable to download object {item.uri} "
                f"({error.get('Code', 'Unknown')}: {error.get('Message', exc)})"
            ) from exc

    def _container(self) -> dict[str, Any]:
        model = self.store.get("model", self.job["ModelName"])
        if model is None:
            raise DataError(f"model {self.job['ModelName']!r} was deleted before the transform job started")
        container: dict[str, Any] = model.get("PrimaryContainer") or model["Containers"][0]
        return container

    def _fetch_model(self, container: dict[str, Any]) -> Path:
        model_dir = self.sandbox("model")
        archive_dir = self.sandbox("model-download")
        download_prefix(self.s3, container["ModelDataUrl"], archive_dir)
        archive = next(archive_dir.rglob("*.tar.gz"), None)
        if archive is None:
            raise DataError(f"ModelDataUrl {container['ModelDataUrl']} does not hold a model.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(model_dir, filter="data")
        return model_dir


def _batch_transform(
    settings: TransformSettings, server: XGBoostBatchServer, where: str
) -> Callable[[bytes], tuple[bytes, int]]:
    """What happens to one mini-batch: the assembled output bytes and the number of records answered."""
    line_end = b"\n" if settings.assemble_with == "Line" else b""
    if not settings.processes_records:

        def whole(batch: bytes) -> tuple[bytes, int]:
            answer = server.invoke(batch, settings.content_type, where)
            if line_end and answer and not answer.endswith(line_end):
                answer += line_end
            return answer, answer.count(b"\n")

        return whole
    processor = RecordProcessor(settings, where)
    split = settings.split_type == "Line"

    def per_record(batch: bytes) -> tuple[bytes, int]:
        texts = [line.decode("utf-8") for line in lines_of(batch)] if split else [batch.decode("utf-8")]
        inputs, payload = processor.model_payload(texts)
        answers = processor.output_records(inputs, server.invoke(payload, settings.content_type, where))
        text = line_end.decode().join(answers) + line_end.decode()
        return text.encode("utf-8"), len(answers)

    return per_record


def _in_order(
    pool: ThreadPoolExecutor,
    work: Callable[[bytes], tuple[bytes, int]],
    batches: Iterator[bytes],
    concurrency: int,
    check_stop: Callable[[], None],
) -> Iterator[tuple[bytes, int]]:
    """Up to `concurrency` mini-batches in flight (MaxConcurrentTransforms), answers in input order."""
    pending: deque[Future[tuple[bytes, int]]] = deque()
    try:
        for batch in batches:
            check_stop()
            pending.append(pool.submit(work, batch))
            if len(pending) >= concurrency:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
