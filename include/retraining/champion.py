"""Champion selection and registry records: which approved model version a night continues from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

APPROVED = "Approved"


def registry_record(package: dict[str, Any]) -> dict[str, Any]:
    """The facts a night needs from a DescribeModelPackage answer."""
    metadata = package.get("CustomerMetadataProperties") or {}
    container = package["InferenceSpecification"]["Containers"][0]
    return {
        "arn": package["ModelPackageArn"],
        "version": package["ModelPackageVersion"],
        "approval": package["ModelApprovalStatus"],
        "model_data_url": container["ModelDataUrl"],
        "image": container["Image"],
        "data_date": metadata.get("data_date", ""),
        "training_job": metadata.get("training_job", ""),
        "training_mode": metadata.get("training_mode", ""),
        "mse": _number(metadata.get("mse")),
        "champion_mse": _number(metadata.get("champion_mse")),
        "parent_version": metadata.get("parent_version", ""),
        "created": package.get("CreationTime"),
    }


def _number(text: str | None) -> float | None:
    return float(text) if text else None


def choose_champion(records: Iterable[dict[str, Any]], partition_date: str) -> dict[str, Any] | None:
    """The approved version with the latest data date before this partition (highest version on ties).

    Looking only at earlier dates keeps a re-run or a backfill of a past date deterministic: it sees the
    champion that a day-by-day schedule would have seen."""
    earlier = [
        r for r in records if r["approval"] == APPROVED and r["data_date"] and r["data_date"] < partition_date
    ]
    if not earlier:
        return None
    return max(earlier, key=lambda r: (r["data_date"], r["version"]))


def find_registered(records: Iterable[dict[str, Any]], training_job: str) -> dict[str, Any] | None:
    """An earlier registration of the same training job: a re-run must not register it twice."""
    return next((r for r in records if r["training_job"] == training_job), None)
