"""`python -m bench [name ...]`: run benchmarks (all by default) and write bench/results/<name>.md.

A run of all of them also writes bench/results/runtime.md: what each took, against `make bench`'s
15-minute budget on a fresh clone."""

from __future__ import annotations

import importlib
import sys
import time

from bench.report import save, table

BENCHMARKS = ("install", "parse", "e2e", "incremental", "tuning", "service", "sensors", "scaling", "s3")
# Run only when named: `scale` takes about an hour (a 14-night backfill on three Airflow topologies).
OPT_IN = ("scale",)
BUDGET_MINUTES = 15


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS + OPT_IN]
    if unknown:
        print(
            f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS + OPT_IN)}", file=sys.stderr
        )
        return 2
    seconds: dict[str, float] = {}
    for name in names:
        started = time.monotonic()
        importlib.import_module(f"bench.{name}").main()
        seconds[name] = time.monotonic() - started
    if not argv:
        _save_runtime(seconds)
    return 0


def _save_runtime(seconds: dict[str, float]) -> None:
    total = sum(seconds.values())
    rows = [[name, f"{s:.0f}"] for name, s in seconds.items()]
    rows.append(["total", f"{total:.0f} ({total / 60:.1f} min)"])
    verdict = "met" if total < BUDGET_MINUTES * 60 else "NOT met"
    save(
        "runtime",
        "What each benchmark took",
        [("Seconds, one `python -m bench` run", table(["benchmark", "seconds"], rows))],
        [
            f"Budget: `make bench` under {BUDGET_MINUTES} minutes on a fresh clone, install included "
            f"(the `install` benchmark times the project's own fresh installs): {verdict}.",
            "Benchmarks with a time budget of their own (service, scaling) stop repeating runs to keep it, "
            "and say so in their tables.",
        ],
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
