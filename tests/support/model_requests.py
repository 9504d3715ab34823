"""Requests built from botocore's SageMaker model: the required members, plus one member the test asks for."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from local_sagemaker.support.matrix import classify
from local_sagemaker.support.members import LIST_ITEM, MAP_VALUE
from local_sagemaker.validation import _compiled, operation_model

# Strings tried, in order, against a member's pattern and length limits.
_CANDIDATES = (
    "local1",
    "s3://bucket/prefix",
    "arn:aws:iam::123456789012:role/SageMakerRole",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/group",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/group/1",
    "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/server",
    "arn:aws:sagemaker:us-east-1:123456789012:training-plan/plan-with-a-name-long-enough",
    "arn:aws:sagemaker:us-east-1:123456789012:hub-content/hub/Model/model",
    "arn:aws:sagemaker:us-east-1:123456789012:hub-content/hub/DataSet/data",
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    "fs-0123456789",
    "sha256:" + "0" * 64,
    "/opt/ml/x",
    "1.0.0",
    "12K",
    "a/b",
    "x",
)


def _string(shape: Shape, path: str) -> str:
    meta = shape.metadata
    pattern = _compiled(meta["pattern"]) if "pattern" in meta else None
    for candidate in _CANDIDATES:
        if meta.get("min", 0) <= len(candidate) <= meta.get("max", 10**6) and (
            pattern is None or pattern.fullmatch(candidate)
        ):
            return candidate
    raise AssertionError(f"no candidate string fits {path} ({meta.get('pattern')}); add one to _CANDIDATES")


def _scalar(operation: str, shape: Shape, path: str) -> Any:
    row = classify(operation, path)
    supported = row.values if row is not None else ()
    if supported and not isinstance(supported[0], dict | list):
        return supported[0]
    enum = getattr(shape, "enum", None)
    if enum:
        return enum[0]
    kind = shape.type_name
    if kind == "string":
        return _string(shape, path)
    if kind == "boolean":
        return False
    if kind in ("integer", "long"):
        return max(int(shape.metadata.get("min", 1)), 1)
    if kind in ("float", "double"):
        return float(shape.metadata.get("min", 1.0)) or 1.0
    if kind == "timestamp":
        return datetime.now(UTC)
    raise AssertionError(f"{path}: no sample value for type {kind}")


def sample(operation: str, shape: Shape, path: str, non_empty: bool = False) -> Any:
    """A value for the member at `path` holding just its required members (some member if `non_empty`)."""
    prefix = f"{path}." if path else ""
    if isinstance(shape, StructureShape):
        names = list(shape.required_members) or (list(shape.members)[:1] if non_empty else [])
        return {name: sample(operation, shape.members[name], prefix + name) for name in names}
    if isinstance(shape, ListShape):
        return [sample(operation, shape.member, path + LIST_ITEM, non_empty=True)]
    if isinstance(shape, MapShape):
        key = _string(shape.key, f"{path} (key)")
        return {key: sample(operation, shape.value, path + MAP_VALUE, non_empty=True)}
    return _scalar(operation, shape, path)


_STEP = re.compile(r"([^.\[\]{}]+)((?:\[\]|\{\})*)")


def request_with(operation: str, path: str, value: Any = None) -> dict[str, Any]:
    """The operation's required members plus the member at `path` (a sample of it unless `value` is given)."""
    shape = operation_model(operation).input_shape
    request: dict[str, Any] = sample(operation, shape, "")
    holder: Any = request
    here = ""
    steps = _STEP.findall(path)
    for i, (name, containers) in enumerate(steps):
        assert isinstance(shape, StructureShape), f"{path}: {here} is not a structure"
        shape = shape.members[name]
        here = f"{here}.{name}" if here else name
        last = i == len(steps) - 1
        if last and not containers:
            holder[name] = value if value is not None else sample(operation, shape, here, non_empty=True)
            return request
        holder.setdefault(name, sample(operation, shape, here, non_empty=True))
        holder = holder[name]
        for marker in re.findall(r"\[\]|\{\}", containers):
            here += marker
            if marker == LIST_ITEM:
                assert isinstance(shape, ListShape)
                shape, holder = shape.member, holder[0]
            else:
                assert isinstance(shape, MapShape)
                shape, holder = shape.value, next(iter(holder.values()))
    raise AssertionError(f"{path} does not end at a member")
