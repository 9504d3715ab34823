"""Container image URIs of SageMaker's first-party images, resolved by sagemaker-core for a region."""

from __future__ import annotations

import functools


@functools.cache
def xgboost_image_uri(region: str, version: str = "1.7-1") -> str:
    # Imported here: sagemaker-core takes seconds to import, which DAG parsing must never pay.
    from sagemaker.core import image_uris

    return str(image_uris.retrieve("xgboost", region, version=version))


@functools.cache
def sklearn_processing_image_uri(region: str, version: str = "1.2-1") -> str:
    from sagemaker.core import image_uris

    return str(image_uris.retrieve("sklearn", region, version=version))
