"""`python -m bench [name ...]`: run benchmarks (all by default) and write bench/results/<name>.md."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("install", "parse", "e2e", "incremental", "tuning")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in names:
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
