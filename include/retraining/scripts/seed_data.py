"""Seeds a synthetic, deterministic data set for XGBoost; runs inside a SageMaker processing container.

Writes CSV without headers, as SageMaker's built-in XGBoost reads it: train and validation with the label
in the first column, test with features only (the batch-transform input) and its labels apart."""

from __future__ import annotations

import argparse
import os

import numpy as np

FEATURES = 8
SPLITS = (("train", 0.70), ("validation", 0.15), ("test", 0.15))


def generate(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and a label in [0, 1] (a noisy probability), fit for `reg:logistic`."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, FEATURES))
    weights = np.linspace(1.5, -1.0, FEATURES)
    signal = features @ weights + 0.8 * np.sin(2 * features[:, 0]) + 0.5 * features[:, 1] * features[:, 2]
    label = 1.0 / (1.0 + np.exp(-(signal + rng.normal(scale=0.5, size=rows))))
    return features, label


def write_csv(path: str, matrix: np.ndarray) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savetxt(path, matrix, delimiter=",", fmt="%.6f")
    print(f"wrote {path}: {matrix.shape[0]} rows x {matrix.shape[1] if matrix.ndim > 1 else 1} columns")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output-dir", default="/opt/ml/processing/output")
    args = parser.parse_args()

    features, label = generate(args.rows, args.seed)
    bounds = np.cumsum([0] + [round(share * args.rows) for _, share in SPLITS])
    bounds[-1] = args.rows
    parts = {name: slice(bounds[i], bounds[i + 1]) for i, (name, _) in enumerate(SPLITS)}
    out = args.output_dir
    write_csv(f"{out}/train/train.csv", np.column_stack([label[parts["train"]], features[parts["train"]]]))
    write_csv(
        f"{out}/validation/validation.csv",
        np.column_stack([label[parts["validation"]], features[parts["validation"]]]),
    )
    write_csv(f"{out}/test/test.csv", features[parts["test"]])
    write_csv(f"{out}/test_labels/test_labels.csv", label[parts["test"]].reshape(-1, 1))


if __name__ == "__main__":
    main()
