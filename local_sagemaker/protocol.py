"""SageMaker's wire protocol: JSON 1.1 over HTTP POST, `X-Amz-Target`, SigV4 authentication, error shapes."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local_sagemaker.config import ServiceSettings
from local_sagemaker.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    RequestEntityTooLarge,
    SerializationException,
    ServiceError,
    UnknownOperationException,
    UnrecognizedClientException,
)
from local_sagemaker.faults import FaultBook
from local_sagemaker.operations import OPERATIONS
from local_sagemaker.operations.context import ServiceContext
from local_sagemaker.support.matrix import refuse_unsupported
from local_sagemaker.validation import service_model, validate_request

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "SageMaker."

SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
SIGNING_NAME = "sagemaker"  # the service model's signingName
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# AWS refuses a signature whose X-Amz-Date is more than five minutes from its own clock, either way.
MAX_CLOCK_SKEW = timedelta(minutes=5)
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class IncomingRequest:
    """What the protocol layer needs of an HTTP request; header names are lower case."""

    headers: dict[str, str]
    body: bytes
    method: str = "POST"
    path: str = "/"  # as sent, still percent-encoded
    query: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class SigV4Authorization:
    access_key: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> SigV4Authorization:
    """Split `AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=a;b, Signature=hex`."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != SIGV4_ALGORITHM:
        raise IncompleteSignatureException(
            f"Unsupported authorization algorithm {algorithm!r}: sign requests with Signature Version 4 "
            f"({SIGV4_ALGORITHM}), as the AWS SDKs and CLI do."
        )
    params: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            params[key.strip()] = val.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not params.get(name)]
    if missing:
        raise IncompleteSignatureException(
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
            + f" Authorization={value}"
        )
    scope = params["Credential"].split("/")
    if len(scope) != 5 or not all(scope):
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/aws4_request, got '{params['Credential']}'."
        )
    return SigV4Authorization(
        access_key=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        terminator=scope[4],
        signed_headers=tuple(h.strip().lower() for h in params["SignedHeaders"].split(";") if h.strip()),
        signature=params["Signature"],
    )


def _check_clock(amz_date: str, received_at: datetime) -> None:
    try:
        signed_at = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise IncompleteSignatureException(
            f"X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z', got '{amz_date}'."
        ) from exc
    now = received_at.astimezone(UTC)

    def stamp(moment: datetime) -> str:
        return moment.strftime(AMZ_DATE_FORMAT)

    minutes = int(MAX_CLOCK_SKEW.total_seconds() // 60)
    if signed_at < now - MAX_CLOCK_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is now earlier than {stamp(now - MAX_CLOCK_SKEW)} "
            f"({stamp(now)} - {minutes} min.)"
        )
    if signed_at > now + MAX_CLOCK_SKEW:
        raise InvalidSignatureException(
            f"Signature not yet current: {amz_date} is still later than {stamp(now + MAX_CLOCK_SKEW)} "
            f"({stamp(now)} + {minutes} min.)"
        )


