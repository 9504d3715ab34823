"""IAM SimulatePrincipalPolicy on the local stack, called through boto3 as the SageMaker Python SDK calls it.

Follows the IAM API Reference (SimulatePrincipalPolicy, EvaluationResult) and the IAM User Guide's
"Policy evaluation logic": explicit deny wins, an identity-policy allow grants, a permissions boundary must
also allow, conditions without a context value do not apply and are listed in MissingContextValues."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@pytest.fixture(scope="module")
def iam(local_stack: Any) -> Any:
    return boto3.client("iam", endpoint_url=local_stack.s3_url, region_name=local_stack.region)


def _role(iam: Any, statements: list[dict[str, Any]], boundary: list[dict[str, Any]] | None = None) -> str:
    name = f"sim-{uuid.uuid4().hex[:8]}"
    extra: dict[str, Any] = {}
    if boundary is not None:
        policy = iam.create_policy(
            PolicyName=f"{name}-boundary",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": boundary}),
        )
        extra["PermissionsBoundary"] = policy["Policy"]["Arn"]
    arn = str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **extra)["Role"]["Arn"]
    )
    iam.put_role_policy(
        RoleName=name,
        PolicyName="inline",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return arn


def _decisions(iam: Any, role_arn: str, actions: list[str], **kwargs: Any) -> dict[str, str]:
    results = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=actions, **kwargs)[
        "EvaluationResults"
    ]
    return {r["EvalActionName"]: r["EvalDecision"] for r in results}


def test_allow_deny_and_wildcards(iam: Any) -> None:
    role = _role(
        iam,
        [
            {"Effect": "Allow", "Action": ["s3:*", "ecr:GetAuthorizationToken"], "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        ],
    )
    assert _decisions(
        iam, role, ["s3:PutObject", "ECR:getauthorizationtoken", "s3:DeleteBucket", "ec2:DescribeVpcs"]
    ) == {
        "s3:PutObject": "allowed",
        "ECR:getauthorizationtoken": "allowed",  # action names are case-insensitive
        "s3:DeleteBucket": "explicitDeny",
        "ec2:DescribeVpcs": "implicitDeny",
    }


def test_resource_arns_are_matched_per_resource(iam: Any) -> None:
    role = _role(
        iam, [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::sagemaker-*/*"}]
    )
    results = iam.simulate_principal_policy(
        PolicySourceArn=role,
        ActionNames=["s3:PutObject"],
        ResourceArns=["arn:aws:s3:::sagemaker-us-east-1-1/key", "arn:aws:s3:::other/key"],
    )["EvaluationResults"]
    assert [(r["EvalResourceName"], r["EvalDecision"]) for r in results] == [
        ("arn:aws:s3:::sagemaker-us-east-1-1/key", "allowed"),
        ("arn:aws:s3:::other/key", "implicitDeny"),
    ]
    # Without ResourceArns the simulation uses "*", which a resource-scoped statement does not cover.
    assert _decisions(iam, role, ["s3:PutObject"]) == {"s3:PutObject": "implicitDeny"}


def test_conditions_use_context_entries_and_report_missing_keys(iam: Any) -> None:
    role = _role(
        iam,
        [
            {
                "Effect": "Allow",
                "Action": "cloudwatch:PutMetricData",
                "Resource": "*",
                "Condition": {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            }
        ],
    )
    without = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["cloudwatch:PutMetricData"])[
        "EvaluationResults"
    ][0]
    assert (without["EvalDecision"], without["MissingContextValues"]) == (
        "implicitDeny",
        ["cloudwatch:namespace"],
    )
    entry = {
        "ContextKeyName": "cloudwatch:namespace",
        "ContextKeyValues": ["/aws/sagemaker/TrainingJobs"],
        "ContextKeyType": "string",
    }
    assert _decisions(iam, role, ["cloudwatch:PutMetricData"], ContextEntries=[entry]) == {
        "cloudwatch:PutMetricData": "allowed"
    }


def test_permissions_boundary_must_also_allow(iam: Any) -> None:
    role = _role(
        iam,
        [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        boundary=[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    )
    results = iam.simulate_principal_policy(
        PolicySourceArn=role, ActionNames=["s3:GetObject", "iam:CreateUser"]
    )["EvaluationResults"]
    assert [
        (r["EvalDecision"], r["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"])
        for r in results
    ] == [
        ("allowed", True),
        ("implicitDeny", False),
    ]


def test_pagination_with_max_items(iam: Any) -> None:
    role = _role(iam, [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    paginator = iam.get_paginator("simulate_principal_policy")
    pages = list(
        paginator.paginate(
            PolicySourceArn=role, ActionNames=["s3:A1", "s3:A2", "s3:A3"], PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(p["EvaluationResults"]) for p in pages] == [2, 1]


def test_unknown_role_and_unsupported_members_are_refused_by_name(iam: Any) -> None:
    with pytest.raises(ClientError) as missing:
        iam.simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:role/NoSuchRole", ActionNames=["s3:GetObject"]
        )
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    role = _role(iam, [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    with pytest.raises(ClientError) as refused:
        iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["s3:GetObject"], ResourcePolicy="{}")
    assert refused.value.response["Error"]["Code"] == "InvalidInput"
    assert "ResourcePolicy" in refused.value.response["Error"]["Message"]


def test_the_stack_has_the_sagemaker_execution_role(iam: Any) -> None:
    """The role the DAGs default to exists, trusts SageMaker and passes the SDK's training smoke-test actions."""
    role = iam.get_role(RoleName="SageMakerExecutionRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "sagemaker.amazonaws.com"
    }
    decisions = _decisions(
        iam, role["Arn"], ["ecr:GetAuthorizationToken", "ec2:DescribeVpcs", "cloudwatch:PutMetricData"]
    )
    assert set(decisions.values()) == {"allowed"}
