"""Report rows as a person reads them: CSV, a standalone HTML page, and small SVG bar charts.
The CLI and the desk both render with these; every text is escaped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from html import escape
from typing import Any


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    rows = list(rows)
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def bar_chart(rows: list[dict[str, Any]], label: str, value: str, unit: str = "") -> str:
    """A small inline SVG bar chart; every text is escaped."""
    data = [(str(r[label]), r[value]) for r in rows if r.get(value) is not None]
    if not data:
        return '<p class="muted">no data</p>'
    top = max(v for _, v in data) or 1
    bar_h, gap, width, left = 18, 6, 520, 170
    height = len(data) * (bar_h + gap)
    parts = [
        f'<svg role="img" aria-label="{escape(value)} by {escape(label)}" '
        f'width="{left + width + 90}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, v) in enumerate(data):
        y = i * (bar_h + gap)
        w = max(1, int(width * v / top))
        shown = f"{v / 60:.1f} min" if unit == "s" else f"{v:g}"
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f'{escape(name[:24])}</text><rect x="{left}" y="{y}" width="{w}" height="{bar_h}" '
            f'fill="#2563eb" rx="3"/><text x="{left + w + 6}" y="{y + 13}" font-size="12">'
            f"{escape(shown)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(rows: list[dict[str, Any]], by: str, title: str) -> str:
    """A standalone page: a chart of median first response, and the table."""
    head = "".join(f"<th>{escape(k)}</th>" for k in (rows[0] if rows else {}))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(v))}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    chart = bar_chart(rows, by, "first_response_median_s", "s") if by != "agent" else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:20px}table{border-collapse:"
        "collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}</style>"
        f"</head><body><h1>{escape(title)}</h1>{chart}<table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></body></html>"
    )


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)
