"""DAG parse time per file beyond the cost of importing Airflow, and what each file imports at top level."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.report import median, save, table

REPO = Path(__file__).resolve().parent.parent
DAGS = sorted(p for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_"))
RUNS = 7

# In a fresh interpreter: import what every DAG file needs from Airflow, then time only the DAG file.
PROBE = """
import importlib.util, json, sys, time
import airflow.sdk
from airflow.sdk import dag, task  # TaskFlow loads its decorator machinery lazily, on first use
import airflow.sdk.definitions.decorators
import airflow.providers.standard.decorators.python
import airflow.providers.amazon.aws.operators.sagemaker
import airflow.providers.amazon.aws.sensors.sagemaker
baseline = set(sys.modules)
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("dag_file", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
elapsed = time.perf_counter() - started
added = sorted({name.split(".")[0] for name in set(sys.modules) - baseline})
print(json.dumps({"seconds": elapsed, "added": added}))
"""


def parse_once(dag_file: Path) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE, str(dag_file)], check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def main() -> None:
    rows = []
    for dag_file in DAGS:
        runs = [parse_once(dag_file) for _ in range(RUNS)]
        ms = median([float(str(r["seconds"])) for r in runs]) * 1000
        rows.append(
            [
                dag_file.name,
                f"{ms:.1f}",
                "met" if ms < 50 else "missed",
                ", ".join(str(name) for name in _as_list(runs[0]["added"])),
            ]
        )
    save(
        "parse",
        "DAG parse time beyond Airflow",
        [
            (
                "Median of 7 fresh interpreters, milliseconds",
                table(["DAG file", "ms", "< 50 ms target", "new top-level packages"], rows),
            )
        ],
        [
            "Airflow, the task SDK with its TaskFlow decorators and the provider's SageMaker operators/sensors are imported first and not counted."
        ],
    )


if __name__ == "__main__":
    main()
