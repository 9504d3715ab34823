"""Reading the model registry through the provider's hook: the records champion selection works on."""

from __future__ import annotations

from typing import Any

from retraining.champion import APPROVED
from retraining.history import read_group


def group_records(aws_conn_id: str, group: str, approval: str | None = None) -> list[dict[str, Any]]:
    """Every version of `group` (optionally only one approval status) as registry records, oldest first."""
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    return read_group(SageMakerHook(aws_conn_id=aws_conn_id).conn, group, approval)


def approved_records(aws_conn_id: str, group: str) -> list[dict[str, Any]]:
    return group_records(aws_conn_id, group, APPROVED)
