"""Report rows as a person reads them: CSV, a standalone HTML page, and bar charts. The CLI and
the desk both render with these; every text is escaped."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from html import escape
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    rows = list(rows)
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


# Charts are HTML, not pictures: each bar is a row of real text (label, bar, value), so a chart
# shows every row at any width (labels wrap, bars scale), screen readers read it as a list, and
# a bar can be a link to the posts behind it. BAR_CSS styles them on the desk and in `--format
# html` pages alike.
BAR_CSS = """
.bars { margin:6px 0 10px; max-width:760px; }
.bars figcaption { font-size:12px; color:#6b7280; margin-bottom:4px; }
.bars ol { list-style:none; margin:0; padding:0; }
.bars li > a, .bars li > span.row { display:grid; grid-template-columns:minmax(4.5em, 32%) minmax(40px, 1fr) minmax(3.5em, auto);
  gap:8px; align-items:center; padding:2px 0; color:inherit; text-decoration:none; font-size:12px; }
.bars li > a:hover .bar-label { text-decoration:underline; }
.bars .bar-label { text-align:right; overflow-wrap:anywhere; }
.bars .bar-track { display:flex; height:14px; background:#f1f5f9; border-radius:3px; overflow:hidden; }
.bars .bar { display:block; height:100%; background:#2563eb; min-width:1px; }
.bars .bar.negative { background:#dc2626; } .bars .bar.neutral { background:#94a3b8; }
.bars .bar.positive { background:#16a34a; }
.bars .bar-value { font-variant-numeric:tabular-nums; white-space:nowrap; }
.bars .bar-axis { display:grid; grid-template-columns:minmax(4.5em, 32%) minmax(40px, 1fr) minmax(3.5em, auto);
  gap:8px; font-size:11px; color:#6b7280; border-top:1px solid #e5e7eb; margin-top:2px; }
.bars .bar-axis span:nth-child(2) { display:flex; justify-content:space-between; }
.bars .legend { font-size:11px; color:#6b7280; }
.bars .legend i { display:inline-block; width:10px; height:10px; margin:0 3px 0 8px; vertical-align:middle; }
"""


def _shown(v: float, unit: str) -> str:
    if unit == "s":
        return f"{v / 60:.1f} min"
    if unit == "%":
        return f"{v * 100:.1f}%"
    return f"{v:g}"


def _row(name: str, track: str, shown: str, href: str | None) -> str:
    cells = (
        f'<span class="bar-label">{escape(name)}</span><span class="bar-track">{track}</span>'
        f'<span class="bar-value">{escape(shown)}</span>'
    )
    if href:
        return f'<li><a href="{escape(href)}">{cells}</a></li>'
    return f'<li><span class="row">{cells}</span></li>'


def _figure(caption: str, items: list[str], axis_max: str, legend: str = "") -> str:
    return (
        f'<figure class="bars" aria-label="{escape(caption)}"><figcaption>{escape(caption)}'
        f"{legend}</figcaption><ol>{''.join(items)}</ol>"
        f'<div class="bar-axis" aria-hidden="true"><span></span><span><span>0</span>'
        f"<span>{escape(axis_max)}</span></span><span></span></div></figure>"
    )


def bar_chart(
    rows: list[dict[str, Any]],
    label: str,
    value: str,
    unit: str = "",
    caption: str | None = None,
    href: str | None = None,
) -> str:
    """A bar per row: its `label`, a bar as long as its `value`, and the value as text; with
    `href`, the row's value under that key is the bar's link. Every text is escaped."""
    data = [r for r in rows if r.get(value) is not None]
    if not data:
        return '<p class="muted">no data</p>'
    top = max(r[value] for r in data) or 1
    items = [
        _row(
            str(r[label]),
            f'<span class="bar" style="width:{100 * r[value] / top:.2f}%"></span>',
            _shown(r[value], unit),
            r.get(href) if href else None,
        )
        for r in data
    ]
    return _figure(caption or f"{value.replace('_', ' ')} by {label}", items, _shown(top, unit))


def stacked_chart(
    rows: list[dict[str, Any]],
    label: str,
    parts: list[tuple[str, str]],
    total: str,
    caption: str,
    href: str | None = None,
) -> str:
    """A bar per row split into `parts` ([(share key, css class)]) that sum to one; the text
    gives the total and each part's share."""
    if not rows:
        return '<p class="muted">no data</p>'
    items = []
    for r in rows:
        track = "".join(
            f'<span class="bar {escape(css)}" style="width:{100 * (r.get(key) or 0):.2f}%" '
            f'title="{escape(css)} {100 * (r.get(key) or 0):.0f}%"></span>'
            for key, css in parts
        )
        shares = " / ".join(f"{100 * (r.get(key) or 0):.0f}" for key, _ in parts)
        items.append(
            _row(str(r[label]), track, f"{r[total]} · {shares}%", r.get(href) if href else None)
        )
    legend = (
        '<span class="legend">'
        + "".join(f'<i class="bar {escape(css)}"></i>{escape(css)}' for _, css in parts)
        + "</span>"
    )
    return _figure(caption, items, "100%", legend)


# the column a standalone page charts, the first a report has
CHARTED = ("first_response_median_s", "mentions", "count", "open_cases", "cases", "replies")


def to_html(rows: list[dict[str, Any]], by: str, title: str) -> str:
    """A standalone page: a chart of median first response, and the table."""
    head = "".join(f"<th>{escape(k)}</th>" for k in (rows[0] if rows else {}))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(v))}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    chart = ""
    measure = next((k for k in CHARTED if rows and k in rows[0]), None)
    if measure is not None and by in (rows[0] if rows else {}):
        chart = bar_chart(rows, by, measure, "s" if measure.endswith("_s") else "")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<style>body{font-family:system-ui,sans-serif;margin:20px}table{border-collapse:"
        "collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}"
        f".scroll{{overflow-x:auto}}{BAR_CSS}</style>"
        f"</head><body><h1>{escape(title)}</h1>{chart}<div class='scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div></body></html>"
    )


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)


def json_bytes(data: Any) -> tuple[bytes, str]:
    """`data` as JSON bytes (orjson: no per-field encoder pass) and a strong ETag for them."""
    body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    return body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def json_with_etag(request: Request, body: bytes, tag: str) -> Response:
    """JSON bytes with their ETag; 304 and no body when the client's If-None-Match already
    names it."""
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
