"""SageMaker's error codes as exceptions, so handlers raise and the protocol layer serialises."""

from __future__ import annotations


class ServiceError(Exception):
    """An error the client sees as `{"__type": code, "message": ...}` with an HTTP status."""

    code = "InternalFailure"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationException(ServiceError):
    code = "ValidationException"
    status = 400


class ResourceInUse(ServiceError):
    code = "ResourceInUse"
    status = 400


class ResourceNotFound(ServiceError):
    code = "ResourceNotFound"
    status = 400


class ResourceLimitExceeded(ServiceError):
    code = "ResourceLimitExceeded"
    status = 400


class ConflictException(ServiceError):
    code = "ConflictException"
    status = 400


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"
    status = 400


class SerializationException(ServiceError):
    code = "SerializationException"
    status = 400


class ThrottlingException(ServiceError):
    code = "ThrottlingException"
    status = 400


class ServiceUnavailable(ServiceError):
    code = "ServiceUnavailable"
    status = 503


# Authentication errors as JSON-protocol services send them: an unknown key or a bad signature is a
# 400, a request with no credentials at all a 403.
class UnrecognizedClientException(ServiceError):
    code = "UnrecognizedClientException"
    status = 400


class MissingAuthenticationTokenException(ServiceError):
    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignatureException(ServiceError):
    code = "IncompleteSignatureException"
    status = 400


class InvalidSignatureException(ServiceError):
    code = "InvalidSignatureException"
    status = 400


class RequestEntityTooLarge(ServiceError):
    code = "RequestEntityTooLargeException"
    status = 413


def not_found(kind: str, name: str) -> ValidationException:
    # The real service answers a Describe/Stop of an unknown job with ValidationException, not
    # ResourceNotFound; botocore's waiters and the provider's existence checks depend on it.
    return ValidationException(f"Requested resource not found. ({kind} {name!r} does not exist)")
