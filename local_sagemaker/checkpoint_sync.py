"""CheckpointConfig as SageMaker's agent runs it: restore S3Uri into LocalPath, then mirror LocalPath to S3."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from local_sagemaker.s3io import download_prefix, list_objects, split_s3_uri

DEFAULT_LOCAL_PATH = "/opt/ml/checkpoints"  # AWS "Checkpoints in Amazon SageMaker"
# Files a writer marks as not ready: the XGBoost container writes `<tmp>.sagemaker-ignore` and renames it.
IGNORED_SUFFIXES = (".sagemaker-ignore", ".sagemaker-uploading", ".sagemaker-uploaded")
SYNC_INTERVAL_SECONDS = 0.5


def local_checkpoint_dir(sandbox_root: Path, config: dict[str, Any]) -> Path:
    """Where the job sees LocalPath: the same absolute path, inside the job's sandbox."""
    local_path = PurePosixPath(config.get("LocalPath") or DEFAULT_LOCAL_PATH)
    return sandbox_root.joinpath(*local_path.parts[1:])


def restore(s3: Any, s3_uri: str, local_dir: Path) -> list[Path]:
    """Copy every checkpoint already under S3Uri into the local folder; none is fine (the first run)."""
    folder = s3_uri.rstrip("/") + "/"
    local_dir.mkdir(parents=True, exist_ok=True)
    if not list_objects(s3, folder):
        return []
    return download_prefix(s3, folder, local_dir)


class CheckpointMirror:
    """Uploads new or changed files below the local folder to S3Uri and deletes the ones removed locally."""

    def __init__(self, s3: Any, s3_uri: str, local_dir: Path) -> None:
        self.s3 = s3
        self.bucket, prefix = split_s3_uri(s3_uri.rstrip("/") + "/")
        self.prefix = prefix
        self.local_dir = local_dir
        self._seen: dict[str, tuple[float, int]] = {}  # relative path -> (mtime, size) last uploaded
        for path in self._files():  # restored files are in S3 already
            self._seen[path.relative_to(local_dir).as_posix()] = self._stamp(path)

    def _files(self) -> list[Path]:
        return sorted(
            path
            for path in self.local_dir.rglob("*")
            if path.is_file() and not path.name.endswith(IGNORED_SUFFIXES)
        )

    @staticmethod
    def _stamp(path: Path) -> tuple[float, int]:
        status = path.stat()
        return status.st_mtime, status.st_size

    def sync(self) -> None:
        present: set[str] = set()
        for path in self._files():
            relative = path.relative_to(self.local_dir).as_posix()
            try:
                stamp = self._stamp(path)
            except FileNotFoundError:  # deleted between the listing and now
                continue
            present.add(relative)
            if self._seen.get(relative) != stamp:
                try:
                    self.s3.upload_file(str(path), self.bucket, self.prefix + relative)
                except FileNotFoundError:  # the writer dropped it meanwhile (XGBoost keeps only 5)
                    present.discard(relative)
                    continue
                self._seen[relative] = stamp
        for relative in sorted(set(self._seen) - present):
            self.s3.delete_object(Bucket=self.bucket, Key=self.prefix + relative)
            del self._seen[relative]


@contextmanager
def synced_checkpoints(
    s3: Any, config: dict[str, Any] | None, sandbox_root: Path, log: Callable[[str], None]
) -> Iterator[Path | None]:
    """Restore, mirror while the body runs, and mirror once more at the end (a stop or failure included).

    Yields the local checkpoint folder, or None when the job has no CheckpointConfig.
    """
    if not config:
        yield None
        return
    local_dir = local_checkpoint_dir(sandbox_root, config)
    restored = restore(s3, config["S3Uri"], local_dir)
    log(f"Restored {len(restored)} checkpoint file(s) from {config['S3Uri']}")
    mirror = CheckpointMirror(s3, config["S3Uri"], local_dir)
    done = threading.Event()

    def keep_syncing() -> None:
        last_error = ""
        while not done.wait(SYNC_INTERVAL_SECONDS):
            # One failed upload must not end the mirror for the rest of the job: say so, retry next tick.
            try:
                mirror.sync()
            except Exception as error:  # any S3 or file error; the final sync reports for real
                if str(error) != last_error:
                    log(f"Checkpoint upload to {config['S3Uri']} failed, retrying: {error}")
                    last_error = str(error)

    thread = threading.Thread(target=keep_syncing, name="checkpoint-sync", daemon=True)
    thread.start()
    try:
        yield local_dir
    finally:
        done.set()
        thread.join()
        mirror.sync()
