"""The quality gate between a candidate model and the champion (SageMaker Pipelines' condition step, seed 003)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    candidate_mse: float
    champion_mse: float | None
    message: str


def evaluate_gate(
    candidate_mse: float, champion_mse: float | None, threshold: float, tolerance: float
) -> GateDecision:
    """Pass when MSE <= threshold and the candidate is not worse than the champion by more than `tolerance`.

    Both MSEs are measured on the same night's held-out rows, so the comparison is fair."""
    problems = []
    if candidate_mse > threshold:
        problems.append(f"MSE {candidate_mse:.5f} is above the threshold {threshold:.5f}")
    if champion_mse is not None and candidate_mse > champion_mse * (1 + tolerance):
        problems.append(
            f"MSE {candidate_mse:.5f} is worse than the champion's {champion_mse:.5f} on the same data "
            f"by more than the tolerance of {tolerance:.1%}"
        )
    versus = f"champion {champion_mse:.5f}" if champion_mse is not None else "no champion"
    if problems:
        return GateDecision(
            False,
            candidate_mse,
            champion_mse,
            "Quality gate failed: " + "; ".join(problems) + f" (candidate {candidate_mse:.5f}, {versus}).",
        )
    return GateDecision(
        True,
        candidate_mse,
        champion_mse,
        f"Quality gate passed: candidate {candidate_mse:.5f}, {versus}, threshold {threshold:.5f}.",
    )


def read_evaluation(report: dict[str, Any]) -> tuple[float, float | None]:
    """(candidate MSE, champion MSE or None) from evaluation.json in seed 003's shape."""
    try:
        candidate = float(report["regression_metrics"]["mse"]["value"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"evaluation.json has no regression_metrics.mse.value: {report!r}") from error
    champion = report.get("champion")
    return candidate, None if not champion else float(champion["regression_metrics"]["mse"]["value"])
