"""The model registry: model package groups and their numbered, approvable model package versions."""

from __future__ import annotations

from typing import Any

from local_sagemaker.errors import ConflictException, ValidationException
from local_sagemaker.operations.context import ServiceContext, now, paginate
from local_sagemaker.operations.model_data import require_package_model_data

GROUP = "model-package-group"
PACKAGE = "model-package"

_PACKAGE_SUMMARY = (
    "ModelPackageName",
    "ModelPackageGroupName",
    "ModelPackageVersion",
    "ModelPackageArn",
    "ModelPackageDescription",
    "CreationTime",
    "ModelPackageStatus",
    "ModelApprovalStatus",
)


def _by_name_or_arn(ctx: ServiceContext, kind: str, name_or_arn: str) -> dict[str, Any] | None:
    if name_or_arn.startswith("arn:"):
        # ARNs are lower-cased: look the ARN up, not the name in it, so any group name resolves.
        return ctx.store.get_by_arn(kind, name_or_arn.lower())
    return ctx.store.get(kind, name_or_arn)


def _group_or_error(ctx: ServiceContext, name_or_arn: str) -> dict[str, Any]:
    group = _by_name_or_arn(ctx, GROUP, name_or_arn)
    if group is None:
        raise ValidationException(f"ModelPackageGroup {name_or_arn.rsplit('/', 1)[-1]} does not exist.")
    return group


def _versions_of(ctx: ServiceContext, group_name: str) -> list[dict[str, Any]]:
    # Versions are stored as "<group>/<version>": one key range, whatever else the registry holds.
    return ctx.store.all(PACKAGE, name_prefix=f"{group_name}/")