def expected_signature(
    request: IncomingRequest, auth: SigV4Authorization, secret_access_key: str, amz_date: str
) -> str:
    """Recompute the signature with botocore's own SigV4 signer over the request as it arrived."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    # Only the headers the client says it signed take part; the host comes from its Host header, so the
    # URL's host is a placeholder. An http URL makes botocore hash the payload, as every client over
    # plain HTTP (and boto3 for SageMaker over HTTPS) does.
    url = "http://signed-host" + (request.path or "/") + (f"?{request.query}" if request.query else "")
    rebuilt = AWSRequest(
        method=request.method,
        url=url,
        headers={name: request.headers[name] for name in auth.signed_headers},
        data=request.body,
    )
    rebuilt.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(auth.access_key, secret_access_key), auth.service, auth.region)
    canonical_request = signer.canonical_request(rebuilt)
    return str(signer.signature(signer.string_to_sign(rebuilt, canonical_request), rebuilt))


def authenticate(settings: ServiceSettings, request: IncomingRequest) -> None:
    """Admit only requests signed (SigV4) with the configured key pair, within AWS's clock-skew window."""
    if not settings.require_auth:
        return
    authorization = request.headers.get("authorization")
    if not authorization:
        raise MissingAuthenticationTokenException("Request is missing Authentication Token")
    auth = parse_authorization(authorization)
    if not hmac.compare_digest(auth.access_key.encode(), settings.access_key_id.encode()):
        raise UnrecognizedClientException("The security token included in the request is invalid.")
    amz_date = request.headers.get("x-amz-date")
    if not amz_date:
        raise IncompleteSignatureException(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header; "
            "this service reads 'X-Amz-Date'."
        )
    _check_clock(amz_date, request.received_at)
    if auth.date != amz_date[:8]:
        raise InvalidSignatureException(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{auth.date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if auth.region != settings.region:
        raise InvalidSignatureException(
            f"Credential should be scoped to a valid region, not '{auth.region}'. "
            f"This endpoint serves '{settings.region}'."
        )
    if auth.service != SIGNING_NAME:
        raise InvalidSignatureException(
            f"Credential should be scoped to correct service: '{SIGNING_NAME}', not '{auth.service}'."
        )
    if auth.terminator != "aws4_request":
        raise InvalidSignatureException(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{auth.terminator}'."
        )
    if "host" not in auth.signed_headers:
        raise InvalidSignatureException("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if any(name not in request.headers for name in auth.signed_headers):
        raise InvalidSignatureException(SIGNATURE_MISMATCH)
    claimed_hash = request.headers.get("x-amz-content-sha256")
    if claimed_hash is not None and claimed_hash != hashlib.sha256(request.body).hexdigest():
        # botocore's signer trusts this header in place of hashing the body: never let it vouch for a body
        # it does not describe (this includes UNSIGNED-PAYLOAD).
        raise InvalidSignatureException(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    expected = expected_signature(request, auth, settings.secret_access_key, amz_date)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise InvalidSignatureException(SIGNATURE_MISMATCH)


def parse_operation(target: str | None) -> str:
    if not target or not target.startswith(TARGET_PREFIX):
        raise UnknownOperationException(
            f"Missing or malformed X-Amz-Target header {target!r}; expected 'SageMaker.<Operation>'"
        )
    operation = target[len(TARGET_PREFIX) :]
    if operation not in OPERATIONS:
        known = operation in service_model().operation_names
        what = (
            "is a SageMaker operation the local service does not support"
            if known
            else "is not a SageMaker operation"
        )
        raise UnknownOperationException(
            f"{operation} {what}. Supported operations: {', '.join(sorted(OPERATIONS))}"
        )
    return operation


def body_too_large(size: int, limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"Request body of {size} bytes exceeds the limit of {limit} bytes")


def parse_body(raw: bytes, limit: int) -> Any:
    if len(raw) > limit:
        raise body_too_large(len(raw), limit)
    if not raw.strip():
        return {}
    try:
        params = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(params, dict):
        raise SerializationException(f"The request body must be a JSON object, not {type(params).__name__}")
    return params


def handle(
    ctx: ServiceContext, request: IncomingRequest, faults: FaultBook | None = None
) -> tuple[int, bytes]:
    """One request in, (HTTP status, JSON body) out; never raises. `faults`: see local_sagemaker.faults."""
    try:
        authenticate(ctx.settings, request)
        operation = parse_operation(request.headers.get("x-amz-target"))
        params = parse_body(request.body, ctx.settings.max_body_bytes)
        validate_request(operation, params)
        # Client requests only: jobs the service starts itself (tuning children) never come through here.
        refuse_unsupported(operation, params)
        if faults and (injected := faults.api_fault(operation, params, after=False)):
            raise injected
        answer = json.dumps(OPERATIONS[operation](ctx, params)).encode()
        if faults and (injected := faults.api_fault(operation, params, after=True)):
            raise injected  # the call took effect; only its answer is lost
        return 200, answer
    except ServiceError as exc:
        return exc.status, error_json(exc.code, exc.message)
    except Exception as exc:
        log.exception("internal failure on %s", request.headers.get("x-amz-target"))
        return 500, error_json("InternalFailure", f"The local service failed on this request: {exc}")


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"__type": code, "message": message}


def error_json(code: str, message: str) -> bytes:
    return json.dumps(error_body(code, message)).encode()


def response_headers() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": CONTENT_TYPE}
