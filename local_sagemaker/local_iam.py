"""The execution role the local stack's jobs run as, created in its IAM as an account would have it.

SDK v3 reads the role (GetRole), simulates its permissions (SimulatePrincipalPolicy, see iam_simulation)
and checks that its trust policy lets sagemaker.amazonaws.com assume it, before it starts a job. So the
stack keeps a real role: the project's execution-role policy and trust policy (include/retraining/iam),
plus the network-interface permissions SageMaker documents for jobs in a VPC, which SDK v3 checks too.
moto keeps IAM in memory: `make local-up` creates the role again whenever it is missing.
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_EXECUTION_ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
# The region's first-party images the local jobs name (only their repository ARNs go into the policy).
_IMAGES = ("sagemaker-xgboost:1.7-1", "sagemaker-scikit-learn:1.2-1-cpu-py3")
# "CreateTrainingJob API: Execution Role Permissions", for jobs with a VpcConfig; no resource-level support.
_VPC_NETWORK_INTERFACES = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "JobNetworkInterfacesInAVpcNoResourceLevelSupport",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            "Resource": "*",
        }
    ],
}


def ensure_execution_role(iam: Any, role_arn: str, region: str, bucket: str) -> bool:
    """Create the role with its policies unless it exists; True when it was created."""
    from retraining.iam_policies import (
        EXECUTION_ROLE_POLICY,
        EXECUTION_ROLE_TRUST_POLICY,
        PolicyValues,
        render,
    )

    images = [f"683313688378.dkr.ecr.{region}.amazonaws.com/{image}" for image in _IMAGES]
    values = PolicyValues.for_execution_role(role_arn, region, bucket, images)
    try:
        iam.get_role(RoleName=values.execution_role_name)
        return False
    except iam.exceptions.NoSuchEntityException:
        pass
    iam.create_role(
        RoleName=values.execution_role_name,
        AssumeRolePolicyDocument=json.dumps(render(EXECUTION_ROLE_TRUST_POLICY, values)),
        Description="Execution role of the local SageMaker service's jobs",
    )
    iam.put_role_policy(
        RoleName=values.execution_role_name,
        PolicyName="sagemaker-execution-role-policy",
        PolicyDocument=json.dumps(render(EXECUTION_ROLE_POLICY, values)),
    )
    iam.put_role_policy(
        RoleName=values.execution_role_name,
        PolicyName="vpc-network-interfaces",
        PolicyDocument=json.dumps(_VPC_NETWORK_INTERFACES),
    )
    return True
