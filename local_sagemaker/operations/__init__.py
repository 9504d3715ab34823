"""The SageMaker operations the service implements, by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_sagemaker.operations import (
    models,
    pipelines,
    processing,
    registry,
    tags,
    training,
    transform,
    tuning,
)
from local_sagemaker.operations.context import ServiceContext

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]

OPERATIONS: dict[str, Handler] = {
    **training.OPERATIONS,
    **transform.OPERATIONS,
    **processing.OPERATIONS,
    **tuning.OPERATIONS,
    **models.OPERATIONS,
    **registry.OPERATIONS,
    **tags.OPERATIONS,
    **pipelines.OPERATIONS,
}
