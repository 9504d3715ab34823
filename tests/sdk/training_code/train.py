"""A scikit-learn script-mode training script, written as for SageMaker (the training toolkit's SM_* contract)."""

import argparse
import glob
import os

import joblib
import numpy as np
from sklearn.linear_model import Ridge

parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float, default=1.0)
parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"))
parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
args = parser.parse_args()

rows = np.vstack(
    [np.loadtxt(path, delimiter=",", ndmin=2) for path in glob.glob(os.path.join(args.train, "*.csv"))]
)
labels, features = rows[:, 0], rows[:, 1:]
model = Ridge(alpha=args.alpha).fit(features, labels)
mse = float(np.mean((model.predict(features) - labels) ** 2))
print(f"train_mse={mse:.6f} alpha={args.alpha} rows={len(rows)}")
joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
