"""The IAM policies allow exactly what the DAG package can call, derived from the code, and no more.

The list of API calls is not written down here: `tests/support/aws_calls.py` walks the DAG files, the
operator/sensor classes they use (and the plugin's own operators), the provider's operators and hooks
and our include/plugins code, and records every boto3 operation reachable. Each call is then turned
into the IAM action(s) and resource it needs and checked against the rendered policy.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest

from retraining.iam_policies import (
    AIRFLOW_ROLE_POLICY,
    EXECUTION_ROLE_POLICY,
    EXECUTION_ROLE_TRUST_POLICY,
    PLACEHOLDER,
    POLICY_NAMES,
    PolicyValues,
    actions,
    allows,
    as_list,
    ecr_repository_arn,
    render,
    statements,
    template,
)
from tests.support.aws_calls import (
    ApiCall,
    CallGraph,
    Self,
    botocore_session,
    client_calls_by_name,
    operations_by_method,
)
from tests.support.sagemaker_api import SKLEARN_IMAGE, XGBOOST_IMAGE

ROOT = Path(__file__).resolve().parents[3]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
# Code the Airflow workers run. include/retraining/scripts/ runs inside the jobs (execution role), and
# iam_policies is this tooling itself.
AIRFLOW_SIDE_CODE = [
    *DAG_FILES,
    *(
        p
        for p in sorted((ROOT / "include" / "retraining").rglob("*.py"))
        if "scripts" not in p.parts and p.name != "iam_policies.py"
    ),
    *sorted((ROOT / "plugins" / "retraining_airflow").rglob("*.py")),
]
VALUES = PolicyValues(
    account_id="111122223333",
    region="eu-west-1",
    bucket="retraining-prod-bucket",
    execution_role_name="SageMakerExecutionRole",
    ecr_repository_arns=(ecr_repository_arn(XGBOOST_IMAGE), ecr_repository_arn(SKLEARN_IMAGE)),
)
PASSED_TO_SAGEMAKER = {"iam:PassedToService": "sagemaker.amazonaws.com"}

# S3 operation -> the permission it needs and what it acts on (the S3 "actions and operations" table of
# the Service Authorization Reference; Head* need the Get/List permission of what they look at).
S3_PERMISSIONS = {
    "HeadBucket": ("s3:ListBucket", "bucket"),
    "ListObjects": ("s3:ListBucket", "bucket"),
    "ListObjectsV2": ("s3:ListBucket", "bucket"),
    "HeadObject": ("s3:GetObject", "object"),
    "GetObject": ("s3:GetObject", "object"),
    "PutObject": ("s3:PutObject", "object"),
    "CreateMultipartUpload": ("s3:PutObject", "object"),
    "UploadPart": ("s3:PutObject", "object"),
    "CompleteMultipartUpload": ("s3:PutObject", "object"),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", "object"),
}
# Permissions that are not API operations of their own.
PERMISSION_ONLY_ACTIONS = {"iam:PassRole", "s3:ListBucket"}
# Actions without resource-level permissions: they can only be granted on "*".
NO_RESOURCE_LEVEL = {"sagemaker:ListModelPackages", "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}


def our_sources() -> str:
    return "\n".join(p.read_text() for p in AIRFLOW_SIDE_CODE)


# Provider code paths the walk reaches but this project provably never takes. Each premise is a test.
def configure_s3_resources_is_idle() -> bool:
    # SageMakerHook.configure_s3_resources only acts on a config's "S3Operations" key.
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    acts_on = 'config.pop("S3Operations", None)' in inspect.getsource(SageMakerHook.configure_s3_resources)
    return acts_on and "S3Operations" not in our_sources()


def expand_role_is_idle() -> bool:
    # AwsGenericHook.expand_role calls iam:GetRole only for a bare role name; every role passed is an ARN.
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook

    from retraining.dag_defaults import DEFAULT_ROLE_ARN

    returns_early = 'if "/" in role:\n            return role' in inspect.getsource(
        AwsGenericHook.expand_role
    )
    return returns_early and re.match(r"^arn:aws[-a-z]*:iam::\d{12}:role/", DEFAULT_ROLE_ARN) is not None


def read_output_files_is_idle() -> bool:
    # The processing operator reads outputs back from S3 only when output_files_to_xcom is set.
    from airflow.providers.amazon.aws.operators.sagemaker import SageMakerProcessingOperator

    guarded = "if not self.output_files_to_xcom:\n            return {}" in inspect.getsource(
        SageMakerProcessingOperator._read_output_files
    )
    return guarded and "output_files_to_xcom" not in our_sources()


PRUNED = {
    ("SageMakerHook", "configure_s3_resources"): configure_s3_resources_is_idle,
    ("AwsGenericHook", "expand_role"): expand_role_is_idle,
    ("SageMakerProcessingOperator", "_read_output_files"): read_output_files_is_idle,
}


def resolve_client_call(me: Self, node: ast.Call) -> list[ApiCall]:
    """IdempotentJobMixin._client_call("describe", name) calls <verb>_<job noun> on the SageMaker client."""
    noun = getattr(me.owner, "job_noun", None)
    first = node.args[0] if node.args else None
    if noun is None or not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        raise AssertionError(f"cannot resolve _client_call in {me.owner.__name__}: {ast.dump(node)}")
    return [ApiCall("sagemaker", first.value.capitalize() + noun, f"{me.owner.__name__}._client_call")]


def plugin_operator_classes() -> set[type]:
    """Operators the plugin defines, used by a DAG yet or not: a DAG may use them any day."""
    from airflow.sdk import BaseOperator

    import retraining_airflow

    found = set()
    for info in pkgutil.iter_modules(retraining_airflow.__path__, "retraining_airflow."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and issubclass(obj, BaseOperator):
                found.add(obj)
    return found


@pytest.fixture(scope="module")
def graph() -> CallGraph:
    walk = CallGraph(pruned=set(PRUNED), dynamic={"_client_call": resolve_client_call})
    classes = set().union(*(walk.operator_classes_in(dag) for dag in DAG_FILES)) | plugin_operator_classes()
    for cls in sorted(classes, key=lambda c: c.__name__):
        walk.add_class(cls)
    for dag in DAG_FILES:
        walk.add_module_source(dag)
    return walk


@pytest.fixture(scope="module")
def calls(graph: CallGraph) -> set[ApiCall]:
    return graph.calls | client_calls_by_name(AIRFLOW_SIDE_CODE, "sagemaker")


def sagemaker_resource(operation: str) -> str:
    """CreateTrainingJob -> arn:...:training-job/<name>; List* take no resource ("*")."""
    verb, noun = re.match(r"^([A-Z][a-z]+)(.+)$", operation).groups()  # type: ignore[union-attr]
    if operation == "ListPipelineExecutions":  # authorised on the pipeline it lists, not on "*"
        return f"arn:aws:sagemaker:{VALUES.region}:{VALUES.account_id}:pipeline/some-name"
    if verb == "List" and noun != "PipelineExecutionSteps":  # the steps: on their execution
        return "*"
    if noun in (
        "PipelineExecution",
        "PipelineExecutionSteps",
    ):  # IAM: an execution is arn:...:pipeline/<pipeline>/execution/<id>
        return f"arn:aws:sagemaker:{VALUES.region}:{VALUES.account_id}:pipeline/some-name/execution/abc123"
    kind = re.sub(r"(?<!^)(?=[A-Z])", "-", noun).lower()
    return f"arn:aws:sagemaker:{VALUES.region}:{VALUES.account_id}:{kind}/some-name"


def permissions_for(call: ApiCall) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs one API call needs, for the project's bucket, account and region."""
    if call.service == "sagemaker":
        return [(f"sagemaker:{call.operation}", sagemaker_resource(call.operation))]
    if call.service == "s3":
        if call.operation not in S3_PERMISSIONS:
            raise AssertionError(f"{call} ({call.via}): add the S3 permission it needs to S3_PERMISSIONS")
        action, target = S3_PERMISSIONS[call.operation]
        bucket = f"arn:aws:s3:::{VALUES.bucket}"
        return [(action, bucket if target == "bucket" else f"{bucket}/data/2026-01-01/train.csv")]
    if call.service == "logs":
        group = f"arn:aws:logs:{VALUES.region}:{VALUES.account_id}:log-group:/aws/sagemaker/TrainingJobs"
        return [
            (f"logs:{call.operation}", group),
            (f"logs:{call.operation}", f"{group}:log-stream:job/algo-1-1"),
        ]
    raise AssertionError(f"{call} ({call.via}): the Airflow role has no {call.service} permissions; decide")


