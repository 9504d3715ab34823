"""The demo's model-history PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scripts.history_plot import save_history_png


def record(version: int, day: int, mse: float | None, approval: str = "Approved") -> dict[str, Any]:
    mode = "full" if version == 1 else "incremental"
    return {
        "version": version,
        "data_date": f"2026-03-0{day}",
        "mse": mse,
        "approval": approval,
        "training_mode": mode,
    }


def test_writes_a_png_of_every_measured_version(tmp_path: Path) -> None:
    records = [record(1, 1, 0.23), record(2, 2, 0.20), record(3, 3, 0.44, "Rejected"), record(4, 4, 0.21)]
    out = save_history_png(records, tmp_path / "plots" / "history.png", "nightly-retrain")
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_refuses_a_history_without_metrics(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no model version has an MSE"):
        save_history_png([record(1, 1, None)], tmp_path / "h.png", "g")
