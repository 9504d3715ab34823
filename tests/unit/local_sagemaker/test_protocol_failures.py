"""The service answers every request with AWS's error shape: nothing crashes it, nothing leaks a traceback."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local_sagemaker.app import build_context, create_app
from local_sagemaker.config import ServiceSettings
from local_sagemaker.operations import OPERATIONS

if TYPE_CHECKING:
    from starlette.testclient import TestClient

URL = "http://testserver/"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = ServiceSettings(
        state_dir=tmp_path,
        max_body_bytes=64 * 1024,
        s3_endpoint_url="http://127.0.0.1:1",
        logs_endpoint_url="http://127.0.0.1:1",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
        from starlette.testclient import TestClient
    # No lifespan: the job supervisor is not needed to answer requests.
    yield TestClient(create_app(build_context(settings)), raise_server_exceptions=False)


def post(client: TestClient, operation: str, body: bytes, sign: bool = True) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"SageMaker.{operation}"}
    if sign:
        request = AWSRequest(method="POST", url=URL, data=body, headers=headers)
        SigV4Auth(Credentials("testing", "testing"), "sagemaker", "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
    answer = client.post(URL, content=body, headers=headers)
    assert answer.headers["content-type"] == "application/x-amz-json-1.1"
    assert answer.headers["x-amzn-requestid"]
    return answer.status_code, answer.json()


def test_a_handler_that_fails_is_an_internal_failure_and_is_logged(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(OPERATIONS, "ListTrainingJobs", boom)
    with caplog.at_level(logging.ERROR):
        status, body = post(client, "ListTrainingJobs", b"{}")
    assert (status, body["__type"]) == (500, "InternalFailure")
    assert "disk on fire" in caplog.text and "Traceback" in caplog.text


def test_a_response_that_cannot_be_serialised_is_an_internal_failure(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(OPERATIONS, "ListTrainingJobs", lambda ctx, params: {"when": object()})
    status, body = post(client, "ListTrainingJobs", b"{}")
    assert (status, body["__type"]) == (500, "InternalFailure")


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"[" * 20_000, b"\xff\xfe{", b"{not json"])
def test_bodies_that_are_not_a_json_object_are_serialization_exceptions(
    client: TestClient, body: bytes
) -> None:
    status, answer = post(client, "ListTrainingJobs", body)
    assert (status, answer["__type"]) == (400, "SerializationException")


def test_an_oversized_body_is_refused_without_being_held_and_the_service_goes_on(client: TestClient) -> None:
    status, body = post(client, "ListTrainingJobs", b" " * (65 * 1024), sign=False)
    assert (status, body["__type"]) == (413, "RequestEntityTooLargeException")
    assert "limit of 65536 bytes" in body["message"]
    status, body = post(client, "ListTrainingJobs", b"{}")
    assert status == 200 and body["TrainingJobSummaries"] == []


def test_wrong_types_are_validation_exceptions_naming_the_member(client: TestClient) -> None:
    status, body = post(client, "DescribeTrainingJob", json.dumps({"TrainingJobName": ["x"]}).encode())
    assert (status, body["__type"]) == (400, "ValidationException") and "TrainingJobName" in body["message"]


def test_unknown_and_missing_targets_are_unknown_operations(client: TestClient) -> None:
    assert post(client, "DoesNotExist", b"{}")[1]["__type"] == "UnknownOperationException"
    request = AWSRequest(
        method="POST", url=URL, data=b"{}", headers={"Content-Type": "application/x-amz-json-1.1"}
    )
    SigV4Auth(Credentials("testing", "testing"), "sagemaker", "us-east-1").add_auth(request)
    answer = client.post(URL, content=b"{}", headers=dict(request.headers.items()))
    assert (answer.status_code, answer.json()["__type"]) == (400, "UnknownOperationException")


def test_health_is_open_and_the_api_is_not(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    status, body = post(client, "ListTrainingJobs", b"{}", sign=False)
    assert (status, body["__type"]) == (403, "MissingAuthenticationTokenException")
