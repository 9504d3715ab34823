"""The model-history page: a model package group's versions as a table and their MSE over time as an SVG.

Pure rendering from registry records (retraining.history.read_group); the Airflow plugin serves it. No
JavaScript and nothing loaded from elsewhere: the page is one self-contained HTML document."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from retraining.champion import APPROVED

DEFAULT_GROUP = "nightly-retrain"
TABLE_COLUMNS = (
    "data date",
    "version",
    "training mode",
    "MSE",
    "champion MSE",
    "approval status",
    "training job",
)
STATUS_COLORS = {"Approved": "#2e7d32", "Rejected": "#c62828"}
PENDING_COLOR = "#757575"
MSE_COLOR = "#1565c0"
CHAMPION_COLOR = "#ef6c00"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #212121; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
form { margin-bottom: 1rem; }
input { font: inherit; padding: .2rem .4rem; }
table { border-collapse: collapse; margin-top: 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .7rem; text-align: left; }
th { background: #f5f5f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.champion td { font-weight: 600; }
.status-Approved { color: #2e7d32; } .status-Rejected { color: #c62828; }
.note { color: #616161; }
.error { color: #b71c1c; background: #ffebee; padding: .5rem .8rem; border-radius: 4px; }
svg text { font-size: 11px; fill: #424242; }
"""


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def current_champion(records: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The approved version with the latest data date (highest version on ties): the one serving now."""
    approved = [r for r in records if r.get("approval") == APPROVED]
    if not approved:
        return None
    return max(approved, key=lambda r: (r.get("data_date") or "", r["version"]))


def history_table(records: Sequence[dict[str, Any]]) -> str:
    champion = current_champion(records)
    head = "".join(f"<th>{escape(c)}</th>" for c in TABLE_COLUMNS)
    rows = []
    for r in sorted(records, key=lambda r: r["version"]):
        status = str(r.get("approval") or "-")
        cells = [
            f"<td>{escape(r.get('data_date') or '-')}</td>",
            f'<td class="num">{escape(str(r["version"]))}</td>',
            f"<td>{escape(r.get('training_mode') or '-')}</td>",
            f'<td class="num">{escape(_fmt(r.get("mse")))}</td>',
            f'<td class="num">{escape(_fmt(r.get("champion_mse")))}</td>',
            f'<td class="status-{escape(status.replace(" ", ""))}">{escape(status)}</td>',
            f"<td>{escape(r.get('training_job') or '-')}</td>",
        ]
        marker = ' class="champion" title="current champion"' if r is champion else ""
        rows.append(f"<tr{marker}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    span = high - low
    raw = span / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def metric_svg(records: Sequence[dict[str, Any]], width: int = 760, height: int = 300) -> str:
    """MSE of every version in version order (x labelled with data dates), the champion MSE each night was
    compared with as a dashed line, points coloured by approval status. Empty string when nothing to plot."""
    points = sorted((r for r in records if r.get("mse") is not None), key=lambda r: r["version"])
    if not points:
        return ""
    values = [float(r["mse"]) for r in points] + [
        float(r["champion_mse"]) for r in points if r.get("champion_mse") is not None
    ]
    low, high = min(values), max(values)
    if math.isclose(low, high):
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    else:  # keep the extreme points off the frame
        pad = (high - low) * 0.08
        low, high = low - pad, high + pad
    ticks = _nice_ticks(low, high)
    low, high = min(low, ticks[0]), max(high, ticks[-1])
    left, right, top, bottom = 64, 20, 36, 64
    plot_w, plot_h = width - left - right, height - top - bottom

    inset = 36  # room for the first and last date labels

    def x_at(i: int) -> float:
        if len(points) == 1:
            return left + plot_w / 2
        return left + inset + (plot_w - 2 * inset) * i / (len(points) - 1)

    def y_at(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="MSE per model version">',
        "<title>MSE per model version</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#e0e0e0"/>',
    ]
    for tick in ticks:
        y = y_at(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eeeeee"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(f"{tick:g}")}</text>')
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.1f}" transform="rotate(-90 14 {top + plot_h / 2:.1f})" '
        'text-anchor="middle">MSE</text>'
    )
    # About ten x labels at most (a date is ~60 px wide); the latest version is always labelled.
    label_every, last = max(1, math.ceil(len(points) / 10)), len(points) - 1
    for i, r in enumerate(points):
        if i != last and (i % label_every or last - i <= label_every / 2):
            continue
        x = x_at(i)
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">v{r["version"]}</text>')
        if r.get("data_date"):
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 30}" text-anchor="middle">{escape(r["data_date"])}</text>'
            )
    champion_points = [
        (x_at(i), y_at(float(r["champion_mse"])))
        for i, r in enumerate(points)
        if r.get("champion_mse") is not None
    ]
    if len(champion_points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in champion_points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{CHAMPION_COLOR}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
    for x, y in champion_points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{CHAMPION_COLOR}"/>')
    if len(points) > 1:
        path = " ".join(f"{x_at(i):.1f},{y_at(float(r['mse'])):.1f}" for i, r in enumerate(points))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{MSE_COLOR}" stroke-width="2"/>')
    for i, r in enumerate(points):
        color = STATUS_COLORS.get(str(r.get("approval")), PENDING_COLOR)
        tip = (
            f"v{r['version']} {r.get('data_date') or ''} MSE {_fmt(r['mse'])}"
            f" (champion {_fmt(r.get('champion_mse'))}) {r.get('approval') or ''}"
        )
        parts.append(
            f'<circle cx="{x_at(i):.1f}" cy="{y_at(float(r["mse"])):.1f}" r="4.5" fill="{color}" '
            f'stroke="white" stroke-width="1"><title>{escape(tip)}</title></circle>'
        )
    legend = [
        (MSE_COLOR, "solid", "MSE of the version"),
        (CHAMPION_COLOR, "dashed", "champion MSE it was compared with"),
    ]
    lx = left
    for color, style, text in legend:
        dash = ' stroke-dasharray="5 4"' if style == "dashed" else ""
        parts.append(
            f'<line x1="{lx}" y1="18" x2="{lx + 24}" y2="18" stroke="{color}" stroke-width="2"{dash}/>'
        )
        parts.append(f'<text x="{lx + 30}" y="22">{escape(text)}</text>')
        lx += 40 + 7 * len(text)
    for status, color in (*STATUS_COLORS.items(), ("Pending", PENDING_COLOR)):
        parts.append(f'<circle cx="{lx + 5}" cy="18" r="4.5" fill="{color}"/>')
        parts.append(f'<text x="{lx + 14}" y="22">{escape(status)}</text>')
        lx += 24 + 7 * len(status)
    parts.append("</svg>")
    return "\n".join(parts)


def render_page(group: str, records: Sequence[dict[str, Any]], error: str | None = None) -> str:
    """The whole page for one model package group; `error` replaces the content when reading failed."""
    title = f"Model history: {group}"
    form = (
        '<form method="get" action="">'
        '<label>Model package group <input name="group" value="'
        f'{escape(group)}" maxlength="63" required></label> <button type="submit">Show</button></form>'
    )
    if error is not None:
        body = f'<p class="error">{escape(error)}</p>'
    elif not records:
        body = f'<p class="note">No versions are registered in model package group {escape(group)} yet.</p>'
    else:
        champion = current_champion(records)
        summary = (
            f"{len(records)} version(s); current champion: version {escape(str(champion['version']))} "
            f"(data date {escape(champion.get('data_date') or '-')}, MSE {escape(_fmt(champion.get('mse')))})"
            if champion
            else f"{len(records)} version(s); no approved version yet"
        )
        svg = metric_svg(records)
        plot = svg if svg else '<p class="note">No version has an MSE to plot.</p>'
        body = f'<p class="note">{summary}</p>\n{plot}\n{history_table(records)}'
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><h1>{escape(title)}</h1>\n{form}\n{body}\n</body></html>\n"
    )
