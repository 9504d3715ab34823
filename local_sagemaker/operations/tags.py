"""Tags on any resource the service holds, addressed by ARN."""

from __future__ import annotations

from typing import Any

from local_sagemaker.errors import ValidationException
from local_sagemaker.operations.context import ServiceContext, paginate

MAX_TAGS = 50


def _require_resource(ctx: ServiceContext, arn: str) -> None:
    if not ctx.store.exists_arn(arn):
        raise ValidationException(f"Requested resource not found. (no resource with ARN {arn!r})")


def add_tags(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ResourceArn"]
    _require_resource(ctx, arn)
    existing = {t["Key"] for t in ctx.store.tags(arn)}
    if len(existing | {t["Key"] for t in params["Tags"]}) > MAX_TAGS:
        raise ValidationException(f"Tags: a resource can have at most {MAX_TAGS} tags")
    ctx.store.add_tags(arn, params["Tags"])
    return {"Tags": ctx.store.tags(arn)}


def list_tags(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ResourceArn"]
    _require_resource(ctx, arn)
    page, token = paginate(ctx.store.tags(arn), params, default_max=50)
    answer: dict[str, Any] = {"Tags": page}
    if token:
        answer["NextToken"] = token
    return answer


def delete_tags(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ResourceArn"]
    _require_resource(ctx, arn)
    ctx.store.delete_tags(arn, params["TagKeys"])
    return {}


OPERATIONS = {"AddTags": add_tags, "ListTags": list_tags, "DeleteTags": delete_tags}