def passes_a_role(operation: str) -> bool:
    """Does the request carry a role SageMaker will assume (RoleArn / ExecutionRoleArn)?"""
    shape = botocore_session().get_service_model("sagemaker").operation_model(operation).input_shape
    seen: set[str] = set()

    def walk(node: Any) -> bool:
        if node is None or node.name in seen:
            return False
        seen.add(node.name)
        if node.type_name == "structure":
            return any(n in ("RoleArn", "ExecutionRoleArn") or walk(m) for n, m in node.members.items())
        if node.type_name == "list":
            return bool(walk(node.member))
        if node.type_name == "map":
            return bool(walk(node.value))
        return False

    return walk(shape)


# --- the derivation itself ---------------------------------------------------------------------------


def test_the_walk_resolved_every_call_and_every_pruning_is_used(graph: CallGraph) -> None:
    assert graph.unresolved == []
    # A pruning no longer reached is stale: remove it (and its premise) rather than keep it silently.
    assert graph.visited_pruned == set(PRUNED)


@pytest.mark.parametrize("method", sorted(PRUNED), ids=lambda m: ".".join(m))
def test_pruned_provider_paths_are_never_taken_by_this_project(method: tuple[str, str]) -> None:
    assert PRUNED[method](), f"the premise for not following {'.'.join(method)} no longer holds"


