"""Bad parameters are refused before any job starts, with the field, the value and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from retraining.settings import TrainingRunSettings, parse_settings

GOOD: dict[str, Any] = {
    "bucket": "my-ml-bucket",
    "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "region": "us-east-1",
    "hyperparameters": {"num_round": "5"},
}


def test_good_settings_pass() -> None:
    assert parse_settings(GOOD, TrainingRunSettings).training_instance_type == "ml.m5.xlarge"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("bucket", "s3://my-ml-bucket", "without s3://"),
        ("bucket", "My_Bucket", "lowercase letters"),
        ("bucket", "192.168.1.1", "not a valid S3 bucket name"),
        ("role_arn", "SageMakerRole", "arn:aws:iam::"),
        ("region", "Virginia", "us-east-1"),
        ("training_instance_type", "ml.t9.huge", "ml.m5."),
        ("transform_instance_type", "m5.large", "instance type"),
        ("max_runtime_seconds", 0, "greater than or equal to 1"),
        ("max_runtime_seconds", 10**9, "less than or equal to 432000"),
        ("rows", 5, "greater than or equal to 100"),
    ],
)
def test_each_bad_field_is_named_with_its_value(field: str, value: Any, expected: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_settings({**GOOD, field: value}, TrainingRunSettings)
    message = str(caught.value)
    assert message.startswith(f"{field}:") and repr(value) in message and expected in message


@pytest.mark.parametrize(
    "hyperparameters", [{}, {"num_round": "abc"}, {"num_round": "0"}, {"num_round": "5", "eta": ""}]
)
def test_hyperparameters_need_a_positive_num_round_and_non_empty_values(
    hyperparameters: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match=r"hyperparameters: .*(num_round|eta)"):
        parse_settings({**GOOD, "hyperparameters": hyperparameters}, TrainingRunSettings)


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        parse_settings({**GOOD, "colour": "blue"}, TrainingRunSettings)
