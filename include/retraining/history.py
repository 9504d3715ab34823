"""Model history: every version of a model package group as registry records, oldest first.

Takes any boto3 SageMaker client, so the demo, the benchmark and the Airflow plugin read it the same way."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from retraining.champion import registry_record


def read_group(client: Any, group: str, approval: str | None = None) -> list[dict[str, Any]]:
    """Every version of `group` (optionally of one approval status), oldest first; [] when there is no group."""
    listing: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "SortBy": "CreationTime",
        "SortOrder": "Ascending",
    }
    if approval:
        listing["ModelApprovalStatus"] = approval
    records = []
    try:
        # 100 is ListModelPackages' largest page: a 1,000-version group is 10 list calls, not 100.
        pages = client.get_paginator("list_model_packages").paginate(
            **listing, PaginationConfig={"PageSize": 100}
        )
        for page in pages:
            for summary in page["ModelPackageSummaryList"]:
                package = client.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
                records.append(registry_record(package))
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationException" and "does not exist" in str(error):
            return []  # no group yet: the very first night
        raise
    return sorted(records, key=lambda r: r["version"])


HISTORY_COLUMNS = ["data date", "version", "training", "MSE", "champion MSE", "status"]


def history_rows(records: list[dict[str, Any]]) -> list[list[str]]:
    """One printable row per version: what the model history table and page show."""
    rows = []
    for r in sorted(records, key=lambda r: r["version"]):
        rows.append(
            [
                r["data_date"] or "-",
                str(r["version"]),
                r["training_mode"] or "-",
                "-" if r["mse"] is None else f"{r['mse']:.4f}",
                "-" if r.get("champion_mse") is None else f"{r['champion_mse']:.4f}",
                r["approval"],
            ]
        )
    return rows
