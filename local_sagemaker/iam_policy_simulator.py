"""IAM policy evaluation as SimulatePrincipalPolicy does it: identity policies, permissions boundaries, conditions.

Follows "Policy evaluation logic" in the IAM User Guide: an explicit Deny anywhere wins, otherwise an Allow in
the identity policies grants the action, and a permissions boundary (when the principal has one) must allow
it too; everything else is an implicit deny. A condition whose key the simulation has no value for makes its
statement not apply and is reported in `MissingContextValues`, as the real simulator does."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class UnsupportedPolicyFeature(ValueError):
    """A policy uses an element this simulator cannot evaluate; the message names it."""


@dataclass(frozen=True)
class SourcePolicy:
    """One policy document and where it came from (`SourcePolicyType` per the IAM API's `Statement` type)."""

    policy_id: str
    policy_type: str  # user | group | role | aws-managed | user-managed | none
    document: Mapping[str, Any]


ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"


def _wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    # IAM wildcards: `*` any run of characters, `?` any one character; nothing else is special.
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches_any(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(_wildcard(str(p), ignore_case=ignore_case).match(value) for p in _as_list(patterns))


def _string_equals(expected: str, actual: str) -> bool:
    return expected == actual


def _string_equals_ignore_case(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


def _string_like(expected: str, actual: str) -> bool:
    return _wildcard(expected, ignore_case=False).match(actual) is not None


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def check(expected: str, actual: str) -> bool:
        try:
            return compare(float(actual), float(expected))
        except ValueError:
            return False

    return check


def _bool_equals(expected: str, actual: str) -> bool:
    return str(expected).lower() == str(actual).lower()


def _ip_in(expected: str, actual: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


# operator -> (value test, negated). A negated operator holds when no value matches.
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_string_like, False),
    "ArnLike": (_string_like, False),
    "ArnNotEquals": (_string_like, True),
    "ArnNotLike": (_string_like, True),
    "NumericEquals": (_numeric(lambda a, e: a == e), False),
    "NumericNotEquals": (_numeric(lambda a, e: a == e), True),
    "NumericLessThan": (_numeric(lambda a, e: a < e), False),
    "NumericLessThanEquals": (_numeric(lambda a, e: a <= e), False),
    "NumericGreaterThan": (_numeric(lambda a, e: a > e), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, e: a >= e), False),
    "Bool": (_bool_equals, False),
    "IpAddress": (_ip_in, False),
    "NotIpAddress": (_ip_in, True),
}
SUPPORTED_CONDITION_OPERATORS = (*_OPERATORS, "Null")


def _condition_holds(
    operator: str, key: str, expected: Any, context: Mapping[str, Sequence[str]], missing: set[str]
) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base.removesuffix("IfExists")
    actual = context.get(key.lower())
    if base == "Null":
        return (actual is None) == _bool_equals(str(_as_list(expected)[0]), "true")
    if base not in _OPERATORS or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise UnsupportedPolicyFeature(
            f"condition operator {operator!r} is not supported by the local IAM policy simulator; "
            f"supported: {', '.join(SUPPORTED_CONDITION_OPERATORS)} (with IfExists, ForAnyValue:, ForAllValues:)"
        )
    if actual is None:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True  # vacuously true over an empty set, as IAM documents
        missing.add(key)
        return False
    test, negated = _OPERATORS[base]
    expected_values = [str(v) for v in _as_list(expected)]

    def value_matches(value: str) -> bool:
        return any(test(e, value) for e in expected_values)

    if qualifier == "ForAllValues":
        result = all(value_matches(v) for v in actual)
    else:
        result = any(value_matches(v) for v in actual)
    return not result if negated else result


def _statement_applies(
    statement: Mapping[str, Any],
    action: str,
    resource: str,
    context: Mapping[str, Sequence[str]],
    missing: set[str],
) -> bool:
    if "NotPrincipal" in statement or "Principal" in statement:
        return False  # a resource policy statement: it does not grant an identity anything here
    if "NotAction" in statement:
        if _matches_any(statement["NotAction"], action, ignore_case=True):
            return False
    elif not _matches_any(statement.get("Action", []), action, ignore_case=True):
        return False
    if "NotResource" in statement:
        if _matches_any(statement["NotResource"], resource, ignore_case=False):
            return False
    elif not _matches_any(statement.get("Resource", []), resource, ignore_case=False):
        return False
    conditions = statement.get("Condition", {})
    holds = True
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            # Evaluate every condition, so each missing key is reported, not only the first.
            holds = _condition_holds(operator, key, expected, context, missing) and holds
    return holds


def _evaluate(
    policies: Iterable[SourcePolicy],
    action: str,
    resource: str,
    context: Mapping[str, Sequence[str]],
    missing: set[str],
) -> tuple[str, list[dict[str, str]]]:
    allows: list[dict[str, str]] = []
    denies: list[dict[str, str]] = []
    for policy in policies:
        for statement in _as_list(policy.document.get("Statement", [])):
            if not _statement_applies(statement, action, resource, context, missing):
                continue
            matched = {"SourcePolicyId": policy.policy_id, "SourcePolicyType": policy.policy_type}
            (denies if statement.get("Effect") == "Deny" else allows).append(matched)
    if denies:
        return EXPLICIT_DENY, denies
    if allows:
        return ALLOWED, allows
    return IMPLICIT_DENY, []


def simulate(
    identity_policies: Sequence[SourcePolicy],
    boundary_policies: Sequence[SourcePolicy],
    action: str,
    resource: str,
    context: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """One `EvaluationResult` of SimulatePrincipalPolicy for `action` on `resource`.

    `context` maps lower-cased condition keys to their values (IAM condition keys are case-insensitive)."""
    missing: set[str] = set()
    decision, matched = _evaluate(identity_policies, action, resource, context, missing)
    result: dict[str, Any] = {"EvalActionName": action, "EvalResourceName": resource}
    if boundary_policies and decision != EXPLICIT_DENY:
        boundary_decision, boundary_matched = _evaluate(boundary_policies, action, resource, context, missing)
        result["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": boundary_decision == ALLOWED
        }
        if boundary_decision == EXPLICIT_DENY:
            decision, matched = EXPLICIT_DENY, boundary_matched
        elif boundary_decision != ALLOWED and decision == ALLOWED:
            decision, matched = IMPLICIT_DENY, []
    result["EvalDecision"] = decision
    result["MatchedStatements"] = matched
    result["MissingContextValues"] = sorted(missing)
    return result
