"""The local account's SageMaker execution role, created at stack start as a SageMaker console set-up creates one.

The DAGs default to `arn:aws:iam::123456789012:role/SageMakerExecutionRole` and the SageMaker Python SDK
checks a role before it starts a job (GetRole, SimulatePrincipalPolicy, the trust policy), so the role must
exist in the local IAM: it trusts `sagemaker.amazonaws.com` and has AWS's `AmazonSageMakerFullAccess`
attached, the policy SageMaker's "Create an execution role" guide attaches (moto serves AWS managed
policies when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true, which `local_sagemaker.moto_server` sets)."""

from __future__ import annotations

import json
from typing import Any

EXECUTION_ROLE_NAME = "SageMakerExecutionRole"
MANAGED_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def ensure_execution_role(iam: Any, role_name: str = EXECUTION_ROLE_NAME) -> str:
    """Create the role (idempotently) and return its ARN; `iam` is a boto3 IAM client on the local stack."""
    try:
        arn = str(iam.get_role(RoleName=role_name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        arn = str(
            iam.create_role(
                RoleName=role_name,
                AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
                Description="SageMaker execution role of the local stack",
            )["Role"]["Arn"]
        )
    attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    if MANAGED_POLICY_ARN not in {p["PolicyArn"] for p in attached}:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=MANAGED_POLICY_ARN)
    return arn
