"""The model history as a PNG: MSE per version over data dates, approved vs rejected, with the champion line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any


def save_history_png(records: Sequence[dict[str, Any]], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no screen: render straight to a file
    import matplotlib.pyplot as plt
    from matplotlib import dates

    measured = sorted(
        (
            {**r, "day": date.fromisoformat(r["data_date"])}  # a real time axis, in date order
            for r in records
            if r.get("mse") is not None and r.get("data_date")
        ),
        key=lambda r: (r["day"], r["version"]),
    )
    if not measured:
        raise ValueError("no model version has an MSE to plot")
    figure, axes = plt.subplots(figsize=(8, 4), dpi=120)
    for approval, colour, marker in (("Approved", "#2e7d32", "o"), ("Rejected", "#c62828", "x")):
        points = [r for r in measured if r["approval"] == approval]
        axes.scatter(
            [r["day"] for r in points],
            [r["mse"] for r in points],
            c=colour,
            marker=marker,
            s=60,
            label=approval.lower(),
            zorder=3,
        )
    approved = [r for r in measured if r["approval"] == "Approved"]
    axes.step(
        [r["day"] for r in approved],
        [r["mse"] for r in approved],
        where="post",
        color="#2e7d32",
        alpha=0.5,
        label="champion",
    )
    for r in measured:
        axes.annotate(
            f"v{r['version']} {r['training_mode'] or ''}".strip(),
            (r["day"], r["mse"]),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
        )
    span_days = (measured[-1]["day"] - measured[0]["day"]).days
    axes.xaxis.set_major_locator(dates.DayLocator(interval=max(1, span_days // 10)))
    axes.xaxis.set_major_formatter(dates.DateFormatter("%Y-%m-%d"))
    axes.set_xlabel("data date")
    axes.set_ylabel("MSE on the night's held-out rows")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
