"""Least-privilege IAM policies for running the DAGs against AWS, rendered for one account.

The templates live in `iam/` next to this module:
- `airflow-role-policy.json`: what the Airflow workers (and triggerer) need: the SageMaker calls the DAGs'
  operators, sensors and hooks make, the model registry, `iam:PassRole` for the execution role only and
  only to SageMaker, the project bucket, and read access to SageMaker's job logs (`print_log`).
- `sagemaker-execution-role-policy.json` + `sagemaker-execution-role-trust-policy.json`: the role the jobs
  run as: the project bucket, writing job logs and metrics, pulling the job images.

Placeholders are `{{Name}}`; every value is checked against a strict pattern before it is put in, so a
rendered policy can never widen into a wildcard. `python -m retraining.iam_policies airflow-role-policy.json
--account-id ... --region ... --bucket ...` prints one, ready for `aws iam put-role-policy`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POLICY_DIR = Path(__file__).with_name("iam")
AIRFLOW_ROLE_POLICY = "airflow-role-policy.json"
EXECUTION_ROLE_POLICY = "sagemaker-execution-role-policy.json"
EXECUTION_ROLE_TRUST_POLICY = "sagemaker-execution-role-trust-policy.json"
POLICY_NAMES = (AIRFLOW_ROLE_POLICY, EXECUTION_ROLE_POLICY, EXECUTION_ROLE_TRUST_POLICY)

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# A Resource list entry that stands for a whole list of ARNs.
LIST_PLACEHOLDERS = {"{{EcrRepositoryArns}}": "ecr_repository_arns"}

_PATTERNS = {
    "partition": re.compile(r"^aws(-cn|-us-gov)?$"),
    "account_id": re.compile(r"^\d{12}$"),
    "region": re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$"),
    "bucket": re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
    # IAM role names, optionally with a path: letters, digits and +=,.@_- (no wildcards).
    "execution_role_name": re.compile(r"^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$"),
}
_ECR_REPOSITORY_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:ecr:[a-z]{2}(-[a-z]+)+-\d:\d{12}:repository/[a-z0-9._/-]+$"
)
_ECR_IMAGE_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repository>[a-z0-9._/-]+)(:[\w.-]+|@sha256:[0-9a-f]+)?$"
)
_ROLE_ARN = re.compile(r"^arn:(?P<partition>aws[-a-z]*):iam::(?P<account>\d{12}):role/(?P<name>.+)$")


def ecr_repository_arn(image_uri: str, partition: str = "aws") -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` -> the repository's ARN."""
    match = _ECR_IMAGE_URI.match(image_uri)
    if match is None:
        raise ValueError(
            f"{image_uri!r} is not an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/...)"
        )
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"


@dataclass(frozen=True)
class PolicyValues:
    """What a policy is rendered for; all checked, none may contain a wildcard."""

    account_id: str
    region: str
    bucket: str
    execution_role_name: str = "SageMakerExecutionRole"
    partition: str = "aws"
    ecr_repository_arns: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name, pattern in _PATTERNS.items():
            value = getattr(self, name)
            if not pattern.match(value):
                raise ValueError(f"{name}={value!r} does not match {pattern.pattern}")
        for arn in self.ecr_repository_arns:
            if not _ECR_REPOSITORY_ARN.match(arn):
                raise ValueError(f"ecr_repository_arns: {arn!r} is not an ECR repository ARN")

    @classmethod
    def for_execution_role(
        cls, role_arn: str, region: str, bucket: str, image_uris: Iterable[str] = ()
    ) -> PolicyValues:
        """Values from the execution role's ARN (as in RETRAINING_ROLE_ARN) and the job images used."""
        match = _ROLE_ARN.match(role_arn)
        if match is None:
            raise ValueError(f"{role_arn!r} is not an IAM role ARN")
        partition = match["partition"]
        return cls(
            account_id=match["account"],
            region=region,
            bucket=bucket,
            execution_role_name=match["name"],
            partition=partition,
            ecr_repository_arns=tuple(sorted({ecr_repository_arn(uri, partition) for uri in image_uris})),
        )

    @property
    def execution_role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role/{self.execution_role_name}"

    def placeholders(self) -> dict[str, str]:
        return {
            "Partition": self.partition,
            "AccountId": self.account_id,
            "Region": self.region,
            "Bucket": self.bucket,
            "ExecutionRoleName": self.execution_role_name,
        }


