"""The S3 objects a transform job reads, each with the relative name its `.out` object gets.

Follows TransformS3DataSource (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformS3DataSource.html):
S3Prefix takes every object under the prefix; ManifestFile names one object holding
`[{"prefix": "s3://bucket/some/prefix/"}, "relative/key-1", ...]`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from botocore.exceptions import ClientError

from local_sagemaker.s3io import DataError, _relative_key, list_objects, split_s3_uri


@dataclass(frozen=True)
class InputObject:
    bucket: str
    key: str
    relative: str  # the output object is <S3OutputPath>/<relative>.out

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def input_objects(s3: Any, data_type: str, uri: str) -> list[InputObject]:
    if data_type == "ManifestFile":
        return _manifest_objects(s3, uri)
    bucket, prefix = split_s3_uri(uri)
    keys = list_objects(s3, uri)
    if not keys:
        raise DataError(f"No S3 objects found under {uri} (TransformInput.DataSource.S3DataSource.S3Uri)")
    return [InputObject(bucket, key, _relative_key(prefix, key)) for key in keys]


def _manifest_objects(s3: Any, uri: str) -> list[InputObject]:
    bucket, key = split_s3_uri(uri)
    try:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as exc:
        raise DataError(f"Unable to read the manifest {uri}: {exc.response['Error'].get('Code')}") from exc
    except ValueError as exc:
        raise DataError(f"The manifest {uri} is not JSON ({exc})") from exc
    shape = '[{"prefix": "s3://bucket/prefix/"}, "relative/key", ...]'
    if (
        not isinstance(manifest, list)
        or not manifest
        or not isinstance(manifest[0], dict)
        or not isinstance(manifest[0].get("prefix"), str)
        or not all(isinstance(entry, str) and entry for entry in manifest[1:])
    ):
        raise DataError(f"The manifest {uri} must be a JSON array {shape}")
    base_bucket, base_prefix = split_s3_uri(manifest[0]["prefix"])
    if len(manifest) == 1:
        raise DataError(f"The manifest {uri} lists no objects after its prefix")
    objects = []
    for entry in manifest[1:]:
        if entry.startswith("/") or ".." in PurePosixPath(entry).parts:
            raise DataError(f"The manifest {uri} entry {entry!r} must be a key relative to its prefix")
        objects.append(InputObject(base_bucket, base_prefix + entry, entry))
    return objects
