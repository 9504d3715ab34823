"""Account service quotas: concurrent instances per job kind and instance type, refused as SageMaker does.

SageMaker's quotas are named "<instance type> for <training|transform|processing> job usage" and count
instances of running jobs (InstanceCount). A create that would go over answers ResourceLimitExceeded
with the wording of the real service, and the caller retries later (the DAGs' task retries do).
"""

from __future__ import annotations

import threading
from typing import Any

from local_sagemaker.errors import ResourceLimitExceeded
from local_sagemaker.jobs import ACTIVE_STATES, JobKind

# The request field that holds each kind's instances, and the quota name's word for the kind.
RESOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "training-job": (("ResourceConfig",), "training job"),
    "transform-job": (("TransformResources",), "transform job"),
    "processing-job": (("ProcessingResources", "ClusterConfig"), "processing job"),
}
ANY_INSTANCE_TYPE = "*"

# Check-and-create must be one step, or two concurrent creates could both take the last instance.
creation_lock = threading.Lock()


def parse_quota(text: str) -> tuple[str, int]:
    """`training-job:ml.m5.xlarge=2` (or `training-job:*=2`) -> ("training-job:ml.m5.xlarge", 2)."""
    key, sep, value = text.partition("=")
    kind, colon, instance_type = key.partition(":")
    if not sep or not colon or kind not in RESOURCES or not instance_type or not value.isdigit():
        raise ValueError(
            f"instance quota {text!r}: write KIND:INSTANCE_TYPE=COUNT with KIND one of {sorted(RESOURCES)}, "
            "e.g. training-job:ml.m5.xlarge=2 (INSTANCE_TYPE * counts every type)"
        )
    return key, int(value)


def instances(kind: str, body: dict[str, Any]) -> tuple[str, int]:
    """(instance type, instance count) a job of this kind asks for."""
    resources: Any = body
    for field in RESOURCES[kind][0]:
        resources = (resources or {}).get(field) or {}
    return str(resources.get("InstanceType", "")), int(resources.get("InstanceCount", 1))


def check(quotas: dict[str, int], kind: JobKind, body: dict[str, Any], running: list[dict[str, Any]]) -> None:
    """Raise ResourceLimitExceeded when `body` would take the running jobs over a quota."""
    if kind.kind not in RESOURCES or not quotas:
        return
    instance_type, requested = instances(kind.kind, body)
    active = [job for job in running if job.get(kind.status_field) in ACTIVE_STATES]
    for quota_type in (instance_type, ANY_INSTANCE_TYPE):
        limit = quotas.get(f"{kind.kind}:{quota_type}")
        if limit is None:
            continue
        in_use = sum(
            instances(kind.kind, job)[1]
            for job in active
            if quota_type == ANY_INSTANCE_TYPE or instances(kind.kind, job)[0] == instance_type
        )
        if in_use + requested > limit:
            label = instance_type if quota_type != ANY_INSTANCE_TYPE else "all instance types"
            raise ResourceLimitExceeded(
                f"The account-level service limit '{label} for {RESOURCES[kind.kind][1]} usage' is {limit} "
                f"Instances, with current utilization of {in_use} Instances and a request delta of "
                f"{requested} Instances. Please use AWS Service Quotas to request an increase for this "
                "quota. If AWS Service Quotas is not available, contact AWS support to request an increase "
                "for this quota."
            )
