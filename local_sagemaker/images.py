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
    "SageMaker's XGBoost images (.../sagemaker-xgboost:<version> or .../xgboost:latest: the built-in "
    "algorithm, or script mode with HyperParameters sagemaker_program and sagemaker_submit_directory), "
    "the scikit-learn framework image (.../sagemaker-scikit-learn:<version>, script mode), or any of "
    "those and .../sagemaker-base-python, python:<tag> with AlgorithmSpecification.ContainerEntrypoint"
)

# Framework images whose own libraries (torch, tensorflow, ...) the local service does not have.
_OTHER_FRAMEWORK_IMAGE = re.compile(
    r"(^|/)(pytorch|tensorflow|huggingface|mxnet|chainer|autogluon|djl)[\w\-]*(:[\w.\-]+)?$"
)


def is_other_framework_image(image_uri: str) -> bool:
    """A deep-learning framework image (PyTorch, TensorFlow, Hugging Face...) that cannot train locally."""
    return bool(_OTHER_FRAMEWORK_IMAGE.search(image_uri.split("@", 1)[0]))


SUPPORTED_PROCESSING = "images that run python3 scripts (.../sagemaker-scikit-learn:<version>, .../sagemaker-xgboost:<version>, .../sagemaker-base-python, python:<tag>)"


def algorithm_for_image(image_uri: str) -> Algorithm | None:
    repository = image_uri.split("@", 1)[0]
    for pattern, algorithm in _IMAGE_TABLE:
        if pattern.search(repository):
            return algorithm
    return None