def test_the_dynamic_client_call_is_resolved_as_the_plugin_builds_it() -> None:
    from retraining_airflow.idempotent import IdempotentJobMixin

    class Recorder:
        called: list[str] = []

        def __getattr__(self, name: str) -> Any:
            def call(**kwargs: Any) -> dict[str, Any]:
                self.called.append(name)
                return {}

            return call

    class Fake(IdempotentJobMixin):
        job_noun = "HyperParameterTuningJob"
        hook = type("H", (), {"conn": Recorder()})()

    Fake()._client_call("stop", "job")
    node = ast.parse('self._client_call("stop", name)').body[0].value  # type: ignore[attr-defined]
    (resolved,) = resolve_client_call(Self(Fake, Fake), node)
    assert Recorder.called == ["stop_hyper_parameter_tuning_job"]
    assert operations_by_method("sagemaker")[Recorder.called[0]] == resolved.operation


def test_the_derivation_finds_what_the_dags_plainly_do(calls: set[ApiCall]) -> None:
    # A floor, so a walk that silently finds nothing cannot pass the policy checks below.
    expected = {
        ("sagemaker", op)
        for op in (
            "CreateProcessingJob",
            "DescribeProcessingJob",
            "StopProcessingJob",
            "CreateTrainingJob",
            "DescribeTrainingJob",
            "StopTrainingJob",
            "CreateModel",
            "DescribeModel",
            "CreateTransformJob",
            "DescribeTransformJob",
            "CreateModelPackage",
            "UpdateModelPackage",
            "ListModelPackages",
            "DescribeModelPackage",
        )
    } | {("s3", "GetObject"), ("s3", "PutObject"), ("s3", "HeadBucket"), ("logs", "GetLogEvents")}
    assert expected <= {(c.service, c.operation) for c in calls}


# --- the Airflow role -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def airflow_policy() -> dict[str, Any]:
    return render(AIRFLOW_ROLE_POLICY, VALUES)


def test_every_call_the_dag_package_can_make_is_allowed(
    calls: set[ApiCall], airflow_policy: dict[str, Any]
) -> None:
    denied = [
        f"{action} on {resource}  <- {call.service}:{call.operation} via {call.via}"
        for call in sorted(calls, key=lambda c: (c.service, c.operation))
        for action, resource in permissions_for(call)
        if not allows(airflow_policy, action, resource)
    ]
    assert denied == []


