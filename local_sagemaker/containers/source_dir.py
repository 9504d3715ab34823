"""The user's code: `sagemaker_submit_directory` (an S3 sourcedir.tar.gz) unpacked into /opt/ml/code.

Follows aws/sagemaker-training-toolkit files.download_and_extract: an S3 URI naming a tar.gz is
downloaded and extracted into the code directory, which the entry point then runs from.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from local_sagemaker.s3io import DataError, download_object, split_s3_uri


def fetch_source_directory(
    s3: Any,
    uri: str,
    code_dir: Path,
    scratch: Path,
    field: str = "HyperParameters.sagemaker_submit_directory",
) -> list[str]:
    """Unpack the archive at `uri` into `code_dir`; returns the names of the files it held."""
    if not uri.startswith("s3://"):
        raise DataError(
            f"{field}: {uri!r} is not an S3 URI; upload the source "
            "directory as s3://<bucket>/<prefix>/sourcedir.tar.gz"
        )
    bucket, key = split_s3_uri(uri)
    archive = scratch / "sourcedir.tar.gz"
    download_object(s3, bucket, key, archive)
    code_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            # The "data" filter refuses absolute paths, `..` and links that leave the code directory.
            tar.extractall(code_dir, filter="data")
            return sorted(member.name for member in tar.getmembers() if member.isfile())
    except (tarfile.TarError, OSError) as exc:
        raise DataError(
            f"{field}: {uri} is not a readable tar.gz archive ({exc}); "
            "create it with `tar -czf sourcedir.tar.gz -C <source dir> .`"
        ) from exc
