"""The JSONPath subset batch transform's InputFilter and OutputFilter accept, applied to one record.

The operators and their meaning follow "Supported JSONPath Operators" in
https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html: `$`, `.name`, `*`,
`['a','b']`, `[1,3,-1]` and the slice `[start:end]`, whose end SageMaker includes (`$[1:4]` is the second
through fifth columns). One bracket may mix indexes and slices (`$[0,5:]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_INDEX = re.compile(r"-?[0-9]+")
_SLICE = re.compile(r"(-?[0-9]+)?:(-?[0-9]+)?")
_OPERATORS = (
    "$, .name, .*, ['name','name'], [index,index] (negative from the end) and [start:end] (end included)"
)


class JsonPathError(ValueError):
    """A record the expression cannot select from (a missing key, an index out of range)."""


@dataclass(frozen=True)
class _Child:
    name: str


@dataclass(frozen=True)
class _Children:
    names: tuple[str, ...]


@dataclass(frozen=True)
class _Wildcard:
    pass


@dataclass(frozen=True)
class _Elements:
    # each item: an index (int), or a (start, end) slice with None for an omitted end
    items: tuple[int | tuple[int | None, int | None], ...]

    @property
    def single(self) -> bool:
        return len(self.items) == 1 and isinstance(self.items[0], int)


_Step = _Child | _Children | _Wildcard | _Elements


@lru_cache(maxsize=64)
def parse(expression: str) -> tuple[_Step, ...]:
    """The steps of `expression`; ValueError naming what is wrong and the supported operators."""
    if not expression.startswith("$"):
        raise ValueError(f"{expression!r} must start with $ (supported: {_OPERATORS})")
    steps: list[_Step] = []
    rest = expression[1:]
    while rest:
        if rest.startswith(".*"):
            steps.append(_Wildcard())
            rest = rest[2:]
        elif rest.startswith(".") and (name := _NAME.match(rest, 1)):
            steps.append(_Child(name.group()))
            rest = rest[name.end() :]
        elif rest.startswith(".["):  # `$.field1.['a','b']`, as the documentation writes it
            rest = rest[1:]
        elif rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                raise ValueError(f"{expression!r}: a '[' is never closed")
            steps.append(_bracket(rest[1:end].strip(), expression))
            rest = rest[end + 1 :]
        else:
            raise ValueError(f"{expression!r}: cannot read {rest!r} (supported: {_OPERATORS})")
    return tuple(steps)


def _bracket(content: str, expression: str) -> _Step:
    parts = [part.strip() for part in content.split(",")]
    if parts == ["*"]:
        return _Wildcard()
    if all(len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"" for part in parts):
        names = tuple(part[1:-1] for part in parts)
        if any("." in name or "[" in name for name in names):
            raise ValueError(f"{expression!r}: names in brackets cannot hold nested children")
        return _Child(names[0]) if len(names) == 1 else _Children(names)
    items: list[int | tuple[int | None, int | None]] = []
    for part in parts:
        if _INDEX.fullmatch(part):
            items.append(int(part))
        elif match := _SLICE.fullmatch(part):
            start, end = match.groups()
            items.append((None if start is None else int(start), None if end is None else int(end)))
        else:
            raise ValueError(
                f"{expression!r}: {part!r} is not an index, a slice or a quoted name ({_OPERATORS})"
            )
    return _Elements(tuple(items))


def select(expression: str, record: Any) -> Any:
    """The part of `record` (a JSON value; a CSV row is a list of cells) that `expression` selects."""
    value = record
    for step in parse(expression):
        value = _apply(step, value, expression)
    return value


def _apply(step: _Step, value: Any, expression: str) -> Any:
    if isinstance(step, _Child):
        if not isinstance(value, dict) or step.name not in value:
            raise JsonPathError(f"{expression}: the record has no attribute {step.name!r}")
        return value[step.name]
    if isinstance(step, _Children):
        if not isinstance(value, dict):
            raise JsonPathError(f"{expression}: the record is not a JSON object")
        missing = [name for name in step.names if name not in value]
        if missing:
            raise JsonPathError(f"{expression}: the record has no attribute {missing[0]!r}")
        return {name: value[name] for name in step.names}
    if isinstance(step, _Wildcard):
        return list(value.values()) if isinstance(value, dict) else value
    if not isinstance(value, list):
        raise JsonPathError(f"{expression}: indexes apply to arrays (or CSV rows), the record is not one")
    chosen: list[Any] = []
    size = len(value)
    for item in step.items:
        if isinstance(item, int):
            chosen.append(value[_position(item, size, expression)])
            continue
        start = 0 if item[0] is None else _position(item[0], size, expression)
        end = size - 1 if item[1] is None else _position(item[1], size, expression)
        chosen.extend(value[start : end + 1])
    return chosen[0] if step.single else chosen


def _position(index: int, size: int, expression: str) -> int:
    position = index + size if index < 0 else index
    if not 0 <= position < size:
        raise JsonPathError(f"{expression}: index {index} is outside the record's {size} elements")
    return position
