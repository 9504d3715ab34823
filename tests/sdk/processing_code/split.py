"""A processing script as for SageMaker: reads /opt/ml/processing/input, writes train/test splits to outputs."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--test-every", type=int, default=5)
args = parser.parse_args()

with open("/opt/ml/processing/input/rows.csv") as source:
    rows = [line for line in source if line.strip()]
os.makedirs("/opt/ml/processing/train", exist_ok=True)
os.makedirs("/opt/ml/processing/test", exist_ok=True)
with (
    open("/opt/ml/processing/train/train.csv", "w") as train,
    open("/opt/ml/processing/test/test.csv", "w") as test,
):
    for index, row in enumerate(rows):
        (test if index % args.test_every == 0 else train).write(row)
print(f"split {len(rows)} rows, every {args.test_every}th to test")
