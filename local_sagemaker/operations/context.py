"""What every operation handler is given: settings, the store and the job supervisor."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_sagemaker.clock import now
from local_sagemaker.config import ServiceSettings
from local_sagemaker.errors import ValidationException
from local_sagemaker.store import Store

__all__ = ["ServiceContext", "now", "paginate", "reject_duplicates", "require_s3_uri"]

if TYPE_CHECKING:
    from local_sagemaker.supervisor import Supervisor


@dataclass
class ServiceContext:
    settings: ServiceSettings
    store: Store
    supervisor: Supervisor

    def arn(self, resource: str, name: str) -> str:
        # SageMaker lower-cases the name part of its ARNs.
        return (
            f"arn:aws:sagemaker:{self.settings.region}:{self.settings.account_id}:{resource}/{name.lower()}"
        )


def paginate(items: list[Any], params: dict[str, Any], default_max: int = 10) -> tuple[list[Any], str | None]:
    """Slice a sorted list by MaxResults/NextToken; the token is an opaque offset."""
    offset = 0
    token = params.get("NextToken")
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError as exc:
            raise ValidationException(f"Invalid pagination token {token!r}") from exc
    limit = params.get("MaxResults") or default_max
    page = items[offset : offset + limit]
    next_offset = offset + limit
    next_token = (
        base64.urlsafe_b64encode(str(next_offset).encode()).decode() if next_offset < len(items) else None
    )
    return page, next_token


def require_s3_uri(value: str, field: str) -> None:
    if not value.startswith("s3://") or len(value) <= len("s3://") or value[5] == "/":
        raise ValidationException(f"{field}: {value!r} is not an S3 URI; use s3://<bucket>/<prefix>")


def reject_duplicates(names: list[str], field: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValidationException(
                f"{field}: the name {name!r} is used more than once; names must be unique"
            )
        seen.add(name)