def test_jobs_that_carry_a_role_may_pass_only_the_execution_role_only_to_sagemaker(
    calls: set[ApiCall], airflow_policy: dict[str, Any]
) -> None:
    passing = sorted(c.operation for c in calls if c.service == "sagemaker" and passes_a_role(c.operation))
    assert {"CreateTrainingJob", "CreateProcessingJob", "CreateModel"} <= set(passing)
    role = VALUES.execution_role_arn
    assert allows(airflow_policy, "iam:PassRole", role, PASSED_TO_SAGEMAKER)
    assert not allows(airflow_policy, "iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"})
    assert not allows(airflow_policy, "iam:PassRole", role)  # no condition context, no pass
    other_role = f"arn:aws:iam::{VALUES.account_id}:role/Admin"
    assert not allows(airflow_policy, "iam:PassRole", other_role, PASSED_TO_SAGEMAKER)


def test_the_airflow_role_grants_nothing_the_code_does_not_call(
    calls: set[ApiCall], airflow_policy: dict[str, Any]
) -> None:
    needed = {action for call in calls for action, _ in permissions_for(call)} | {"iam:PassRole"}
    assert actions(airflow_policy) - needed == set()


def test_buckets_accounts_and_regions_other_than_the_projects_are_out_of_reach(
    airflow_policy: dict[str, Any],
) -> None:
    assert allows(airflow_policy, "s3:GetObject", f"arn:aws:s3:::{VALUES.bucket}/any/key")
    assert not allows(airflow_policy, "s3:GetObject", "arn:aws:s3:::someone-elses-bucket/any/key")
    assert not allows(airflow_policy, "s3:ListBucket", "arn:aws:s3:::someone-elses-bucket")
    assert not allows(airflow_policy, "s3:PutObject", f"arn:aws:s3:::{VALUES.bucket}-logs/x")
    job = "training-job/some-name"
    assert allows(
        airflow_policy, "sagemaker:CreateTrainingJob", f"arn:aws:sagemaker:eu-west-1:111122223333:{job}"
    )
    assert not allows(
        airflow_policy, "sagemaker:CreateTrainingJob", f"arn:aws:sagemaker:eu-west-1:999999999999:{job}"
    )
    assert not allows(
        airflow_policy, "sagemaker:CreateTrainingJob", f"arn:aws:sagemaker:us-east-1:111122223333:{job}"
    )
    assert not allows(
        airflow_policy, "sagemaker:DeleteModel", "arn:aws:sagemaker:eu-west-1:111122223333:model/m"
    )
    assert not allows(
        airflow_policy, "logs:GetLogEvents", "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/x"
    )


# --- every policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_no_wildcard_actions_and_nothing_on_star_but_what_must_be(name: str) -> None:
    policy = render(name, VALUES)
    assert policy["Version"] == "2012-10-17"
    for statement in statements(policy):
        assert statement["Effect"] == "Allow" and statement.get("Sid")
        assert not {"NotAction", "NotResource", "NotPrincipal"} & statement.keys()
        for action in as_list(statement["Action"]):
            assert "*" not in action and "?" not in action, f"{statement['Sid']}: wildcard action {action}"
        if as_list(statement.get("Resource")) == ["*"]:
            assert set(as_list(statement["Action"])) <= NO_RESOURCE_LEVEL, statement["Sid"]
        for resource in as_list(statement.get("Resource")):
            assert (
                resource == "*"
                or not resource.startswith("arn:aws:s3:::")
                or resource.startswith(f"arn:aws:s3:::{VALUES.bucket}")
            ), resource


@pytest.mark.parametrize("name", [AIRFLOW_ROLE_POLICY, EXECUTION_ROLE_POLICY])
def test_every_action_is_a_real_one(name: str) -> None:
    # A typo in an action name fails silently on AWS (it grants nothing); catch it here.
    for action in actions(template(name)):
        if action in PERMISSION_ONLY_ACTIONS:
            continue
        prefix, operation = action.split(":")
        service = {
            "sagemaker": "sagemaker",
            "s3": "s3",
            "logs": "logs",
            "ecr": "ecr",
            "cloudwatch": "cloudwatch",
        }[prefix]
        assert operation in botocore_session().get_service_model(service).operation_names, action


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_rendering_fills_every_placeholder(name: str) -> None:
    text = json.dumps(render(name, VALUES))
    assert PLACEHOLDER.search(text) is None
    assert "{{" not in text


