"""Markdown tables, printed and saved under bench/results with the command that produced them."""

from __future__ import annotations

import platform
import statistics
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    return "\n".join([line, rule, *body])


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def save(name: str, title: str, sections: Sequence[tuple[str, str]], notes: Sequence[str] = ()) -> Path:
    """Print and write bench/results/<name>.md."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = [
        f"# {title}",
        "",
        f"Measured {stamp} on {platform.machine()}, {_cpus()} CPUs, Python {sys.version.split()[0]}.",
        f"Command: `python -m bench {name}` (from `make bench`).",
        "",
    ]
    for heading, body in sections:
        text += [f"## {heading}", "", body, ""]
    if notes:
        text += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    content = "\n".join(text)
    print(content)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(content)
    return path


def _cpus() -> int:
    import os

    return os.cpu_count() or 1
