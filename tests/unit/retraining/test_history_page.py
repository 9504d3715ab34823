"""The model-history page: table, SVG plot and escaping, from plain registry records."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from retraining.history_page import current_champion, history_table, metric_svg, render_page

SVG = "{http://www.w3.org/2000/svg}"


def record(version: int, data_date: str, mse: float | None, approval: str, **extra: Any) -> dict[str, Any]:
    return {
        "version": version,
        "data_date": data_date,
        "training_mode": extra.pop("training_mode", "incremental"),
        "mse": mse,
        "champion_mse": extra.pop("champion_mse", None),
        "approval": approval,
        "training_job": f"nightly-train-{data_date.replace('-', '')}",
        **extra,
    }


RECORDS = [
    record(1, "2024-01-01", 0.052, "Approved", training_mode="full"),
    record(2, "2024-01-02", 0.048, "Approved", champion_mse=0.052),
    record(3, "2024-01-03", 0.061, "Rejected", champion_mse=0.048),
    record(4, "2024-01-04", 0.047, "Approved", champion_mse=0.048),
]


def test_table_has_every_version_in_order_with_formatted_numbers() -> None:
    html = history_table(list(reversed(RECORDS)))
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html)[1:]
    assert len(rows) == 4
    first = re.findall(r"<td[^>]*>(.*?)</td>", rows[0])
    assert first == ["2024-01-01", "1", "full", "0.0520", "-", "Approved", "nightly-train-20240101"]
    third = re.findall(r"<td[^>]*>(.*?)</td>", rows[2])
    assert third[3:6] == ["0.0610", "0.0480", "Rejected"]
    for header in ("data date", "version", "training mode", "MSE", "champion MSE", "approval status"):
        assert f"<th>{header}</th>" in html


def test_the_current_champion_is_the_latest_approved_data_date() -> None:
    champion = current_champion(RECORDS)
    assert champion is not None and champion["version"] == 4
    assert current_champion([record(1, "2024-01-01", 0.1, "Rejected")]) is None
    assert 'class="champion"' in history_table(RECORDS)


def test_svg_is_well_formed_with_a_point_per_version_and_both_lines() -> None:
    svg = ET.fromstring(metric_svg(RECORDS))
    assert svg.tag == f"{SVG}svg"
    points = [c for c in svg.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    assert len(points) == 4
    tips = [c.find(f"{SVG}title").text or "" for c in points]  # type: ignore[union-attr]
    assert tips[2].startswith("v3 2024-01-03 MSE 0.0610") and "Rejected" in tips[2]
    colours = [c.get("fill") for c in points]
    assert colours[2] != colours[0]  # rejected and approved differ
    lines = list(svg.iter(f"{SVG}polyline"))
    assert len(lines) == 2  # MSE and the champion MSE each version was compared with
    assert any(line.get("stroke-dasharray") for line in lines)
    labels = {t.text for t in svg.iter(f"{SVG}text")}
    assert {"v1", "v4", "2024-01-01", "2024-01-04"} <= labels


def test_higher_mse_is_drawn_higher_up() -> None:
    svg = ET.fromstring(metric_svg(RECORDS))
    points = [c for c in svg.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    y = [float(c.get("cy", "0")) for c in points]
    assert y[2] < y[0] < y[1]  # 0.061 above 0.052 above 0.048: SVG y grows downwards
    x = [float(c.get("cx", "0")) for c in points]
    assert x == sorted(x)


def test_svg_handles_one_point_equal_values_and_missing_mse() -> None:
    one = ET.fromstring(metric_svg([record(1, "2024-01-01", 0.05, "Approved")]))
    assert len([c for c in one.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]) == 1
    same = metric_svg([record(1, "2024-01-01", 0.05, "Approved"), record(2, "2024-01-02", 0.05, "Approved")])
    ET.fromstring(same)
    assert "nan" not in same and "inf" not in same
    assert metric_svg([record(1, "2024-01-01", None, "Approved")]) == ""
    assert metric_svg([]) == ""


def test_page_for_a_group_without_versions_and_for_an_error() -> None:
    empty = render_page("nightly-retrain", [])
    assert "No versions are registered" in empty and "<svg" not in empty
    failed = render_page("nightly-retrain", [], error="EndpointConnectionError: could not connect")
    assert 'class="error"' in failed and "EndpointConnectionError" in failed


def test_page_is_complete_and_has_no_script() -> None:
    page = render_page("nightly-retrain", RECORDS)
    assert page.startswith("<!doctype html>")
    assert "<svg" in page and "<table>" in page
    assert 'name="group" value="nightly-retrain"' in page
    assert "current champion: version 4" in page
    assert "<script" not in page.lower() and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_every_value_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    records = [
        record(1, evil, 0.05, evil, training_mode=evil, training_job=evil),
        record(2, "2024-01-02", 0.04, "Approved"),
    ]
    page = render_page(evil, records, error=None)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    ET.fromstring(metric_svg(records))  # the SVG stays well-formed with hostile labels
    assert "<script>" not in render_page("g", [], error=evil)
