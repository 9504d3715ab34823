"""Writes one night's data partition; runs inside a SageMaker processing container (scikit-learn image).

The base is scikit-learn's bundled diabetes regression set (no download). Each date gets its own
deterministic resample (same date -> same bytes) and the relationship drifts slowly over the year, so a
model trained months ago slowly goes stale. Labels are standardised, so an MSE of 1.0 is "no better than
the mean". `--label-noise` corrupts the training and validation labels (a broken upstream feed); the
held-out test rows keep their true labels, as a trusted holdout would."""

from __future__ import annotations

import argparse
import os
from datetime import date

import numpy as np
from sklearn.datasets import load_diabetes

EPOCH = date(2026, 1, 1)
TARGET_MEAN, TARGET_STD = 152.13, 77.09  # of the diabetes target
SPLITS = (("train", 0.70), ("validation", 0.15), ("test", 0.15))


def partition(day: date, rows: int, label_noise: float) -> dict[str, np.ndarray]:
    features_base, target = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(int(day.strftime("%Y%m%d")))
    picks = rng.integers(0, len(features_base), size=rows + rows // 5)
    features = features_base[picks] + rng.normal(scale=0.005, size=(len(picks), features_base.shape[1]))
    age_days = (day - EPOCH).days
    # Slow drift: the BMI and blood-pressure effects strengthen over the year.
    drift = 0.5 * age_days / 365
    label = (target[picks] - TARGET_MEAN) / TARGET_STD + drift * (8 * features[:, 2] + 6 * features[:, 3])
    label += rng.normal(scale=0.1, size=len(picks))

    scored, labelled = features[rows:], (features[:rows], label[:rows])
    bounds = np.cumsum([0] + [round(share * rows) for _, share in SPLITS])
    bounds[-1] = rows
    out: dict[str, np.ndarray] = {}
    for i, (name, _) in enumerate(SPLITS):
        part = slice(bounds[i], bounds[i + 1])
        y = labelled[1][part].copy()
        if name != "test" and label_noise:
            y += rng.normal(scale=label_noise, size=len(y))
        out[name] = np.column_stack([y, labelled[0][part]])
    out["score"] = scored
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", required=True, help="partition date, YYYY-MM-DD")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--label-noise", type=float, default=0.0)
    parser.add_argument("--output-dir", default="/opt/ml/processing/output")
    args = parser.parse_args()

    for name, matrix in partition(date.fromisoformat(args.date), args.rows, args.label_noise).items():
        target = os.path.join(args.output_dir, name, f"{name}.csv")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        np.savetxt(target, matrix, delimiter=",", fmt="%.6f")
        print(f"ds={args.date} {name}: {matrix.shape[0]} rows x {matrix.shape[1]} columns")


if __name__ == "__main__":
    main()
