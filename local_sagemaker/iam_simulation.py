"""IAM SimulatePrincipalPolicy for the local stack's moto, which lacks it (it answers 500).

The SageMaker Python SDK v3 checks an execution role with it before it starts a job (`ModelTrainer`, the
role resolver of sagemaker-core). The answer follows the IAM API reference: the role's or user's inline and
attached policies are evaluated for each action and resource, an explicit Deny wins, nothing that allows
means `implicitDeny`, and an unknown principal is `NoSuchEntity`. The evaluation itself is moto's own
policy evaluator, the one its access control uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_ROLE_OR_USER = re.compile(
    r"^arn:aws[a-z\-]*:iam::(?P<account>\d{12}):(?P<kind>role|user)/(?:.*/)?(?P<name>[^/]+)$"
)

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"


def decision(policy_documents: Iterable[Any], action: str, resource: str, context: dict[str, str]) -> str:
    """IAM's evaluation of identity policies: an explicit Deny wins, then any Allow, else implicitDeny."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    allowed = False
    for document in policy_documents:
        result = IAMPolicy(document).is_action_permitted(action, resource, None, context)
        if result == PermissionResult.DENIED:
            return EXPLICIT_DENY
        allowed = allowed or result == PermissionResult.PERMITTED
    return ALLOWED if allowed else IMPLICIT_DENY


def _policies_of(backend: Any, source_arn: str) -> list[Any]:
    """The inline documents and the managed policies (moto evaluates their default version) of a role or user."""
    from moto.iam.exceptions import InvalidInput, NoSuchEntity

    match = _ROLE_OR_USER.match(source_arn)
    if match is None:
        raise InvalidInput(
            f"PolicySourceArn {source_arn!r} must be the ARN of an IAM role or user "
            "(arn:aws:iam::<account>:role/<name> or :user/<name>)"
        )
    try:
        principal = (
            backend.get_role(match["name"]) if match["kind"] == "role" else backend.get_user(match["name"])
        )
    except Exception as exc:  # moto raises its own not-found types per entity
        raise NoSuchEntity(f"The {match['kind']} with name {match['name']} cannot be found.") from exc
    return [*principal.policies.values(), *principal.managed_policies.values()]


def simulate(
    backend: Any, source_arn: str, actions: list[str], resources: list[str], context: dict[str, str]
) -> dict[str, Any]:
    policies = _policies_of(backend, source_arn)
    results = []
    for action in actions:
        for resource in resources or ["*"]:
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision(policies, action, resource, context),
                    "MatchedStatements": [],
                    "MissingContextValues": [],
                }
            )
    return {"EvaluationResults": results, "IsTruncated": False}


def install() -> None:
    """Teach moto's IAM responder the operation (in the process that serves IAM)."""
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    def simulate_principal_policy(self: Any) -> Any:
        # moto parses IAM's query parameters by the service model: lists and structures arrive whole.
        context = {
            entry["ContextKeyName"]: (entry.get("ContextKeyValues") or [""])[0]
            for entry in self._get_param("ContextEntries", [])
        }
        answer = simulate(
            self.backend,
            self._get_param("PolicySourceArn"),
            self._get_param("ActionNames", []),
            self._get_param("ResourceArns", []),
            context,
        )
        return ActionResult(answer)

    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]
