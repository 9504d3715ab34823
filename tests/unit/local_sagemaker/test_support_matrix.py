"""The support matrix is complete, true to its tests, enforced through boto3, and published as it is.

Follows the service model botocore ships (`botocore/data/sagemaker/*/service-2.json`): every member of every
supported operation's input shape; the error is SageMaker's `ValidationException` (API reference, "Common Errors").
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_sagemaker import support_matrix
from local_sagemaker.operations import OPERATIONS
from local_sagemaker.support.matrix import classify, rows_by_key
from local_sagemaker.support.members import Member, input_members, parent_path
from local_sagemaker.support.rows import IMPLEMENTED, REJECTED
from local_sagemaker.support.table import ALIASES
from tests.support.model_requests import request_with

REPO = Path(__file__).resolve().parents[3]


def _members() -> list[Member]:
    return [member for operation in sorted(OPERATIONS) for member in input_members(operation)]


def test_every_member_of_every_supported_operation_is_classified() -> None:
    missing = support_matrix.missing_lines()
    assert not missing, (
        f"{len(missing)} request member(s) have no row in local_sagemaker/support/table.py (botocore's model "
        "gained them, or an operation was added). Add one line each, in its operation's section: "
        "implemented(...) with its test, no_local_effect(...) with the reason, or rejected(...) as below "
        "(also printed by: python -m local_sagemaker.support_matrix --missing):\n" + "\n".join(missing)
    )


def test_the_walker_names_nested_members_with_their_list_items_and_enums() -> None:
    members = {member.path: member for member in input_members("CreateTrainingJob")}
    data_type = members["InputDataConfig[].DataSource.S3DataSource.S3DataType"]
    assert data_type.type_name == "string" and "S3Prefix" in data_type.enum and data_type.required
    assert data_type.parent == "InputDataConfig[].DataSource.S3DataSource"
    assert parent_path("InputDataConfig[].ChannelName") == "InputDataConfig"
    assert members["InputDataConfig"].type_name == "list" and members["HyperParameters"].type_name == "map"
    assert len(members) == len(input_members("CreateTrainingJob")), "each path once"


def test_every_row_names_a_member_of_the_model() -> None:
    known = {(member.operation, member.path) for member in _members()}
    stale = [f"{op} {path}" for op, path in rows_by_key() if (op, path) not in known]
    assert not stale, (
        "rows in local_sagemaker/support/table.py name members botocore's model (or OPERATIONS) lacks; "
        "remove or rename them: " + ", ".join(stale)
    )
    by_key = {(member.operation, member.path): member for member in _members()}
    for (op, path), row in rows_by_key().items():
        member = by_key[(op, path)]
        wrong = [v for v in row.values if member.enum and v not in member.enum]
        assert not wrong, f"{op} {path}: supported values {wrong} are not among the model's {member.enum}"
    for (operation, prefix), (source, _) in ALIASES.items():
        assert operation in OPERATIONS and source in OPERATIONS, f"alias {operation} {prefix} -> {source}"


@cache
def _test_names(test_file: Path) -> frozenset[str]:
    tree = ast.parse(test_file.read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}::{f.name}" for f in node.body if isinstance(f, ast.FunctionDef)}
    return frozenset(n for n in names if n.rsplit("::", 1)[-1].startswith("test_"))


def test_every_implemented_row_names_a_test_that_exists() -> None:
    broken = []
    for row in rows_by_key().values():
        if row.status != IMPLEMENTED:
            assert not row.test, f"{row.operation} {row.path}: only implemented rows name a test"
            continue
        file_part, sep, name = row.test.partition("::")
        test_file = REPO / file_part
        if not sep or not test_file.is_file() or name not in _test_names(test_file):
            broken.append(f"{row.operation} {row.path}: {row.test}")
    assert not broken, "implemented rows whose test is not in the tests tree:\n" + "\n".join(broken)


def _outermost_rejected() -> list[Member]:
    chosen = []
    for member in _members():
        row = classify(member.operation, member.path)
        parent = parent_path(member.path)
        enclosing = classify(member.operation, parent) if parent else None
        if row is not None and row.status == REJECTED and (enclosing is None or enclosing.status != REJECTED):
            chosen.append(member)
    return chosen


def _error(call: Any, **request: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**request)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _snake(sagemaker: Any, operation: str) -> str:
    return next(name for name, api in sagemaker.meta.method_to_api_mapping.items() if api == operation)


@pytest.mark.parametrize(
    "member",
    _outermost_rejected(),
    ids=lambda m: f"{m.operation}.{m.path}" if isinstance(m, Member) else None,
)
def test_a_rejected_member_is_refused_naming_it(sagemaker: Any, member: Member) -> None:
    call = getattr(sagemaker, _snake(sagemaker, member.operation))
    code, message = _error(call, **request_with(member.operation, member.path))
    row = classify(member.operation, member.path)
    assert row is not None
    assert code == "ValidationException"
    assert message == f"{member.path} is not supported by the local service: {row.note}"


def _unsupported_value(member: Member) -> Any:
    row = classify(member.operation, member.path)
    assert row is not None and row.values
    if member.enum:
        return next((v for v in member.enum if v not in row.values), None)
    if member.type_name == "boolean":
        return not row.values[0]
    if member.type_name in ("integer", "long"):
        return max(row.values) + 1
    if member.type_name == "string":
        return "application/x-not-supported"
    raise AssertionError(f"{member.operation} {member.path}: no unsupported sample for {member.type_name}")


def _limited_values() -> list[tuple[Member, Any]]:
    cases = []
    for member in _members():
        row = classify(member.operation, member.path)
        if row is None or not row.values or member.type_name in ("structure", "list", "map"):
            continue
        value = _unsupported_value(member)
        if value is not None:
            cases.append((member, value))
    return cases


@pytest.mark.parametrize(
    ("member", "value"),
    _limited_values(),
    ids=lambda m: f"{m.operation}.{m.path}" if isinstance(m, Member) else str(m),
)
def test_an_unsupported_value_is_refused_naming_the_member_and_the_supported_values(
    sagemaker: Any, member: Member, value: Any
) -> None:
    call = getattr(sagemaker, _snake(sagemaker, member.operation))
    code, message = _error(call, **request_with(member.operation, member.path, value))
    assert code == "ValidationException"
    assert message.startswith(f"{member.path} is not supported by the local service with the value ")
    row = classify(member.operation, member.path)
    assert row is not None
    assert message.endswith(
        "supported: " + ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in row.values)
    )


def test_a_request_of_supported_members_only_gets_past_the_matrix(sagemaker: Any) -> None:
    """The generated skeleton itself is not refused: CreateModel then answers as the handler does."""
    request = request_with(
        "CreateModel",
        "PrimaryContainer.Image",
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    )
    request["ModelName"] = "matrix-skeleton-model"
    assert sagemaker.create_model(**request)["ModelArn"].endswith("model/matrix-skeleton-model")
    sagemaker.delete_model(ModelName="matrix-skeleton-model")


def test_the_published_matrix_is_current() -> None:
    committed = (REPO / support_matrix.DOC_PATH).read_text()
    assert committed == support_matrix.render(), (
        f"{support_matrix.DOC_PATH} is out of date with local_sagemaker/support/table.py; "
        "run: .venv/bin/python -m local_sagemaker.support_matrix"
    )
