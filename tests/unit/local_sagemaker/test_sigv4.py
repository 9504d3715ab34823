"""SigV4 verification in the protocol layer, without a server: botocore signs, the service checks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local_sagemaker.config import ServiceSettings
from local_sagemaker.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    ServiceError,
    UnrecognizedClientException,
)
from local_sagemaker.protocol import (
    CONTENT_TYPE,
    SIGNATURE_MISMATCH,
    IncomingRequest,
    authenticate,
    parse_authorization,
)

HOST = "127.0.0.1:7070"


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(
        state_dir=tmp_path,
        access_key_id="AKIDLOCAL",
        secret_access_key="local-secret",
        s3_endpoint_url="http://127.0.0.1:1",
        logs_endpoint_url="http://127.0.0.1:1",
    )


def signed(
    body: bytes = b"{}",
    *,
    access_key: str = "AKIDLOCAL",
    secret: str = "local-secret",
    region: str = "us-east-1",
    service: str = "sagemaker",
    headers: dict[str, str] | None = None,
    received_after: timedelta = timedelta(0),
) -> IncomingRequest:
    """A request exactly as boto3 would send it, seen by a server whose clock is `received_after` ahead."""
    request = AWSRequest(
        method="POST",
        url=f"http://{HOST}/",
        data=body,
        headers={
            "X-Amz-Target": "SageMaker.ListTrainingJobs",
            "Content-Type": CONTENT_TYPE,
            **(headers or {}),
        },
    )
    SigV4Auth(Credentials(access_key, secret), service, region).add_auth(request)
    sent = {name.lower(): value for name, value in request.headers.items()}
    sent["host"] = HOST  # what the HTTP client adds on the wire
    return IncomingRequest(headers=sent, body=body, received_at=datetime.now(UTC) + received_after)


def rejected(settings: ServiceSettings, request: IncomingRequest) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        authenticate(settings, request)
    return caught.value


def test_a_request_signed_by_botocore_with_the_configured_pair_is_accepted(settings: ServiceSettings) -> None:
    authenticate(settings, signed(b'{"MaxResults": 5}'))


def test_wrong_secret_is_an_invalid_signature_with_awss_message_and_status(settings: ServiceSettings) -> None:
    error = rejected(settings, signed(secret="not-the-secret"))
    assert isinstance(error, InvalidSignatureException)
    assert (error.code, error.status, error.message) == ("InvalidSignatureException", 400, SIGNATURE_MISMATCH)


def test_unknown_access_key_is_an_unrecognized_client(settings: ServiceSettings) -> None:
    error = rejected(settings, signed(access_key="AKIDSOMEONEELSE"))
    assert isinstance(error, UnrecognizedClientException)
    assert error.status == 400
    assert error.message == "The security token included in the request is invalid."


def test_no_authorization_header_is_a_missing_token(settings: ServiceSettings) -> None:
    request = signed()
    unsigned = {k: v for k, v in request.headers.items() if k != "authorization"}
    error = rejected(settings, IncomingRequest(headers=unsigned, body=request.body))
    assert isinstance(error, MissingAuthenticationTokenException)
    assert (error.code, error.status) == ("MissingAuthenticationTokenException", 403)


def test_a_body_changed_after_signing_is_refused(settings: ServiceSettings) -> None:
    request = signed(b'{"MaxResults": 5}')
    tampered = IncomingRequest(headers=request.headers, body=b'{"MaxResults": 6}')
    assert rejected(settings, tampered).message == SIGNATURE_MISMATCH


def test_a_signed_header_changed_after_signing_is_refused(settings: ServiceSettings) -> None:
    request = signed()
    headers = {**request.headers, "x-amz-target": "SageMaker.DeleteModel"}
    assert (
        rejected(settings, IncomingRequest(headers=headers, body=request.body)).message == SIGNATURE_MISMATCH
    )


def test_a_content_hash_header_cannot_vouch_for_another_body(settings: ServiceSettings) -> None:
    # botocore's signer uses x-amz-content-sha256 instead of hashing the body: the service must check it.
    claimed = hashlib.sha256(b"{}").hexdigest()
    request = signed(b"{}", headers={"X-Amz-Content-SHA256": claimed})
    authenticate(settings, request)
    swapped = IncomingRequest(headers=request.headers, body=b'{"MaxResults": 1}')
    assert "x-amz-content-sha256" in rejected(settings, swapped).message
    unsigned_payload = signed(b"{}", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert isinstance(rejected(settings, unsigned_payload), InvalidSignatureException)


@pytest.mark.parametrize("skew_minutes", [-4, 4])
def test_clock_skew_within_five_minutes_is_tolerated(settings: ServiceSettings, skew_minutes: int) -> None:
    authenticate(settings, signed(received_after=timedelta(minutes=skew_minutes)))


def test_a_signature_older_than_five_minutes_has_expired(settings: ServiceSettings) -> None:
    error = rejected(settings, signed(received_after=timedelta(minutes=6)))
    assert isinstance(error, InvalidSignatureException) and error.status == 400
    assert error.message.startswith("Signature expired: ")
    assert error.message.endswith(" - 5 min.)") and "is now earlier than" in error.message


def test_a_signature_from_the_future_is_not_yet_current(settings: ServiceSettings) -> None:
    error = rejected(settings, signed(received_after=timedelta(minutes=-6)))
    assert isinstance(error, InvalidSignatureException)
    assert error.message.startswith("Signature not yet current: ") and error.message.endswith(" + 5 min.)")


def test_scope_must_name_this_region_and_service(settings: ServiceSettings) -> None:
    assert "region" in rejected(settings, signed(region="eu-west-1")).message
    assert "'sagemaker'" in rejected(settings, signed(service="s3")).message


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/sagemaker/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/us-east-1, SignedHeaders=host, Signature=00",
    ],
)
def test_malformed_authorization_is_an_incomplete_signature(settings: ServiceSettings, header: str) -> None:
    request = signed()
    error = rejected(
        settings, IncomingRequest(headers={**request.headers, "authorization": header}, body=b"{}")
    )
    assert isinstance(error, IncompleteSignatureException)
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)


def test_missing_x_amz_date_is_an_incomplete_signature(settings: ServiceSettings) -> None:
    request = signed()
    headers = {k: v for k, v in request.headers.items() if k != "x-amz-date"}
    assert isinstance(
        rejected(settings, IncomingRequest(headers=headers, body=b"{}")), IncompleteSignatureException
    )


def test_host_must_be_signed(settings: ServiceSettings) -> None:
    request = signed()
    auth = parse_authorization(request.headers["authorization"])
    assert "host" in auth.signed_headers  # botocore always signs it
    others = ";".join(h for h in auth.signed_headers if h != "host")
    without_host = (
        f"AWS4-HMAC-SHA256 Credential=AKIDLOCAL/{auth.date}/us-east-1/sagemaker/aws4_request, "
        f"SignedHeaders={others}, Signature={auth.signature}"
    )
    error = rejected(
        settings, IncomingRequest(headers={**request.headers, "authorization": without_host}, body=b"{}")
    )
    assert isinstance(error, InvalidSignatureException) and "'Host'" in error.message


def test_auth_can_be_switched_off_only_explicitly(settings: ServiceSettings) -> None:
    open_settings = settings.model_copy(update={"require_auth": False})
    authenticate(open_settings, IncomingRequest(headers={}, body=b"{}"))
    assert isinstance(
        rejected(settings, IncomingRequest(headers={}, body=b"{}")), MissingAuthenticationTokenException
    )
