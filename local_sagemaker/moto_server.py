"""moto's server plus IAM SimulatePrincipalPolicy, which moto lacks and the SageMaker Python SDK calls.

`python -m local_sagemaker.moto_server -H host -p port` takes moto_server's arguments. The SDK v3 checks an
execution role with SimulatePrincipalPolicy before it starts a job; here the principal's own policies (inline,
attached, its groups', its permissions boundary) stored in moto's IAM are evaluated by
`local_sagemaker.iam_policy_simulator`."""

from __future__ import annotations

import json
import os
import sys
from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult
from moto.iam.exceptions import InvalidInput, NoSuchEntity
from moto.iam.models import IAMBackend
from moto.iam.responses import IamResponse

from local_sagemaker.iam_policy_simulator import SourcePolicy, UnsupportedPolicyFeature, simulate

# Request members that need a resource policy or cross-account evaluation, which this simulator does not do.
_REFUSED_MEMBERS = ("ResourcePolicy", "ResourceOwner", "CallerArn", "ResourceHandlingOption")


def _document(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(unquote(text) if text.lstrip().startswith("%") else text)
    return document


def _managed(policy: Any) -> SourcePolicy:
    version = next(v for v in policy.versions if v.is_default)
    aws_managed = policy.arn.split(":")[4] == "aws"
    return SourcePolicy(
        policy.name, "aws-managed" if aws_managed else "user-managed", _document(version.document)
    )


def _entity_policies(entity: Any, entity_type: str) -> list[SourcePolicy]:
    inline = [SourcePolicy(name, entity_type, _document(doc)) for name, doc in entity.policies.items()]
    return inline + [_managed(p) for p in entity.managed_policies.values()]


def _principal_policies(
    backend: IAMBackend, source_arn: str
) -> tuple[list[SourcePolicy], list[SourcePolicy]]:
    """(identity policies, permissions boundary policies) of the user, group or role `source_arn` names."""
    parts = str(source_arn).split(":", 5)
    kind, _, path_and_name = (parts[5] if len(parts) == 6 and parts[2] == "iam" else "").partition("/")
    name = path_and_name.rsplit("/", 1)[-1]
    if kind == "role":
        role = backend.get_role(name)
        boundary = (
            [_managed(backend.get_policy(role.permissions_boundary_arn))]
            if role.permissions_boundary_arn
            else []
        )
        return _entity_policies(role, "role"), boundary
    if kind == "user":
        user = backend.get_user(name)
        policies = _entity_policies(user, "user")
        for group in backend.get_groups_for_user(name):
            policies += _entity_policies(group, "group")
        boundary_arn = getattr(user, "permissions_boundary_arn", None)
        return policies, [_managed(backend.get_policy(boundary_arn))] if boundary_arn else []
    if kind == "group":
        return _entity_policies(backend.get_group(name), "group"), []
    raise InvalidInput(f"PolicySourceArn {source_arn!r} must be the ARN of an IAM user, group or role")


def _context(entries: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {e["ContextKeyName"].lower(): [str(v) for v in e.get("ContextKeyValues", [])] for e in entries}


def simulate_principal_policy(self: IamResponse) -> ActionResult:
    for member in _REFUSED_MEMBERS:
        if self._get_param(member) is not None:
            raise InvalidInput(
                f"SimulatePrincipalPolicy: {member} is not supported by the local IAM policy simulator "
                "(it evaluates the principal's identity policies and permissions boundary only); leave it out"
            )
    source_arn = self._get_param("PolicySourceArn")
    try:
        identity, boundary = _principal_policies(self.backend, source_arn)
    except NoSuchEntity:
        raise NoSuchEntity(f"PolicySourceArn {source_arn!r}: no such user, group or role") from None
    for index, text in enumerate(self._get_param("PolicyInputList", []) or [], start=1):
        identity.append(SourcePolicy(f"PolicyInputList.{index}", "none", _document(text)))
    for index, text in enumerate(self._get_param("PermissionsBoundaryPolicyInputList", []) or [], start=1):
        boundary = [SourcePolicy(f"PermissionsBoundaryPolicyInputList.{index}", "none", _document(text))]
    context = _context(self._get_param("ContextEntries", []) or [])
    resources = self._get_param("ResourceArns", []) or ["*"]
    try:
        results = [
            simulate(identity, boundary, action, resource, context)
            for action in self._get_param("ActionNames", [])
            for resource in resources
        ]
    except UnsupportedPolicyFeature as error:
        raise InvalidInput(f"SimulatePrincipalPolicy on {source_arn}: {error}") from None
    start = int(self._get_param("Marker") or 0)
    page_size = int(self._get_param("MaxItems") or 100)
    page = results[start : start + page_size]
    answer: dict[str, Any] = {"EvaluationResults": page, "IsTruncated": start + page_size < len(results)}
    if answer["IsTruncated"]:
        answer["Marker"] = str(start + page_size)
    return ActionResult(answer)


def install() -> None:
    """Add the operation to moto's IAM responses (moto dispatches an Action to the method of that name)."""
    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main

    # AWS managed policies (AmazonSageMakerFullAccess for the execution role) exist in every real account.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    install()
    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
