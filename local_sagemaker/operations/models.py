"""Models: the record that ties a container image to a trained artifact."""

from __future__ import annotations

from typing import Any

from local_sagemaker.errors import ValidationException
from local_sagemaker.operations.context import ServiceContext, now, paginate
from local_sagemaker.operations.model_data import require_model_data

KIND = "model"


def create_model(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ModelName"]
    arn = ctx.arn("model", name)
    containers = params.get("Containers") or []
    primary = params.get("PrimaryContainer")
    if primary is None and len(containers) != 1:
        raise ValidationException(
            "PrimaryContainer: give a PrimaryContainer (or exactly one entry in Containers); "
            "inference pipelines are not supported locally"
        )
    container = primary or containers[0]
    if ctx.store.get(KIND, name) is not None:
        # What SageMaker says for a taken model name (it is not ResourceInUse).
        raise ValidationException(f'Cannot create already existing model "{arn}".')
    if "ModelDataUrl" in container:
        field = "PrimaryContainer.ModelDataUrl" if primary is not None else "Containers[0].ModelDataUrl"
        require_model_data(ctx, container["ModelDataUrl"], field)
    body = {k: v for k, v in params.items() if k != "Tags"}
    body.update(
        {
            "ModelArn": arn,
            "CreationTime": now(),
            "EnableNetworkIsolation": bool(params.get("EnableNetworkIsolation", False)),
        }
    )
    ctx.store.create(KIND, name, arn, body)
    if params.get("Tags"):
        ctx.store.add_tags(arn, params["Tags"])
    return {"ModelArn": arn}


def describe_model(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = ctx.store.get(KIND, params["ModelName"])
    if body is None:
        raise ValidationException(f'Could not find model "{ctx.arn("model", params["ModelName"])}".')
    return body


def delete_model(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    if not ctx.store.delete(KIND, params["ModelName"]):
        raise ValidationException(f'Could not find model "{ctx.arn("model", params["ModelName"])}".')
    return {}


def list_models(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    models = ctx.store.all(KIND)
    if "NameContains" in params:
        models = [m for m in models if params["NameContains"].lower() in m["ModelName"].lower()]
    key = "ModelName" if params.get("SortBy") == "Name" else "CreationTime"
    models.sort(key=lambda m: m[key], reverse=params.get("SortOrder", "Descending") == "Descending")
    page, token = paginate(models, params)
    answer: dict[str, Any] = {
        "Models": [
            {"ModelName": m["ModelName"], "ModelArn": m["ModelArn"], "CreationTime": m["CreationTime"]}
            for m in page
        ]
    }
    if token:
        answer["NextToken"] = token
    return answer


OPERATIONS = {
    "CreateModel": create_model,
    "DescribeModel": describe_model,
    "DeleteModel": delete_model,
    "ListModels": list_models,
}
