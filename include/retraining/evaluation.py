"""Model quality from a batch-transform output and the true labels."""

from __future__ import annotations

import math
from collections.abc import Sequence


def parse_numbers(text: str, what: str) -> list[float]:
    numbers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            numbers.append(float(line.split(",")[0]))
        except ValueError:
            raise ValueError(f"{what}, line {number}: {line[:40]!r} is not a number") from None
    return numbers


def regression_metrics(predictions: Sequence[float], labels: Sequence[float]) -> dict[str, float]:
    if len(predictions) != len(labels):
        raise ValueError(
            f"{len(predictions)} predictions for {len(labels)} labels: the transform output must have one line per row"
        )
    if not labels:
        raise ValueError("no rows to evaluate")
    errors = [p - y for p, y in zip(predictions, labels, strict=True)]
    mse = sum(e * e for e in errors) / len(errors)
    return {
        "n": len(errors),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": sum(abs(e) for e in errors) / len(errors),
    }
