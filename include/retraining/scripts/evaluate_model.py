"""Scores the candidate (and the champion, when given) on the night's held-out rows; writes evaluation.json.

Runs inside a SageMaker processing container built on the XGBoost image, as SageMaker Pipelines'
evaluation step does. Output follows that step's report shape: regression_metrics.mse.value."""

from __future__ import annotations

import glob
import json
import os
import tarfile
import tempfile

import numpy as np
import xgboost

BASE = "/opt/ml/processing"


def load_booster(directory: str) -> xgboost.Booster:
    archive = glob.glob(os.path.join(directory, "**", "*.tar.gz"), recursive=True)
    if not archive:
        raise SystemExit(f"no model.tar.gz under {directory}")
    with tarfile.open(archive[0]) as tar, tempfile.TemporaryDirectory() as unpacked:
        tar.extractall(unpacked, filter="data")
        booster = xgboost.Booster()
        with open(os.path.join(unpacked, "xgboost-model"), "rb") as model_file:
            booster.load_model(bytearray(model_file.read()))
        return booster


def mse_report(booster: xgboost.Booster, features: np.ndarray, labels: np.ndarray) -> dict[str, object]:
    squared = (booster.predict(xgboost.DMatrix(features)) - labels) ** 2
    return {
        "regression_metrics": {
            "mse": {"value": float(squared.mean()), "standard_deviation": float(squared.std())}
        }
    }


def main() -> None:
    test = np.vstack(
        [np.loadtxt(path, delimiter=",", ndmin=2) for path in sorted(glob.glob(f"{BASE}/input/test/*.csv"))]
    )
    labels, features = test[:, 0], test[:, 1:]
    report = mse_report(load_booster(f"{BASE}/input/candidate"), features, labels)
    champion_dir = f"{BASE}/input/champion"
    report["champion"] = (
        mse_report(load_booster(champion_dir), features, labels) if os.path.isdir(champion_dir) else None
    )
    report["rows"] = len(labels)
    os.makedirs(f"{BASE}/output/evaluation", exist_ok=True)
    with open(f"{BASE}/output/evaluation/evaluation.json", "w") as out:
        json.dump(report, out, indent=2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