def template(name: str) -> dict[str, Any]:
    """A policy as stored, placeholders and all."""
    if name not in POLICY_NAMES:
        raise ValueError(f"unknown policy {name!r}; one of {', '.join(POLICY_NAMES)}")
    return dict(json.loads((POLICY_DIR / name).read_text()))


def render(name: str, values: PolicyValues) -> dict[str, Any]:
    """The policy for one account, bucket and execution role."""
    substitutions = values.placeholders()

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: fill(value) for key, value in node.items()}
        if isinstance(node, list):
            filled: list[Any] = []
            for item in node:
                if isinstance(item, str) and item in LIST_PLACEHOLDERS:
                    filled.extend(getattr(values, LIST_PLACEHOLDERS[item]))
                else:
                    filled.append(fill(item))
            return filled
        if isinstance(node, str):
            return PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], node)
        return node

    policy: dict[str, Any] = fill(template(name))
    for statement in statements(policy):
        if statement.get("Resource") == []:
            raise ValueError(
                f"{name}: statement {statement.get('Sid')} has no resources left; give the job images "
                "(PolicyValues.ecr_repository_arns / --image-uri)"
            )
    return policy


def statements(policy: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    found = policy["Statement"]
    yield from [found] if isinstance(found, dict) else found


def as_list(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _wildcard(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE)


def _matches(patterns: Iterable[str], value: str, case_sensitive: bool) -> bool:
    return any(_wildcard(p, case_sensitive).match(value) for p in patterns)


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            actual = context.get(key)
            if actual is None:
                return False
            options = as_list(expected)
            if operator in ("StringEquals", "ArnEquals"):
                ok = actual in options
            elif operator in ("StringLike", "ArnLike"):
                ok = _matches(options, actual, case_sensitive=True)
            else:
                raise ValueError(f"condition operator {operator} is not supported by this evaluator")
            if not ok:
                return False
    return True


def allows(
    policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str] | None = None
) -> bool:
    """Does this identity policy allow `action` on `resource` (an explicit Deny wins)?

    A small evaluator for the constructs these policies use: Action/Resource with `*`/`?` wildcards and
    String/Arn Equals/Like conditions. NotAction, NotResource and other operators are refused."""
    allowed = False
    for statement in statements(policy):
        refused = {"NotAction", "NotResource", "NotPrincipal"} & statement.keys()
        if refused:
            raise ValueError(f"statement {statement.get('Sid')} uses {sorted(refused)}, which widens access")
        if not _matches(as_list(statement.get("Action")), action, case_sensitive=False):
            continue
        if not _matches(as_list(statement.get("Resource")), resource, case_sensitive=True):
            continue
        if not _condition_holds(statement.get("Condition", {}), context or {}):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def actions(policy: Mapping[str, Any]) -> set[str]:
    """Every action an Allow statement names."""
    return {
        action
        for statement in statements(policy)
        if statement["Effect"] == "Allow"
        for action in as_list(statement.get("Action"))
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retraining.iam_policies", description=__doc__)
    parser.add_argument("policy", choices=POLICY_NAMES)
    parser.add_argument("--account-id", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--execution-role-name", default="SageMakerExecutionRole")
    parser.add_argument("--partition", default="aws")
    parser.add_argument(
        "--image-uri",
        action="append",
        default=[],
        help="an ECR image the jobs run (repeat); needed for the execution role policy",
    )
    args = parser.parse_args(argv)
    try:
        values = PolicyValues(
            account_id=args.account_id,
            region=args.region,
            bucket=args.bucket,
            execution_role_name=args.execution_role_name,
            partition=args.partition,
            ecr_repository_arns=tuple(
                sorted({ecr_repository_arn(u, args.partition) for u in args.image_uri})
            ),
        )
        print(json.dumps(render(args.policy, values), indent=2))
    except ValueError as exc:
        print(f"iam_policies: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
