"""The service's contract at the protocol level: error codes and shapes the SDKs and provider rely on."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, unique


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("describe_training_job", "TrainingJobName"),
        ("describe_transform_job", "TransformJobName"),
        ("describe_processing_job", "ProcessingJobName"),
        ("stop_training_job", "TrainingJobName"),
    ],
)
def test_unknown_job_is_a_validation_exception(sagemaker: Any, operation: str, field: str) -> None:
    # The provider's existence check and botocore's waiters both treat ValidationException as "not found".
    code, message = error_of(getattr(sagemaker, operation), **{field: "no-such-job"})
    assert code == "ValidationException"
    assert "not found" in message


def test_waiter_fails_fast_on_unknown_job(sagemaker: Any) -> None:
    from botocore.exceptions import WaiterError

    with pytest.raises(WaiterError, match="ValidationException"):
        sagemaker.get_waiter("training_job_completed_or_stopped").wait(
            TrainingJobName="never-created", WaiterConfig={"Delay": 1, "MaxAttempts": 2}
        )


def test_duplicate_training_job_name_is_resource_in_use(sagemaker: Any, training_request: Any) -> None:
    request = training_request(hyperparameters={"num_round": "1"})
    sagemaker.create_training_job(**request)
    code, _ = error_of(sagemaker.create_training_job, **request)
    assert code == "ResourceInUse"


def test_name_pattern_is_checked_by_the_service(sagemaker: Any, training_request: Any) -> None:
    # botocore does not check patterns client-side: the service must.
    code, message = error_of(sagemaker.create_training_job, **training_request(name="bad_name"))
    assert code == "ValidationException"
    assert "trainingJobName" in message and "regular expression" in message


def test_enum_and_length_limits_come_from_the_service_model(sagemaker: Any, training_request: Any) -> None:
    request = training_request()
    request["ResourceConfig"]["InstanceType"] = "ml.m5.nonexistent"
    code, message = error_of(sagemaker.create_training_job, **request)
    assert code == "ValidationException"
    assert "resourceConfig.instanceType" in message and "ml.m5.nonexistent" in message


def test_unsupported_image_names_the_field(sagemaker: Any, training_request: Any) -> None:
    request = training_request()
    request["AlgorithmSpecification"]["TrainingImage"] = (
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:1"
    )
    code, message = error_of(sagemaker.create_training_job, **request)
    assert code == "ValidationException"
    assert "AlgorithmSpecification.TrainingImage" in message and "my-own:1" in message


def test_unsupported_operation_names_the_operation(sagemaker: Any) -> None:
    code, message = error_of(
        sagemaker.create_endpoint_config,
        EndpointConfigName="cfg",
        ProductionVariants=[
            {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    assert code == "UnknownOperationException"
    assert "CreateEndpointConfig" in message


def raw_call(
    url: str,
    target: str | None,
    body: bytes,
    access_key: str = "testing",
    secret_key: str = "testing",
) -> tuple[int, dict[str, Any]]:
    """POST a hand-made body, SigV4-signed by botocore's signer unless `access_key` is empty."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target:
        headers["X-Amz-Target"] = target
    if access_key:
        signing = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
        SigV4Auth(Credentials(access_key, secret_key), "sagemaker", "us-east-1").add_auth(signing)
        headers = dict(signing.headers.items())
    request = urllib.request.Request(url + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_malformed_json_gets_the_real_error_shape(local_stack: Any) -> None:
    status, body = raw_call(local_stack.sagemaker_url, "SageMaker.ListTrainingJobs", b"{not json")
    assert status == 400
    assert body["__type"] == "SerializationException"


def test_wrong_type_is_rejected_with_the_member_named(local_stack: Any) -> None:
    status, body = raw_call(
        local_stack.sagemaker_url,
        "SageMaker.DescribeTrainingJob",
        json.dumps({"TrainingJobName": 7}).encode(),
    )
    assert status == 400
    assert body["__type"] == "ValidationException" and "TrainingJobName" in body["message"]


def test_unknown_target_and_oversized_body(local_stack: Any) -> None:
    status, body = raw_call(local_stack.sagemaker_url, "SageMaker.DoesNotExist", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body = raw_call(local_stack.sagemaker_url, "SageMaker.ListTrainingJobs", b" " * (3 * 1024 * 1024))
    assert (status, body["__type"]) == (413, "RequestEntityTooLargeException")
    # ...and the service is still answering afterwards.
    status, _ = raw_call(local_stack.sagemaker_url, "SageMaker.ListTrainingJobs", b"{}")
    assert status == 200


def test_requests_need_the_configured_access_key(local_stack: Any) -> None:
    status, body = raw_call(local_stack.sagemaker_url, "SageMaker.ListTrainingJobs", b"{}", access_key="")
    assert (status, body["__type"]) == (403, "MissingAuthenticationTokenException")
    stranger = boto3.client(
        "sagemaker",
        endpoint_url=local_stack.sagemaker_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDSOMEONEELSE",
        aws_secret_access_key="x",
    )
    with pytest.raises(ClientError) as caught:
        stranger.list_training_jobs()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_signature_is_verified_not_just_the_key(local_stack: Any) -> None:
    wrong_secret = boto3.client(
        "sagemaker",
        endpoint_url=local_stack.sagemaker_url,
        region_name=local_stack.region,
        aws_access_key_id=local_stack.access_key_id,
        aws_secret_access_key="not-the-secret",
    )
    with pytest.raises(ClientError) as caught:
        wrong_secret.list_training_jobs()
    error = caught.value.response
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["Error"]["Message"].startswith("The request signature we calculated does not match")
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A forged signature with the right key id is refused as well.
    status, body = raw_call(
        local_stack.sagemaker_url, "SageMaker.ListTrainingJobs", b"{}", secret_key="guessed"
    )
    assert (status, body["__type"]) == (400, "InvalidSignatureException")


def test_health_needs_no_credentials(local_stack: Any) -> None:
    with urllib.request.urlopen(f"{local_stack.sagemaker_url}/health") as answer:
        assert answer.status == 200 and json.loads(answer.read())["status"] == "ok"


def test_the_aws_cli_signs_requests_the_service_accepts(local_stack: Any) -> None:
    import os
    import shutil
    import subprocess

    from local_sagemaker.stack import stack_env

    aws = shutil.which("aws")
    if aws is None:
        pytest.skip("the aws CLI is not installed on this machine")
    env = {**os.environ, **stack_env(local_stack), "AWS_CONFIG_FILE": os.devnull}
    ok = subprocess.run(
        [aws, "sagemaker", "list-training-jobs", "--max-results", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "TrainingJobSummaries" in json.loads(ok.stdout)
    bad = subprocess.run(
        [aws, "sagemaker", "list-training-jobs"],
        env={**env, "AWS_SECRET_ACCESS_KEY": "not-the-secret"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "InvalidSignatureException" in bad.stderr


def test_the_async_client_the_deferrable_triggers_use_is_accepted(local_stack: Any) -> None:
    import asyncio

    aiobotocore_session = pytest.importorskip("aiobotocore.session")

    async def list_jobs() -> dict[str, Any]:
        session = aiobotocore_session.get_session()
        async with session.create_client(
            "sagemaker",
            endpoint_url=local_stack.sagemaker_url,
            region_name=local_stack.region,
            aws_access_key_id=local_stack.access_key_id,
            aws_secret_access_key=local_stack.secret_access_key,
        ) as client:
            return dict(await client.list_training_jobs(MaxResults=1))

    assert "TrainingJobSummaries" in asyncio.run(list_jobs())


def test_the_airflow_provider_hook_is_accepted(local_stack: Any) -> None:
    # The local_stack fixture exports AIRFLOW_CONN_AWS_DEFAULT; the provider signs through botocore.
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    hook = SageMakerHook(aws_conn_id="aws_default")
    assert "TrainingJobSummaries" in hook.conn.list_training_jobs(MaxResults=1)


def test_models_create_describe_delete(sagemaker: Any, model_data_url: str) -> None:
    name = unique("model")
    request = {
        "ModelName": name,
        "PrimaryContainer": {"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data_url},
        "ExecutionRoleArn": ROLE,
        "Tags": [{"Key": "team", "Value": "ml"}],
    }
    arn = sagemaker.create_model(**request)["ModelArn"]
    assert arn.endswith(f":model/{name}")
    described = sagemaker.describe_model(ModelName=name)
    assert described["PrimaryContainer"]["ModelDataUrl"] == model_data_url
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    code, message = error_of(sagemaker.create_model, **request)
    assert code == "ValidationException" and "already existing model" in message
    sagemaker.delete_model(ModelName=name)
    code, message = error_of(sagemaker.describe_model, ModelName=name)
    assert code == "ValidationException" and "Could not find model" in message


def test_tags_on_jobs_and_list_filters_with_pagination(sagemaker: Any, training_request: Any) -> None:
    marker = unique("listed")
    names = [f"{marker}-{i}" for i in range(3)]
    for name in names:
        arn = sagemaker.create_training_job(
            **training_request(name=name, hyperparameters={"num_round": "1"})
        )["TrainingJobArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "test"}])
    assert {"Key": "stage", "Value": "test"} in sagemaker.list_tags(ResourceArn=arn)["Tags"]
    first = sagemaker.list_training_jobs(
        NameContains=marker, MaxResults=2, SortBy="Name", SortOrder="Ascending"
    )
    assert [s["TrainingJobName"] for s in first["TrainingJobSummaries"]] == names[:2]
    rest = sagemaker.list_training_jobs(
        NameContains=marker, MaxResults=2, SortBy="Name", SortOrder="Ascending", NextToken=first["NextToken"]
    )
    assert [s["TrainingJobName"] for s in rest["TrainingJobSummaries"]] == names[2:]
    assert "NextToken" not in rest
    paginated = [
        s["TrainingJobName"]
        for page in sagemaker.get_paginator("list_training_jobs").paginate(NameContains=marker, SortBy="Name")
        for s in page["TrainingJobSummaries"]
    ]
    assert sorted(paginated) == names
