"""Seed 003's evaluation step: the trained model's MSE on the test split, as evaluation.json."""

import json
import os
import tarfile

import numpy as np
import xgboost

with tarfile.open("/opt/ml/processing/model/model.tar.gz") as archive:
    archive.extractall("/opt/ml/processing/model", filter="data")
booster = xgboost.Booster()
booster.load_model("/opt/ml/processing/model/xgboost-model")
test = np.loadtxt("/opt/ml/processing/test/test.csv", delimiter=",", ndmin=2)
predictions = booster.predict(xgboost.DMatrix(test[:, 1:]))
mse = float(np.mean((test[:, 0] - predictions) ** 2))
os.makedirs("/opt/ml/processing/evaluation", exist_ok=True)
with open("/opt/ml/processing/evaluation/evaluation.json", "w") as out:
    json.dump(
        {
            "regression_metrics": {
                "mse": {"value": mse, "standard_deviation": float(np.std(test[:, 0] - predictions))}
            }
        },
        out,
    )
print("mse", mse)
