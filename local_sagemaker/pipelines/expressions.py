"""The definition's expressions evaluated: `Get` references, `Std:Join`, `Std:JsonGet` and conditions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

_PATH_TOKEN = re.compile(r"\.?([A-Za-z0-9_\-:]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


class ExpressionError(Exception):
    """An expression that cannot be evaluated; the message names it and why (it fails the step)."""


@dataclass(frozen=True)
class PropertyFileRef:
    """`Steps.<step>.PropertyFiles.<name>`: a JSON file one of a processing step's outputs wrote."""

    step: str
    name: str


class Scope(Protocol):
    """What an execution knows when it evaluates an expression."""

    parameters: dict[str, Any]
    variables: dict[str, Any]

    def step_properties(self, step: str) -> dict[str, Any]: ...

    def read_property_file(self, ref: PropertyFileRef) -> Any: ...

    def read_json(self, s3_uri: str) -> Any: ...


def to_text(value: Any) -> str:
    """How SageMaker renders a value inside a string (Std:Join, hyperparameters)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def walk_path(root: Any, path: str, where: str) -> Any:
    """Follow `A.B['key'][0].C` into a Describe answer; a list indexed by a string finds the member named so
    (`Outputs['train']` is the output whose OutputName is "train")."""
    node = root
    position = 0
    while position < len(path):
        match = _PATH_TOKEN.match(path, position)
        if match is None:
            raise ExpressionError(f"{where}: cannot read the property path {path!r} at {path[position:]!r}")
        position = match.end()
        attribute, index, key1, key2 = match.groups()
        key = key1 if key1 is not None else key2
        if attribute is not None:
            if not isinstance(node, dict) or attribute not in node:
                raise ExpressionError(f"{where}: the property {attribute!r} of {path!r} is not set")
            node = node[attribute]
        elif index is not None:
            if not isinstance(node, list) or int(index) >= len(node):
                raise ExpressionError(f"{where}: {path!r} has no item {index}")
            node = node[int(index)]
        elif isinstance(node, dict):
            if key not in node:
                raise ExpressionError(f"{where}: {path!r} has no key {key!r}")
            node = node[key]
        elif isinstance(node, list):
            named = [
                item
                for item in node
                if isinstance(item, dict) and any(k.endswith("Name") and v == key for k, v in item.items())
            ]
            if not named:
                raise ExpressionError(f"{where}: {path!r} has no member named {key!r}")
            node = named[0]
        else:
            raise ExpressionError(f"{where}: {path!r} cannot be indexed at {key!r}")
    return node


def evaluate(value: Any, scope: Scope, where: str) -> Any:
    """`value` with every expression in it replaced by what it stands for in this execution."""
    if isinstance(value, list):
        return [evaluate(item, scope, where) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Get" and isinstance(inner, str):
            return _get(inner, scope, where)
        if key == "Std:Join":
            separator = to_text(evaluate(inner.get("On", ""), scope, where))
            return separator.join(to_text(evaluate(v, scope, where)) for v in inner.get("Values", []))
        if key == "Std:JsonGet":
            return _json_get(inner, scope, where)
    return {k: evaluate(v, scope, where) for k, v in value.items()}


def _get(reference: str, scope: Scope, where: str) -> Any:
    head, _, rest = reference.partition(".")
    if head == "Parameters":
        if rest not in scope.parameters:
            raise ExpressionError(f"{where}: no parameter {rest!r}")
        return scope.parameters[rest]
    if head == "Execution":
        if rest not in scope.variables:
            raise ExpressionError(f"{where}: no execution variable {rest!r}")
        return scope.variables[rest]
    if head == "Steps":
        step, _, path = rest.partition(".")
        if path.startswith("PropertyFiles."):
            return PropertyFileRef(step, path.split(".", 1)[1])
        properties = scope.step_properties(step)
        return walk_path(properties, path, f"{where} ({reference})") if path else properties
    raise ExpressionError(f"{where}: {reference!r} is not a Parameters, Execution or Steps reference")


def _json_get(spec: dict[str, Any], scope: Scope, where: str) -> Any:
    path = to_text(evaluate(spec.get("Path", ""), scope, where))
    if "PropertyFile" in spec:
        ref = evaluate(spec["PropertyFile"], scope, where)
        if isinstance(ref, str):  # older definitions name the file directly, with the step in StepName
            ref = PropertyFileRef(spec.get("StepName", ""), ref)
        if not isinstance(ref, PropertyFileRef):
            raise ExpressionError(f"{where}: Std:JsonGet.PropertyFile must refer to a step's property file")
        document = scope.read_property_file(ref)
    elif "S3Uri" in spec:
        document = scope.read_json(to_text(evaluate(spec["S3Uri"], scope, where)))
    else:
        raise ExpressionError(f"{where}: Std:JsonGet needs a PropertyFile or an S3Uri")
    return walk_path(document, path, f"{where} (Std:JsonGet {path!r})")


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqualTo": lambda a, b: a >= b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqualTo": lambda a, b: a <= b,
}
CONDITION_TYPES = (*_COMPARISONS, "In", "Not", "Or")


def _comparable(left: Any, right: Any, where: str) -> tuple[Any, Any]:
    """Numbers compare as numbers (a JSON value read as text included); other values must be of one type."""
    numbers = (int, float)
    if isinstance(left, numbers) and not isinstance(left, bool) and isinstance(right, str):
        right = _number(right, where)
    elif isinstance(right, numbers) and not isinstance(right, bool) and isinstance(left, str):
        left = _number(left, where)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return left, right
    if type(left) is not type(right):
        raise ExpressionError(f"{where}: cannot compare {left!r} with {right!r}")
    return left, right


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise ExpressionError(f"{where}: {text!r} is not a number to compare with") from exc


def condition_holds(condition: dict[str, Any], scope: Scope, where: str) -> bool:
    kind = condition.get("Type")
    if kind in _COMPARISONS:
        left = evaluate(condition.get("LeftValue"), scope, where)
        right = evaluate(condition.get("RightValue"), scope, where)
        left, right = _comparable(left, right, f"{where} ({kind})")
        try:
            return _COMPARISONS[kind](left, right)
        except TypeError as exc:
            raise ExpressionError(f"{where}: {kind} cannot compare {left!r} with {right!r}") from exc
    if kind == "In":
        query = evaluate(condition.get("QueryValue"), scope, where)
        values = [evaluate(v, scope, where) for v in condition.get("Values", [])]
        return any(_safe_equal(query, v, where) for v in values)
    if kind == "Not":
        return not condition_holds(condition["Condition"], scope, where)
    if kind == "Or":
        return any(condition_holds(c, scope, where) for c in condition.get("Conditions", []))
    raise ExpressionError(f"{where}: condition Type {kind!r} is not one of {', '.join(CONDITION_TYPES)}")


def _safe_equal(left: Any, right: Any, where: str) -> bool:
    try:
        a, b = _comparable(left, right, where)
    except ExpressionError:
        return False
    return bool(a == b)
