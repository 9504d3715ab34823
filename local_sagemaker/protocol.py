"""SageMaker's wire protocol: JSON 1.1 over HTTP POST, `X-Amz-Target`, SigV4 credentials, error shapes."""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from local_sagemaker.errors import (
    MissingAuthenticationTokenException,
    RequestEntityTooLarge,
    SerializationException,
    ServiceError,
    UnknownOperationException,
    UnrecognizedClientException,
)
from local_sagemaker.operations import OPERATIONS
from local_sagemaker.operations.context import ServiceContext
from local_sagemaker.validation import service_model, validate_request

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "SageMaker."
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def check_credentials(ctx: ServiceContext, authorization: str | None) -> None:
    """Only requests signed with the configured access key get in, as with an IAM user's key."""
    if not ctx.settings.require_auth:
        return
    if not authorization:
        raise MissingAuthenticationTokenException("Missing Authentication Token")
    match = _CREDENTIAL.search(authorization)
    if match is None or match.group(1) != ctx.settings.access_key_id:
        raise UnrecognizedClientException("The security token included in the request is invalid.")


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


def parse_body(raw: bytes, limit: int) -> Any:
    if len(raw) > limit:
        raise RequestEntityTooLarge(f"Request body of {len(raw)} bytes exceeds the limit of {limit} bytes")
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}") from exc


def handle(ctx: ServiceContext, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
    """One request in, (HTTP status, JSON body) out; never raises."""
    try:
        check_credentials(ctx, headers.get("authorization"))
        operation = parse_operation(headers.get("x-amz-target"))
        params = parse_body(raw, ctx.settings.max_body_bytes)
        validate_request(operation, params)
        return 200, OPERATIONS[operation](ctx, params)
    except ServiceError as exc:
        return exc.status, error_body(exc.code, exc.message)
    except Exception as exc:
        log.exception("internal failure")
        return 500, error_body("InternalFailure", f"The local service failed on this request: {exc}")


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"__type": code, "message": message}


def response_headers() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": CONTENT_TYPE}
