"""Moving job inputs and outputs between S3 and a job's local directories, as SageMaker's agent does."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import ClientError

from local_sagemaker.errors import ValidationException


class DataError(Exception):
    """Input or output data the job cannot use; becomes a `ClientError:` failure reason."""


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValidationException(f"{uri!r} is not an S3 URI")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _relative_key(prefix: str, key: str) -> str:
    # SageMaker keeps the path below the prefix's folder: s3://b/csv/train.csv -> train.csv,
    # s3://b/data/ with data/day1/x.csv -> day1/x.csv; a prefix that names a folder without its slash
    # counts as that folder (s3://b/p/test with p/test/test.csv -> test.csv: seed 003's evaluation input).
    if prefix and not prefix.endswith("/") and key.startswith(prefix + "/"):
        prefix += "/"
    folder = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    relative = key[len(folder) :]
    parts = PurePosixPath(relative).parts
    if not relative or relative.startswith("/") or ".." in parts:
        raise DataError(f"S3 key {key!r} cannot be placed safely under the job's directory")
    return relative


def list_objects(s3: Any, uri: str) -> list[str]:
    bucket, prefix = split_s3_uri(uri)
    keys: list[str] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []) if not obj["Key"].endswith("/"))
    except s3.exceptions.NoSuchBucket as exc:
        raise DataError(f"bucket {bucket!r} of {uri} does not exist") from exc
    except ClientError as exc:  # what the SDK's own retries could not ride over
        raise DataError(f"Failed to download data. ListObjectsV2 failed for {uri}: {_error_of(exc)}") from exc
    return sorted(keys)


def _error_of(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'Unknown')}: {error.get('Message', str(exc))}"


def download_object(s3: Any, bucket: str, key: str, target: Path) -> None:
    """One object to a local file; an S3 error becomes the `ClientError:` reason SageMaker reports."""
    try:
        s3.download_file(bucket, key, str(target))
    except ClientError as exc:
        raise DataError(
            f"Data download failed:Unable to download object s3://{bucket}/{key} ({_error_of(exc)})"
        ) from exc


def listed_objects(s3: Any, uri: str) -> list[str]:
    """The keys under `uri`; no object at all is an error, as on AWS."""
    keys = list_objects(s3, uri)
    if not keys:
        raise DataError(
            f"No S3 objects found under {uri}. Check that the bucket exists, that objects exist under "
            "that prefix and that the execution role may list and read them."
        )
    return keys


def download_prefix(s3: Any, uri: str, destination: Path) -> list[Path]:
    """Copy every object under `uri` into `destination`; no object at all is an error, as on AWS."""
    return download_keys(s3, uri, listed_objects(s3, uri), destination)


def download_keys(s3: Any, uri: str, keys: list[str], destination: Path) -> list[Path]:
    """Copy the given objects of `uri`'s listing into `destination`, each at its path below the prefix."""
    bucket, prefix = split_s3_uri(uri)
    destination.mkdir(parents=True, exist_ok=True)
    root = destination.resolve()
    targets = [(key, root / _relative_key(prefix, key)) for key in keys]  # refuse before writing anything
    files = []
    for key, target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(root):
            raise DataError(f"S3 key {key!r} would be written outside the job's directory")
        download_object(s3, bucket, key, target)
        files.append(target)
    return files


def upload_directory(s3: Any, source: Path, uri: str) -> list[str]:
    """Upload every file below `source` to `uri`/<relative path>; returns the S3 URIs written."""
    bucket, prefix = split_s3_uri(uri)
    root = source.resolve()
    paths = sorted(p for p in source.rglob("*") if p.is_file())
    for path in paths:
        # A job may leave symlinks behind; never upload what one points at outside its directory.
        if not path.resolve().is_relative_to(root):
            raise DataError(
                f"output file {path.relative_to(source)} is a link to {path.resolve()}, outside the job's "
                "output directory; write the file itself there instead"
            )
    written = []
    for path in paths:
        key = "/".join(filter(None, [prefix.rstrip("/"), path.relative_to(source).as_posix()]))
        s3.upload_file(str(path), bucket, key)
        written.append(f"s3://{bucket}/{key}")
    return written


def upload_file(s3: Any, source: Path, uri: str) -> None:
    bucket, key = split_s3_uri(uri)
    s3.upload_file(str(source), bucket, key)
