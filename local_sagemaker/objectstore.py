"""Durable S3 objects on the local disk: data in files, the key index in SQLite, visible only when whole.

Every write streams into a temporary file, is fsynced and renamed into `blobs/`, and becomes visible by
one SQLite commit that points the key at it: a kill at any moment leaves either the old object or the
new one, never a half-written one. Blobs no row points to (a write cut short) are removed at start-up."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from local_sagemaker.schema import open_versioned

_CHUNK = 1024 * 1024
# Above every code point: `key < prefix + _MAX_CHAR` bounds a prefix range in the index.
_MAX_CHAR = "\U0010ffff"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, created REAL NOT NULL, region TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL,
    etag TEXT NOT NULL, modified REAL NOT NULL, headers TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, started REAL NOT NULL,
    headers TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL, number INTEGER NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL,
    md5 TEXT NOT NULL, PRIMARY KEY (upload_id, number)
);
"""


class StoreError(Exception):
    """An S3 error: its code, HTTP status and message become the XML error body."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    blob: str
    size: int
    etag: str
    modified: float
    # Content-Type, Content-Encoding, Cache-Control, ... and x-amz-meta-* as the client sent them.
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Listing:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    truncated: bool
    # The last key or common prefix returned: where the next page starts.
    last: str | None


class ObjectStore:
    def __init__(self, root: Path, fsync: bool = False) -> None:
        """fsync=True also survives a power cut (each write waits for the disk, ~10 ms here)."""
        self.root = root
        self.fsync = fsync
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        for folder in (self.blobs, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(root / "index.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives any kill of this process and a clean reboot; a power cut may
        # lose the last commits but never corrupts the index. FULL (with fsync) waits for the disk.
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        open_versioned(self._db, root / "index.sqlite3")
        self._lock = threading.Lock()
        self._remove_orphans()

    # --- buckets -------------------------------------------------------------------------------
    def create_bucket(self, name: str, region: str) -> None:
        with self._lock:
            if self._db.execute("SELECT 1 FROM buckets WHERE name=?", (name,)).fetchone():
                raise StoreError(
                    "BucketAlreadyOwnedByYou", f"Bucket {name!r} already exists and is yours.", 409
                )
            self._db.execute("INSERT INTO buckets VALUES (?, ?, ?)", (name, time.time(), region))

    def bucket_region(self, name: str) -> str:
        row = self._query_one("SELECT region FROM buckets WHERE name=?", (name,))
        if row is None:
            raise StoreError("NoSuchBucket", f"The bucket {name!r} does not exist.", 404)
        return str(row[0])

    def list_buckets(self) -> list[tuple[str, float]]:
        with self._lock:
            return [(r[0], r[1]) for r in self._db.execute("SELECT name, created FROM buckets ORDER BY name")]

    def delete_bucket(self, name: str) -> None:
        self.bucket_region(name)
        with self._lock:
            if self._db.execute("SELECT 1 FROM objects WHERE bucket=? LIMIT 1", (name,)).fetchone():
                raise StoreError(
                    "BucketNotEmpty", f"The bucket {name!r} is not empty; delete its objects first.", 409
                )
            self._db.execute("DELETE FROM buckets WHERE name=?", (name,))

    # --- objects -------------------------------------------------------------------------------
    def put(
        self,
        bucket: str,
        key: str,
        body: BinaryIO,
        length: int | None,
        headers: dict[str, str],
        check: Callable[[], None] | None = None,
    ) -> ObjectInfo:
        """Store the body under key; `check` (the client's checksums) runs after the write, before the commit."""
        self.bucket_region(bucket)
        blob, size, md5 = self._write_checked_blob(body, length, check)
        return self._commit(bucket, key, blob, size, f'"{md5.hexdigest()}"', headers)

    def _write_checked_blob(
        self, body: Any, length: int | None, check: Callable[[], None] | None
    ) -> tuple[str, int, Any]:
        """The body written as a blob; a failing `check` (the client's checksums) removes it again."""
        blob, size, md5 = self._write_blob(body, length)
        try:
            if check is not None:
                check()
        except Exception:
            (self.blobs / blob).unlink(missing_ok=True)
            raise
        return blob, size, md5

    def get(self, bucket: str, key: str) -> ObjectInfo:
        self.bucket_region(bucket)
        row = self._query_one(
            "SELECT bucket, key, blob, size, etag, modified, headers FROM objects WHERE bucket=? AND key=?",
            (bucket, key),
        )
        if row is None:
            raise StoreError("NoSuchKey", f"The key {key!r} does not exist in bucket {bucket!r}.", 404)
        return _info(row)

    def open(self, info: ObjectInfo) -> BinaryIO:
        # A blob is never rewritten, only replaced under a new name: an open reader sees one version.
        return (self.blobs / info.blob).open("rb")

    def copy(self, source: ObjectInfo, bucket: str, key: str, headers: dict[str, str] | None) -> ObjectInfo:
        self.bucket_region(bucket)
        with self.open(source) as data:
            blob, size, _ = self._write_blob(data, source.size)
        return self._commit(
            bucket, key, blob, size, source.etag, source.headers if headers is None else headers
        )

    def delete(self, bucket: str, key: str) -> None:
        self.bucket_region(bucket)
        with self._lock:
            row = self._db.execute(
                "SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)
            ).fetchone()
            self._db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))
        if row:
            (self.blobs / row[0]).unlink(missing_ok=True)

    def list_keys(self, bucket: str, prefix: str, delimiter: str, after: str, max_keys: int) -> Listing:
        """Keys under prefix after `after` in key order, with keys past a delimiter rolled up."""
        self.bucket_region(bucket)
        objects: list[ObjectInfo] = []
        prefixes: list[str] = []
        cursor = after
        while len(objects) + len(prefixes) < max_keys:
            row = self._query_one(
                "SELECT bucket, key, blob, size, etag, modified, headers FROM objects "
                "WHERE bucket=? AND key>? AND key>=? AND key<? ORDER BY key LIMIT 1",
                (bucket, cursor, prefix, prefix + _MAX_CHAR),
            )
            if row is None:
                return Listing(objects, prefixes, False, None)
            info = _info(row)
            rest = info.key[len(prefix) :]
            if delimiter and delimiter in rest:
                common = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                prefixes.append(common)
                # Skip every key under this common prefix in one step.
                cursor = common + _MAX_CHAR
            else:
                objects.append(info)
                cursor = info.key
        more = self._query_one(
            "SELECT 1 FROM objects WHERE bucket=? AND key>? AND key>=? AND key<? LIMIT 1",
            (bucket, cursor, prefix, prefix + _MAX_CHAR),
        )
        last = max([o.key for o in objects[-1:]] + prefixes[-1:], default=None)
        return Listing(objects, prefixes, more is not None, last)

    # --- multipart uploads ---------------------------------------------------------------------
    def start_upload(self, bucket: str, key: str, headers: dict[str, str]) -> str:
        self.bucket_region(bucket)
        upload_id = uuid.uuid4().hex
        with self._lock:
            self._db.execute(
                "INSERT INTO uploads VALUES (?, ?, ?, ?, ?)",
                (upload_id, bucket, key, time.time(), json.dumps(headers)),
            )
        return upload_id

    def put_part(
        self,
        upload_id: str,
        number: int,
        body: BinaryIO,
        length: int | None,
        check: Callable[[], None] | None = None,
    ) -> str:
        self._upload(upload_id)
        if not 1 <= number <= 10000:
            raise StoreError("InvalidArgument", f"PartNumber {number} is not between 1 and 10000.", 400)
        blob, size, md5 = self._write_checked_blob(body, length, check)
        with self._lock:
            old = self._db.execute(
                "SELECT blob FROM parts WHERE upload_id=? AND number=?", (upload_id, number)
            ).fetchone()
            self._db.execute(
                "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?, ?)",
                (upload_id, number, blob, size, md5.hexdigest()),
            )
        if old:
            (self.blobs / old[0]).unlink(missing_ok=True)
        return f'"{md5.hexdigest()}"'

    def complete_upload(self, upload_id: str, requested: list[tuple[int, str]]) -> ObjectInfo:
        bucket, key, headers = self._upload(upload_id)
        with self._lock:
            stored = {
                r[0]: (r[1], r[2], r[3])
                for r in self._db.execute(
                    "SELECT number, blob, size, md5 FROM parts WHERE upload_id=?", (upload_id,)
                )
            }
        numbers = [number for number, _ in requested]
        if not requested or numbers != sorted(set(numbers)):
            raise StoreError(
                "InvalidPartOrder", "The parts must be listed once each, in ascending order.", 400
            )
        for number, etag in requested:
            if number not in stored or stored[number][2] != etag.strip('"'):
                raise StoreError(
                    "InvalidPart",
                    f"Part {number} with ETag {etag} was not uploaded to upload {upload_id}.",
                    400,
                )
        total = hashlib.md5(usedforsecurity=False)
        name = uuid.uuid4().hex
        staging = self.tmp / name
        with staging.open("wb") as out:
            for number, _ in requested:
                part_blob, _, part_md5 = stored[number]
                total.update(bytes.fromhex(part_md5))
                with (self.blobs / part_blob).open("rb") as part:
                    shutil.copyfileobj(part, out, _CHUNK)
            out.flush()
            if self.fsync:
                os.fsync(out.fileno())
        os.replace(staging, self.blobs / name)
        size = (self.blobs / name).stat().st_size
        info = self._commit(bucket, key, name, size, f'"{total.hexdigest()}-{len(requested)}"', headers)
        self.abort_upload(upload_id)
        return info

    def abort_upload(self, upload_id: str) -> None:
        self._upload(upload_id)
        with self._lock:
            blobs = [r[0] for r in self._db.execute("SELECT blob FROM parts WHERE upload_id=?", (upload_id,))]
            self._db.execute("DELETE FROM parts WHERE upload_id=?", (upload_id,))
            self._db.execute("DELETE FROM uploads WHERE upload_id=?", (upload_id,))
        for blob in blobs:
            (self.blobs / blob).unlink(missing_ok=True)

    def list_parts(self, upload_id: str) -> list[tuple[int, int, str]]:
        self._upload(upload_id)
        with self._lock:
            return [
                (r[0], r[1], f'"{r[2]}"')
                for r in self._db.execute(
                    "SELECT number, size, md5 FROM parts WHERE upload_id=? ORDER BY number", (upload_id,)
                )
            ]

    # --- space ---------------------------------------------------------------------------------
    def usage(self) -> tuple[int, int]:
        """(objects, bytes) the store holds."""
        row = self._query_one("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM objects", ())
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # --- internals -----------------------------------------------------------------------------
    def _upload(self, upload_id: str) -> tuple[str, str, dict[str, str]]:
        row = self._query_one("SELECT bucket, key, headers FROM uploads WHERE upload_id=?", (upload_id,))
        if row is None:
            raise StoreError(
                "NoSuchUpload",
                f"The upload {upload_id!r} does not exist: it was completed, aborted or never started.",
                404,
            )
        return str(row[0]), str(row[1]), json.loads(row[2])

    def _write_blob(self, body: BinaryIO, length: int | None) -> tuple[str, int, Any]:
        name = uuid.uuid4().hex
        staging = self.tmp / name
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        with staging.open("wb") as out:
            while length is None or size < length:
                chunk = body.read(_CHUNK if length is None else min(_CHUNK, length - size))
                if not chunk:
                    break
                md5.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            if self.fsync:
                os.fsync(out.fileno())
        if length is not None and size != length:
            staging.unlink(missing_ok=True)
            raise StoreError(
                "IncompleteBody",
                f"The body ended after {size} of the {length} bytes Content-Length announced.",
                400,
            )
        os.replace(staging, self.blobs / name)
        return name, size, md5

    def _commit(
        self, bucket: str, key: str, blob: str, size: int, etag: str, headers: dict[str, str]
    ) -> ObjectInfo:
        now = time.time()
        with self._lock:
            old = self._db.execute(
                "SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)
            ).fetchone()
            self._db.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)",
                (bucket, key, blob, size, etag, now, json.dumps(headers)),
            )
        if old and old[0] != blob:
            (self.blobs / old[0]).unlink(missing_ok=True)
        return ObjectInfo(bucket, key, blob, size, etag, now, headers)

    def _query_one(self, sql: str, args: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _remove_orphans(self) -> None:
        for staging in self.tmp.iterdir():
            staging.unlink(missing_ok=True)
        with self._lock:
            used = {r[0] for r in self._db.execute("SELECT blob FROM objects UNION SELECT blob FROM parts")}
        for blob in self.blobs.iterdir():
            if blob.name not in used:
                blob.unlink(missing_ok=True)


def _info(row: Any) -> ObjectInfo:
    return ObjectInfo(row[0], row[1], row[2], int(row[3]), row[4], float(row[5]), json.loads(row[6]))
