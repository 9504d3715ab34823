"""Every member of an operation's input shape, recursively, as dotted paths from botocore's service model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from botocore.model import ListShape, MapShape, Shape, StructureShape

from local_sagemaker.validation import operation_model

LIST_ITEM = "[]"  # InputDataConfig[].ChannelName: a member of each item of a list
MAP_VALUE = "{}"  # a member of each value of a map


@dataclass(frozen=True)
class Member:
    """One request member: where it sits and what the model says of it."""

    operation: str
    path: str  # e.g. "InputDataConfig[].DataSource.S3DataSource.S3DataType"
    type_name: str  # botocore's type: structure, list, map, string, integer, boolean, ...
    enum: tuple[str, ...]  # the values the model allows, for enum strings
    required: bool

    @property
    def parent(self) -> str:
        return parent_path(self.path)


def parent_path(path: str) -> str:
    """The path of the member this one sits in ('' at the top level)."""
    head, _, _ = path.rpartition(".")
    while head.endswith((LIST_ITEM, MAP_VALUE)):
        head = head[:-2]
    return head


def _containers(shape: Shape, suffix: str = "") -> tuple[StructureShape | None, str]:
    """The structure a member's lists and maps finally hold, and the suffix that reaches it."""
    while isinstance(shape, ListShape | MapShape):
        if isinstance(shape, ListShape):
            shape, suffix = shape.member, suffix + LIST_ITEM
        else:
            shape, suffix = shape.value, suffix + MAP_VALUE
    return (shape if isinstance(shape, StructureShape) else None), suffix


def _walk(operation: str, shape: StructureShape, prefix: str, seen: frozenset[str]) -> Iterator[Member]:
    required = set(shape.required_members)
    for name, member_shape in shape.members.items():
        path = f"{prefix}{name}"
        yield Member(
            operation,
            path,
            member_shape.type_name,
            tuple(getattr(member_shape, "enum", None) or ()),
            name in required,
        )
        inner, suffix = _containers(member_shape)
        # A recursive shape (none in today's supported operations) is walked once along each path.
        if inner is not None and inner.name not in seen:
            yield from _walk(operation, inner, f"{path}{suffix}.", seen | {inner.name})


def input_members(operation: str) -> list[Member]:
    """Every member of the operation's input shape, parents before their members, in model order."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return []
    return list(_walk(operation, shape, "", frozenset({shape.name})))
