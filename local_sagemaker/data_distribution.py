"""S3DataDistributionType for jobs with several hosts: every object for each host, or a share of them.

AWS API reference, S3DataSource: with FullyReplicated every instance gets the whole dataset; with
ShardedByS3Key "each instance gets approximately 1/n of the number of S3 objects", and with more
instances than objects some instances get none. AWS does not say which objects go where: locally the
objects, in key order, are dealt to the hosts in turn (algo-1 the 1st, algo-2 the 2nd, ...), so shares
differ by at most one object and the split is the same every run.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from local_sagemaker.s3io import download_keys, listed_objects

FULLY_REPLICATED = "FullyReplicated"
SHARDED_BY_S3_KEY = "ShardedByS3Key"


def share(keys: list[str], distribution: str, host_index: int, host_count: int) -> list[str]:
    """The keys host number `host_index` (0-based) of `host_count` receives."""
    ordered = sorted(keys)
    if distribution != SHARDED_BY_S3_KEY or host_count == 1:
        return ordered
    return ordered[host_index::host_count]


def download_for_hosts(s3: Any, uri: str, distribution: str, destinations: list[Path]) -> list[list[Path]]:
    """Each host's files of one channel, downloaded once: replicas are local copies of the first host's."""
    keys = listed_objects(s3, uri)
    if distribution != SHARDED_BY_S3_KEY:
        first = download_keys(s3, uri, keys, destinations[0])
        copies = [first]
        for destination in destinations[1:]:
            shutil.copytree(destinations[0], destination, dirs_exist_ok=True)
            copies.append([destination / path.relative_to(destinations[0]) for path in first])
        return copies
    return [
        download_keys(s3, uri, share(keys, distribution, index, len(destinations)), destination)
        for index, destination in enumerate(destinations)
    ]
