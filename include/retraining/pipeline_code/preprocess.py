"""Seed 003's preprocessing step: split the abalone-style CSV into train/validation/test, label first."""

import csv
import os
import random

INPUT = "/opt/ml/processing/input"
OUT = "/opt/ml/processing"

rows = []
for name in sorted(os.listdir(INPUT)):
    if name.endswith(".csv"):
        with open(os.path.join(INPUT, name)) as handle:
            rows += [r for r in csv.reader(handle) if r]
header, rows = rows[0], rows[1:]
label = header.index("rings")
rows = [[r[label]] + [v for i, v in enumerate(r) if i != label] for r in rows]
random.Random(42).shuffle(rows)
cut_train, cut_validation = int(len(rows) * 0.7), int(len(rows) * 0.85)
for split, part in (
    ("train", rows[:cut_train]),
    ("validation", rows[cut_train:cut_validation]),
    ("test", rows[cut_validation:]),
):
    os.makedirs(f"{OUT}/{split}", exist_ok=True)
    with open(f"{OUT}/{split}/{split}.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(part)
print("split", len(rows), "rows")
