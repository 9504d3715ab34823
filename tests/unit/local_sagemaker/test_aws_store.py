"""The local AWS endpoint's S3 and CloudWatch Logs, through boto3, keep everything across SIGKILL and restart.

Follows the Amazon S3 API Reference (PutObject, multipart upload, ListObjectsV2, CopyObject, GetObject
Range, DeleteObjects, presigned URLs) and the CloudWatch Logs API Reference (PutLogEvents, GetLogEvents)."""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from local_sagemaker.stack import StackConfig, start_aws, stop_service
from tests.conftest import free_port

BUCKET = "durable-store"


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    """An AWS endpoint of this module's own, so restarting it disturbs no other test."""
    cfg = StackConfig(
        base_dir=tmp_path_factory.mktemp("aws-store"), s3_port=free_port(), sagemaker_port=free_port()
    )
    start_aws(cfg)
    yield cfg
    stop_service(cfg, "aws")


def client(cfg: StackConfig, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=cfg.s3_url,
        region_name=cfg.region,
        aws_access_key_id=cfg.access_key_id,
        aws_secret_access_key=cfg.secret_access_key,
        config=Config(retries={"mode": "standard", "max_attempts": 10}),
    )


@pytest.fixture(scope="module")
def s3(aws: StackConfig) -> Any:
    s3 = client(aws, "s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


def test_multipart_upload_of_100_mb_streams_and_reads_back(s3: Any, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with source.open("wb") as out:
        for _ in range(100):
            out.write(os.urandom(1024 * 1024))
    config = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)
    s3.upload_file(str(source), BUCKET, "big/object.bin", Config=config)

    head = s3.head_object(Bucket=BUCKET, Key="big/object.bin")
    assert head["ContentLength"] == 100 * 1024 * 1024
    # A multipart ETag is the MD5 of the parts' MD5s, then "-<parts>": 100 MB in 8 MB parts is 13 parts.
    assert head["ETag"].endswith('-13"')
    copy = tmp_path / "back.bin"
    s3.download_file(BUCKET, "big/object.bin", str(copy), Config=config)
    assert copy.read_bytes() == source.read_bytes()


def test_list_objects_v2_paginates_past_1000_keys_and_rolls_up_prefixes(s3: Any) -> None:
    keys = [f"many/{i:05d}.csv" for i in range(1100)] + ["many/sub/a", "many/sub/b"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=BUCKET, Key=key, Body=b"x"), keys))

    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="many/"))
    assert [page["KeyCount"] for page in pages] == [1000, 102]
    assert [o["Key"] for page in pages for o in page["Contents"]] == sorted(keys)

    rolled = s3.list_objects_v2(Bucket=BUCKET, Prefix="many/", Delimiter="/", StartAfter="many/01098.csv")
    assert [o["Key"] for o in rolled["Contents"]] == ["many/01099.csv"]
    assert rolled["CommonPrefixes"] == [{"Prefix": "many/sub/"}]

    answer = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": key} for key in keys[:1000]]})
    assert len(answer["Deleted"]) == 1000
    left = s3.list_objects_v2(Bucket=BUCKET, Prefix="many/")
    assert left["KeyCount"] == 102 and not left["IsTruncated"]


def test_copy_range_get_presigned_get_and_errors(s3: Any) -> None:
    s3.put_object(
        Bucket=BUCKET, Key="dir/src.txt", Body=b"0123456789", Metadata={"night": "1"}, ContentType="text/csv"
    )
    s3.copy_object(Bucket=BUCKET, Key="dir/copy.txt", CopySource={"Bucket": BUCKET, "Key": "dir/src.txt"})
    copied = s3.get_object(Bucket=BUCKET, Key="dir/copy.txt")
    assert copied["Body"].read() == b"0123456789"
    assert copied["Metadata"] == {"night": "1"} and copied["ContentType"] == "text/csv"

    ranged = s3.get_object(Bucket=BUCKET, Key="dir/src.txt", Range="bytes=2-5")
    assert ranged["Body"].read() == b"2345" and ranged["ContentRange"] == "bytes 2-5/10"
    assert s3.get_object(Bucket=BUCKET, Key="dir/src.txt", Range="bytes=-3")["Body"].read() == b"789"

    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "dir/src.txt"}, ExpiresIn=60
    )
    with urllib.request.urlopen(url) as answer:
        assert answer.read() == b"0123456789"
    expired = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "dir/src.txt"}, ExpiresIn=-10
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(expired)
    assert refused.value.code == 403

    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=BUCKET, Key="dir/nothing")
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as unsupported:
        s3.put_object_tagging(
            Bucket=BUCKET, Key="dir/src.txt", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}
        )
    assert "tagging" in unsupported.value.response["Error"]["Message"]


def test_objects_and_log_events_survive_sigkill_and_an_unfinished_upload_stays_invisible(
    aws: StackConfig, s3: Any
) -> None:
    logs = client(aws, "logs")
    now = int(time.time() * 1000)
    logs.create_log_group(logGroupName="/aws/sagemaker/TrainingJobs")
    logs.create_log_stream(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName="night-1/algo-1")
    logs.put_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName="night-1/algo-1",
        logEvents=[{"timestamp": now + i, "message": f"[{i}] train-rmse:0.{i}"} for i in range(3)],
    )
    s3.put_object(Bucket=BUCKET, Key="night-1/model.tar.gz", Body=b"champion")
    started = s3.create_multipart_upload(Bucket=BUCKET, Key="night-1/half.bin")
    s3.upload_part(
        Bucket=BUCKET, Key="night-1/half.bin", UploadId=started["UploadId"], PartNumber=1, Body=b"p" * 1024
    )

    stop_service(aws, "aws", signal.SIGKILL)
    start_aws(aws)

    assert s3.get_object(Bucket=BUCKET, Key="night-1/model.tar.gz")["Body"].read() == b"champion"
    with pytest.raises(ClientError) as half:
        s3.head_object(Bucket=BUCKET, Key="night-1/half.bin")
    assert half.value.response["Error"]["Code"] == "404"
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamName="night-1/algo-1", startFromHead=True
    )["events"]
    assert [e["message"] for e in events] == [f"[{i}] train-rmse:0.{i}" for i in range(3)]