def create_group(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ModelPackageGroupName"]
    arn = ctx.arn(GROUP, name)
    if ctx.store.get(GROUP, name) is not None:
        # The provider's create-if-missing looks for exactly this message prefix.
        raise ValidationException(f"Model Package Group already exists: {arn}")
    body = {
        "ModelPackageGroupName": name,
        "ModelPackageGroupArn": arn,
        "ModelPackageGroupDescription": params.get("ModelPackageGroupDescription", ""),
        "CreationTime": now(),
        "ModelPackageGroupStatus": "Completed",
    }
    ctx.store.create(GROUP, name, arn, body, runtime={"next_version": 1})
    if params.get("Tags"):
        ctx.store.add_tags(arn, params["Tags"])
    return {"ModelPackageGroupArn": arn}


def describe_group(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return _group_or_error(ctx, params["ModelPackageGroupName"])


def delete_group(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_or_error(ctx, params["ModelPackageGroupName"])
    name = group["ModelPackageGroupName"]
    if _versions_of(ctx, name):
        raise ConflictException(f"Model Package Group {name} still has model packages; delete them first.")
    ctx.store.delete(GROUP, name)
    return {}


def list_groups(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    groups = ctx.store.all(GROUP)
    if "NameContains" in params:
        groups = [g for g in groups if params["NameContains"].lower() in g["ModelPackageGroupName"].lower()]
    key = "ModelPackageGroupName" if params.get("SortBy") == "Name" else "CreationTime"
    groups.sort(key=lambda g: g[key], reverse=params.get("SortOrder", "Ascending") == "Descending")
    page, token = paginate(groups, params)
    answer: dict[str, Any] = {"ModelPackageGroupSummaryList": page}
    if token:
        answer["NextToken"] = token
    return answer


def create_package(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    group_name = params.get("ModelPackageGroupName")
    if not group_name:
        raise ValidationException(
            "ModelPackageGroupName: the local service keeps versioned model packages only; "
            "give the group to register the version in"
        )
    group = _group_or_error(ctx, group_name)
    group_name = group["ModelPackageGroupName"]
    require_package_model_data(ctx, params)  # before a version number is taken: a refused call takes none
    version, is_new = _take_version(ctx, group_name, params.get("ClientToken"))
    key = f"{group_name}/{version}"
    arn = ctx.arn(PACKAGE, key)
    if not is_new:
        return {"ModelPackageArn": arn}  # a retried call: the version its token created
    at = now()
    body = {k: v for k, v in params.items() if k not in ("Tags", "ClientToken")}
    body.update(
        {
            "ModelPackageName": group_name,
            "ModelPackageGroupName": group_name,
            "ModelPackageVersion": version,
            "ModelPackageArn": arn,
            "CreationTime": at,
            "LastModifiedTime": at,
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "CertifyForMarketplace": params.get("CertifyForMarketplace", False),
            "ModelApprovalStatus": params.get("ModelApprovalStatus", "PendingManualApproval"),
        }
    )
    ctx.store.create(PACKAGE, key, arn, body)
    if params.get("Tags"):
        ctx.store.add_tags(arn, params["Tags"])
    return {"ModelPackageArn": arn}


def _take_version(ctx: ServiceContext, group_name: str, client_token: str | None) -> tuple[int, bool]:
    """The next version number, or the one an earlier call with the same ClientToken took (then False)."""
    taken: list[tuple[int, bool]] = []

    def bump(group: dict[str, Any], runtime: dict[str, Any]) -> None:
        # botocore fills ClientToken on every call and keeps it across its retries, so a retried create
        # finds its version here instead of registering the model twice.
        tokens = runtime.setdefault("client_tokens", {})
        if client_token and client_token in tokens:
            taken.append((int(tokens[client_token]), False))
            return
        version = int(runtime.get("next_version", 1))
        runtime["next_version"] = version + 1
        if client_token:
            tokens[client_token] = version
        taken.append((version, True))

    ctx.store.update(GROUP, group_name, bump)
    return taken[0]


def _package_or_error(ctx: ServiceContext, name_or_arn: str) -> dict[str, Any]:
    body = _by_name_or_arn(ctx, PACKAGE, name_or_arn)
    if body is None:
        raise ValidationException(f"ModelPackage {name_or_arn} does not exist.")
    return body


def describe_package(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return _package_or_error(ctx, params["ModelPackageName"])


def list_packages(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    if "ModelPackageGroupName" in params:
        group = _group_or_error(ctx, params["ModelPackageGroupName"])["ModelPackageGroupName"]
        packages = _versions_of(ctx, group)
    else:
        packages = ctx.store.all(PACKAGE)
    if "ModelApprovalStatus" in params:
        packages = [p for p in packages if p["ModelApprovalStatus"] == params["ModelApprovalStatus"]]
    if params.get("ModelPackageType") == "Unversioned":
        packages = []
    if "NameContains" in params:
        packages = [p for p in packages if params["NameContains"].lower() in p["ModelPackageName"].lower()]
    if params.get("SortBy") == "Name":
        packages.sort(key=lambda p: (p["ModelPackageName"], p["ModelPackageVersion"]))
    else:
        packages.sort(key=lambda p: (p["CreationTime"], p["ModelPackageVersion"]))
    if params.get("SortOrder", "Ascending") == "Descending":
        packages.reverse()
    page, token = paginate(packages, params)
    answer: dict[str, Any] = {
        "ModelPackageSummaryList": [{k: p[k] for k in _PACKAGE_SUMMARY if k in p} for p in page]
    }
    if token:
        answer["NextToken"] = token
    return answer


_UPDATABLE = (
    "ModelApprovalStatus",
    "ApprovalDescription",
    "CustomerMetadataProperties",
    "InferenceSpecification",
    "ModelCard",
    "SourceUri",
)


def update_package(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    package = _package_or_error(ctx, params["ModelPackageArn"])
    key = f"{package['ModelPackageGroupName']}/{package['ModelPackageVersion']}"
    unsupported = sorted(set(params) - {"ModelPackageArn", "CustomerMetadataPropertiesToRemove", *_UPDATABLE})
    if unsupported:
        raise ValidationException(
            f"UpdateModelPackage: {', '.join(unsupported)} cannot be updated by the local service"
        )
    require_package_model_data(ctx, params)

    def change(body: dict[str, Any], runtime: dict[str, Any]) -> None:
        for field in _UPDATABLE:
            if field == "CustomerMetadataProperties" and field in params:
                body.setdefault(field, {}).update(params[field])
            elif field in params:
                body[field] = params[field]
        for removed in params.get("CustomerMetadataPropertiesToRemove", []):
            body.get("CustomerMetadataProperties", {}).pop(removed, None)
        body["LastModifiedTime"] = now()

    ctx.store.update(PACKAGE, key, change)
    return {"ModelPackageArn": package["ModelPackageArn"]}


OPERATIONS = {
    "CreateModelPackageGroup": create_group,
    "DescribeModelPackageGroup": describe_group,
    "DeleteModelPackageGroup": delete_group,
    "ListModelPackageGroups": list_groups,
    "CreateModelPackage": create_package,
    "DescribeModelPackage": describe_package,
    "ListModelPackages": list_packages,
    "UpdateModelPackage": update_package,
}
