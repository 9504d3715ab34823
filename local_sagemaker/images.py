"""Which container images the service can run, recognised from the image URI as SageMaker's are."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Algorithm:
    name: str
    description: str


XGBOOST = Algorithm("xgboost", "SageMaker built-in XGBoost")
PYTHON_PROCESSING = Algorithm("python-processing", "a processing container that runs python3 scripts")

# Repository names of AWS's first-party images, in any region's registry (ECR, or a mirror).
_IMAGE_TABLE: tuple[tuple[re.Pattern[str], Algorithm], ...] = (
    (re.compile(r"(^|/)(sagemaker-)?xgboost(:[\w.\-]+)?$"), XGBOOST),
    (re.compile(r"(^|/)sagemaker-scikit-learn(:[\w.\-]+)?$"), PYTHON_PROCESSING),
    (re.compile(r"(^|/)sagemaker-(base-)?python(:[\w.\-]+)?$"), PYTHON_PROCESSING),
    (re.compile(r"(^|/)(pytorch|tensorflow)-training(:[\w.\-]+)?$"), PYTHON_PROCESSING),
    (re.compile(r"(^|/)python(:[\w.\-]+)?$"), PYTHON_PROCESSING),
)

SUPPORTED_TRAINING = (
    "SageMaker's built-in XGBoost images (.../sagemaker-xgboost:<version> or .../xgboost:latest)"
)
SUPPORTED_PROCESSING = "images that run python3 scripts (.../sagemaker-scikit-learn:<version>, .../sagemaker-xgboost:<version>, .../sagemaker-base-python, python:<tag>)"


def algorithm_for_image(image_uri: str) -> Algorithm | None:
    repository = image_uri.split("@", 1)[0]
    for pattern, algorithm in _IMAGE_TABLE:
        if pattern.search(repository):
            return algorithm
    return None
