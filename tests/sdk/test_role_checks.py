"""The SageMaker Python SDK v3's role checks answered as IAM answers them (no SAGEMAKER_VALIDATE_ROLE=false).

IAM API reference, SimulatePrincipalPolicy: the principal's identity policies are evaluated per action and
resource; an explicit Deny wins, no Allow is `implicitDeny`, an unknown principal is `NoSuchEntity`.
sagemaker-core's iam_role_resolver (resolve_and_validate_role) reads the role, simulates its `*`-resource
actions and reads its trust policy before ModelTrainer runs a job.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_sagemaker.local_iam import DEFAULT_EXECUTION_ROLE_ARN
from tests.support.sagemaker_api import unique

SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@pytest.fixture(scope="module")
def iam(local_stack: Any) -> Any:
    return boto3.client("iam", endpoint_url=local_stack.s3_url, region_name=local_stack.region)


def decisions(iam: Any, role_arn: str, actions: list[str], resources: list[str] | None = None) -> list[str]:
    answer = iam.simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=actions, **({"ResourceArns": resources} if resources else {})
    )
    return [result["EvalDecision"] for result in answer["EvaluationResults"]]


def test_the_stack_execution_role_is_evaluated_by_its_policies(iam: Any, local_stack: Any) -> None:
    bucket_objects = f"arn:aws:s3:::{local_stack.bucket}/*"
    assert decisions(
        iam, DEFAULT_EXECUTION_ROLE_ARN, ["s3:PutObject", "s3:DeleteBucket"], [bucket_objects]
    ) == [
        "allowed",
        "implicitDeny",
    ]
    # Another bucket's objects are outside the project's policy.
    assert decisions(iam, DEFAULT_EXECUTION_ROLE_ARN, ["s3:GetObject"], ["arn:aws:s3:::elsewhere/*"]) == [
        "implicitDeny"
    ]
    assert decisions(iam, DEFAULT_EXECUTION_ROLE_ARN, ["ecr:GetAuthorizationToken"]) == ["allowed"]


def test_an_explicit_deny_wins_and_an_unknown_role_is_no_such_entity(iam: Any) -> None:
    name = unique("denied")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    assert decisions(iam, arn, ["s3:GetObject", "s3:DeleteObject", "ec2:DescribeVpcs"]) == [
        "allowed",
        "explicitDeny",
        "implicitDeny",
    ]
    with pytest.raises(ClientError) as missing:
        iam.simulate_principal_policy(
            PolicySourceArn=arn.replace(name, "nobody-here"), ActionNames=["s3:GetObject"]
        )
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"


def test_the_sdk_accepts_the_local_role_and_refuses_one_without_permissions(
    iam: Any, local_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAGEMAKER_VALIDATE_ROLE", raising=False)  # the check runs, as it does for users
    from sagemaker.core.helper.iam_role_resolver import RoleValidationError, resolve_and_validate_role
    from sagemaker.core.helper.session_helper import Session

    session = Session(boto_session=boto3.Session(region_name=local_stack.region))
    assert (
        resolve_and_validate_role(DEFAULT_EXECUTION_ROLE_ARN, "training", session)
        == DEFAULT_EXECUTION_ROLE_ARN
    )

    name = unique("bare")
    bare = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))["Role"]["Arn"]
    with pytest.raises(RoleValidationError, match="ecr:GetAuthorizationToken"):
        resolve_and_validate_role(bare, "training", session)
