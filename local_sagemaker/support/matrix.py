"""Looking members up in the support table, and refusing what a client request asks for but the service lacks."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from local_sagemaker.errors import ValidationException
from local_sagemaker.support.members import LIST_ITEM, MAP_VALUE, parent_path
from local_sagemaker.support.rows import REJECTED, Row
from local_sagemaker.support.table import ALIASES, ROWS
from local_sagemaker.validation import operation_model


@functools.cache
def rows_by_key() -> dict[tuple[str, str], Row]:
    """Every row by (operation, path); a duplicate is a mistake in the table."""
    rows: dict[tuple[str, str], Row] = {}
    for row in ROWS:
        if row.key in rows:
            raise ValueError(f"support table: {row.operation} {row.path} has two rows; keep one")
        rows[row.key] = row
    return rows


def own_row(operation: str, path: str) -> Row | None:
    rows = rows_by_key()
    if (row := rows.get((operation, path))) is not None:
        return row
    for (alias_operation, prefix), (source_operation, source_prefix) in ALIASES.items():
        if alias_operation == operation and path.startswith(prefix):
            return rows.get((source_operation, source_prefix + path[len(prefix) :]))
    return None


def classify(operation: str, path: str) -> Row | None:
    """The row that speaks for a member: its own, or the nearest enclosing row that covers its members."""
    if (row := own_row(operation, path)) is not None:
        return row
    parent = parent_path(path)
    while parent:
        enclosing = own_row(operation, parent)
        if enclosing is not None:
            return enclosing if enclosing.covers_members else None
        parent = parent_path(parent)
    return None


def _given(value: Any) -> bool:
    # An empty map or list asks for nothing (the DAGs send "Environment": {}).
    return value is not None and value != {} and value != []


def _present(shape: StructureShape, params: dict[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    """(model path, value) of every member a request gives, outermost first."""
    for name, value in params.items():
        member = shape.members.get(name)
        if member is None:
            continue  # unknown members are refused by validate_request before this runs
        path = f"{prefix}{name}"
        yield path, value
        yield from _inside(member, value, path)


def _inside(shape: Shape, value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        yield from _present(shape, value, f"{path}.")
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for item in value:
            yield from _inside(shape.member, item, path + LIST_ITEM)
    elif isinstance(shape, MapShape) and isinstance(value, dict) and isinstance(shape.value, StructureShape):
        for item in value.values():
            yield from _inside(shape.value, item, path + MAP_VALUE)


def _shown(values: tuple[Any, ...]) -> str:
    return ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)


def refuse_unsupported(operation: str, params: dict[str, Any]) -> None:
    """Raise ValidationException for the first member (or value) of a client request the service lacks."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return
    for path, value in _present(shape, params, ""):
        row = classify(operation, path)
        if row is None:
            raise ValidationException(
                f"{path} is not supported by the local service: the support matrix does not classify it "
                "(botocore's model is newer than the service)"
            )
        if row.status == REJECTED and _given(value):
            raise ValidationException(f"{path} is not supported by the local service: {row.note}")
        if row.values and not isinstance(value, dict | list) and value not in row.values:
            shown = _shown((value,))
            raise ValidationException(
                f"{path} is not supported by the local service with the value {shown}: "
                f"{row.note or 'not implemented locally'}; supported: {_shown(row.values)}"
            )