@pytest.mark.parametrize(
    "change",
    [
        {"bucket": "*"},
        {"bucket": "my-bucket/*"},
        {"account_id": "*"},
        {"region": "*"},
        {"execution_role_name": "*"},
        {"execution_role_name": "Sage*"},
        {"ecr_repository_arns": ("arn:aws:ecr:eu-west-1:*:repository/*",)},
    ],
)
def test_values_that_would_widen_a_policy_are_refused(change: dict[str, Any]) -> None:
    fields = {
        "account_id": VALUES.account_id,
        "region": VALUES.region,
        "bucket": VALUES.bucket,
        "execution_role_name": VALUES.execution_role_name,
        "ecr_repository_arns": VALUES.ecr_repository_arns,
    }
    with pytest.raises(ValueError):
        PolicyValues(**{**fields, **change})


def test_values_from_the_execution_role_arn_and_the_job_images() -> None:
    values = PolicyValues.for_execution_role(
        "arn:aws:iam::111122223333:role/ml/SageMakerExecutionRole", "us-east-1", "b-1x", [XGBOOST_IMAGE]
    )
    assert values.execution_role_name == "ml/SageMakerExecutionRole"
    assert values.execution_role_arn == "arn:aws:iam::111122223333:role/ml/SageMakerExecutionRole"
    assert values.ecr_repository_arns == ("arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-xgboost",)


# --- the execution role -------------------------------------------------------------------------------


def test_the_execution_role_reads_and_writes_the_bucket_writes_logs_and_pulls_the_images() -> None:
    policy = render(EXECUTION_ROLE_POLICY, VALUES)
    bucket = f"arn:aws:s3:::{VALUES.bucket}"
    for action in ("s3:GetObject", "s3:PutObject"):
        assert allows(policy, action, f"{bucket}/models/job/output/model.tar.gz")
        assert not allows(policy, action, "arn:aws:s3:::someone-elses-bucket/x")
    assert allows(policy, "s3:ListBucket", bucket)
    assert not allows(policy, "s3:DeleteObject", f"{bucket}/x")
    group = f"arn:aws:logs:{VALUES.region}:{VALUES.account_id}:log-group:/aws/sagemaker/TrainingJobs"
    for action in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"):
        assert allows(policy, action, f"{group}:log-stream:job/algo-1-1")
    assert allows(
        policy, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}
    )
    assert not allows(policy, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "Billing"})
    assert allows(policy, "ecr:GetAuthorizationToken", "*")
    for image in (XGBOOST_IMAGE, SKLEARN_IMAGE):
        assert allows(policy, "ecr:BatchGetImage", ecr_repository_arn(image))
    assert not allows(policy, "ecr:BatchGetImage", "arn:aws:ecr:eu-west-1:999999999999:repository/other")
    assert not any(action.startswith(("iam:", "sagemaker:")) for action in actions(policy))


def test_only_sagemaker_jobs_of_this_account_can_assume_the_execution_role() -> None:
    (statement,) = statements(render(EXECUTION_ROLE_TRUST_POLICY, VALUES))
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": VALUES.account_id}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].startswith(
        f"arn:aws:sagemaker:{VALUES.region}:{VALUES.account_id}:"
    )


def test_the_command_line_prints_a_rendered_policy(capsys: pytest.CaptureFixture[str]) -> None:
    from retraining.iam_policies import main

    assert (
        main(
            [
                AIRFLOW_ROLE_POLICY,
                "--account-id",
                "111122223333",
                "--region",
                "eu-west-1",
                "--bucket",
                "bkt-1",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["Statement"]
    assert (
        main(
            [
                EXECUTION_ROLE_POLICY,
                "--account-id",
                "111122223333",
                "--region",
                "eu-west-1",
                "--bucket",
                "bkt-1",
            ]
        )
        == 2
    )
    assert "image" in capsys.readouterr().err
