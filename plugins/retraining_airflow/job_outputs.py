"""What a finished SageMaker job left in S3: whether it is still there, and reading it with a clear failure."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

_MISSING = ("404", "NoSuchKey", "NotFound")


def s3_uri_exists(s3: Any, uri: str) -> bool:
    """An object at the URI, or (for a prefix a job wrote into) at least one object under it."""
    bucket, _, key = uri[len("s3://") :].partition("/")
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] not in _MISSING:
            raise
    answer = s3.list_objects_v2(Bucket=bucket, Prefix=key.rstrip("/") + "/", MaxKeys=1)
    return bool(answer.get("KeyCount"))


def read_job_output(uri: str, job: str, aws_conn_id: str) -> str:
    """The object a completed job wrote; if it is gone, fail the task at once (no retry can bring it back)
    with the object, the job that should have written it, and what to do."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from airflow.sdk.exceptions import AirflowFailException

    bucket, key = S3Hook.parse_s3_url(uri)
    try:
        return str(S3Hook(aws_conn_id=aws_conn_id).read_key(key, bucket_name=bucket))
    except ClientError as error:
        if error.response["Error"]["Code"] not in _MISSING:
            raise
        raise AirflowFailException(
            f"{uri} does not exist, though job {job} should have written it (its outputs were deleted after "
            f"it completed). Retrying this task cannot bring it back: clear the task that runs {job}, which "
            "then starts a new attempt because the completed job's outputs are gone, and this task after it."
        ) from None
