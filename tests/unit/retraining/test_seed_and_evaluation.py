"""The seeding script (run as the processing container runs it) and the evaluation of its output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retraining.evaluation import parse_numbers, regression_metrics
from retraining.scripts import seed_data


def run_seed(out: Path, rows: int = 1000, seed: int = 3) -> None:
    subprocess.run(
        [
            sys.executable,
            seed_data.__file__,
            "--rows",
            str(rows),
            "--seed",
            str(seed),
            "--output-dir",
            str(out),
        ],
        check=True,
        capture_output=True,
    )


def test_seed_writes_label_first_splits_and_is_deterministic(tmp_path: Path) -> None:
    run_seed(tmp_path / "a")
    run_seed(tmp_path / "b")
    files = ["train/train.csv", "validation/validation.csv", "test/test.csv", "test_labels/test_labels.csv"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    train = np.loadtxt(tmp_path / "a/train/train.csv", delimiter=",")
    test = np.loadtxt(tmp_path / "a/test/test.csv", delimiter=",")
    labels = np.loadtxt(tmp_path / "a/test_labels/test_labels.csv", delimiter=",")
    assert train.shape == (700, seed_data.FEATURES + 1) and test.shape == (150, seed_data.FEATURES)
    assert (
        labels.shape == (150,)
        and ((labels >= 0) & (labels <= 1)).all()
        and ((train[:, 0] >= 0) & (train[:, 0] <= 1)).all()
    )
    run_seed(tmp_path / "c", seed=4)
    assert (tmp_path / "c/train/train.csv").read_bytes() != (tmp_path / "a/train/train.csv").read_bytes()


def test_regression_metrics() -> None:
    metrics = regression_metrics([1.0, 2.0, 4.0], [1.0, 2.0, 2.0])
    assert (
        metrics["n"] == 3
        and metrics["mse"] == pytest.approx(4 / 3)
        and metrics["mae"] == pytest.approx(2 / 3)
    )
    with pytest.raises(ValueError, match="2 predictions for 3 labels"):
        regression_metrics([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="line 2"):
        parse_numbers("0.5\nabc\n", "transform output")
