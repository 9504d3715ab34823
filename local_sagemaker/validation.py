"""Request validation driven by botocore's SageMaker service model: types, required members,
lengths, patterns, enums and ranges, reported the way SageMaker reports them."""

from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

from local_sagemaker.errors import ValidationException

# Java regexes in the model that Python's `re` spells differently.
_JAVA_TO_PYTHON = (
    ("\\p{L}", "a-zA-Z\u00c0-\uffff"),
    ("\\p{Z}", " "),
    ("\\p{N}", "0-9"),
    ("\\p{P}", "!-/:-@\\[-`{-~"),
)
_MAX_REPORTED = 10


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("sagemaker")


def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    for java, python in _JAVA_TO_PYTHON:
        pattern = pattern.replace(java, python)
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None  # an exotic pattern we cannot check is left to the job to fail on


def _location(path: list[str]) -> str:
    return ".".join(p[:1].lower() + p[1:] if not p.isdigit() else p for p in path)


def _constraint_errors(value: Any, shape: Shape, path: list[str], errors: list[str]) -> None:
    meta = shape.metadata
    where = _location(path)
    if isinstance(shape, StructureShape):
        for member, member_shape in shape.members.items():
            if isinstance(value, dict) and member in value:
                _constraint_errors(value[member], member_shape, [*path, member], errors)
        return
    if isinstance(shape, ListShape):
        if isinstance(value, list):
            _length_errors(value, meta, where, errors, "length")
            for i, item in enumerate(value, start=1):
                _constraint_errors(item, shape.member, [*path, str(i), "member"], errors)
        return
    if isinstance(shape, MapShape):
        if isinstance(value, dict):
            _length_errors(value, meta, where, errors, "length")
            for key, item in value.items():
                _constraint_errors(key, shape.key, [*path, "key"], errors)
                _constraint_errors(item, shape.value, [*path, str(key)], errors)
        return
    if shape.type_name == "string" and isinstance(value, str):
        _length_errors(value, meta, where, errors, "length")
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
        pattern = meta.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        # The service anchors model patterns (Java `matches`), so `bad_name` fails `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`.
        if compiled is not None and compiled.fullmatch(value) is None:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )
    elif shape.type_name in ("integer", "long", "float", "double") and isinstance(value, int | float):
        if "min" in meta and value < meta["min"]:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must have value greater than or equal to {meta['min']}"
            )
        if "max" in meta and value > meta["max"]:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {meta['max']}"
            )


def _length_errors(value: Any, meta: dict[str, Any], where: str, errors: list[str], what: str) -> None:
    shown = value if isinstance(value, str) else "[...]"
    if "min" in meta and len(value) < meta["min"]:
        errors.append(
            f"Value '{shown}' at '{where}' failed to satisfy constraint: "
            f"Member must have {what} greater than or equal to {meta['min']}"
        )
    if "max" in meta and len(value) > meta["max"]:
        errors.append(
            f"Value '{shown}' at '{where}' failed to satisfy constraint: "
            f"Member must have {what} less than or equal to {meta['max']}"
        )


def validate_request(operation: str, params: Any) -> None:
    """Raise ValidationException for anything the real service's request validation rejects."""
    op = operation_model(operation)
    shape = op.input_shape
    if shape is None:
        return
    if not isinstance(params, dict):
        raise ValidationException(f"{operation}: the request body must be a JSON object")
    # Type and required-member checks: botocore's own validator, the same one the client runs.
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise ValidationException(report.generate_report())
    unknown = sorted(set(params) - set(shape.members))
    if unknown:
        raise ValidationException(
            f"{operation}: unknown parameter(s) {', '.join(unknown)}; "
            f"valid parameters are {', '.join(shape.members)}"
        )
    errors: list[str] = []
    _constraint_errors(params, shape, [], errors)
    if errors:
        shown = errors[:_MAX_REPORTED]
        noun = "error" if len(errors) == 1 else "errors"
        raise ValidationException(f"{len(errors)} validation {noun} detected: " + "; ".join(shown))
