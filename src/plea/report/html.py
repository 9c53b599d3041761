"""The HTML report: one self-contained file (inline SVG and CSS, no script, nothing fetched; a
Content-Security-Policy forbids any request) with a world map coloured by each state's best
answer, a response-rate chart and the report's tables."""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from importlib.resources import files
from typing import Any

# map categories: (key, label, colour)
CATEGORIES = (
    ("positive", "positive answer", "#1a9641"),
    ("engaged", "asked for information / referred", "#a6d96a"),
    ("acknowledged", "acknowledged, no decision", "#4f8fd6"),
    ("negative", "negative answer", "#d7191c"),
    ("silent", "written to, no answer yet", "#fdae61"),
    ("bounced", "letters bounced", "#8e6bbf"),
    ("held", "held back (threat or cautioned state)", "#6b6b6b"),
    ("none", "not written to", "#dcdcdc"),
)
COLOURS = {key: colour for key, _label, colour in CATEGORIES}
OTHER_LAND = "#ececec"
SEA = "#f7fbff"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:24px;color:#222;
background:#fff;max-width:1100px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:.9em}.head{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.totals div{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}
.totals b{display:block;font-size:1.4em}
svg.map{width:100%;height:auto;background:var(--sea);border:1px solid #ddd}
svg.map path{stroke:#fff;stroke-width:.6;vector-effect:non-scaling-stroke}
svg.map circle{stroke:#fff;stroke-width:.5}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:.85em;margin:6px 0}
.legend span::before{content:"";display:inline-block;width:12px;height:12px;margin-right:5px;
vertical-align:-1px;background:var(--c);border:1px solid #999}
table{border-collapse:collapse;font-size:.85em;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}td.n{text-align:right}
th{background:#f3f3f3}
"""


@lru_cache(maxsize=1)
def world() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files("plea.report").joinpath("world.json").read_text(encoding="utf-8"))
    return data


def category(row: dict[str, Any] | None) -> str:
    if row is None:
        return "none"
    best = row["best_outcome"]
    if best == "positive":
        return "positive"
    if best in ("info-requested", "referred"):
        return "engaged"
    if best in ("acknowledged", "other", "unclassified"):
        return "acknowledged"
    if best == "negative":
        return "negative"
    if row["bounced"] and row["bounced"] >= row["cases"]:
        return "bounced"
    return "silent"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.0f}%"


def world_map(report: dict[str, Any]) -> str:
    w = world()
    by_state = {r["state"]: r for r in report["states"]}
    held = {r["state"]: r for r in report.get("held_back", [])}
    parts = [
        f'<svg class="map" role="img" aria-label="World map: answers by state" '
        f'viewBox="0 0 {w["width"]:g} {w["height"]:g}" xmlns="http://www.w3.org/2000/svg">',
        # the map's edge: shapes unwrapped over ±180° (Chukotka, Fiji) end there, not in the empty corner
        f'<defs><clipPath id="map-edge"><path d="{w["outline"]}"/></clipPath></defs>',
        f'<g transform="scale({w["unit"]:g})" clip-path="url(#map-edge)">',
        f'<path d="{w["other_land"]}" fill="{OTHER_LAND}"/>',
    ]
    dots = []
    # One rule for every shape: it takes the colour of its own ISO 3166-1 code (the letters to that code's
    # missions), never another's. A territory (Greenland, Puerto Rico, French Guiana…) is a shape of its
    # own in world.json (scripts/build_world_map.py splits overseas parts out of their state), so it is
    # "not written to" unless letters went to it, whatever its state's answer.
    for code, shape in w["countries"].items():
        row = by_state.get(code)
        cat = "held" if row is None and code in held else category(row)
        tip = escape(
            (f"{shape['name']}: held back for {held[code]['cases']} case(s)" if code in held else shape["name"])
            if row is None
            else f"{row['name']}: {row['answered']} of {row['cases']} case(s) answered"
            + (f", best: {row['best_outcome']}" if row["best_outcome"] else "")
        )
        if shape["d"]:
            parts.append(
                f'<path d="{shape["d"]}" fill="{COLOURS[cat]}" data-state="{code}" '
                f'data-category="{cat}"><title>{tip}</title></path>'
            )
        if shape.get("small") and cat != "none":
            x, y = shape["c"]
            dots.append(
                f'<circle cx="{x:g}" cy="{y:g}" r="3.2" fill="{COLOURS[cat]}" data-state="{code}">'
                f"<title>{tip}</title></circle>"
            )
    parts.append("</g>")
    parts += dots
    parts.append("</svg>")
    counts: dict[str, int] = {"held": len(held)} if held else {}
    for r in report["states"]:
        counts[category(r)] = counts.get(category(r), 0) + 1
    legend = "".join(
        f'<span style="--c:{colour}">{escape(label)}'
        + (f" ({counts[key]})" if key in counts else "")
        + "</span>"
        for key, label, colour in CATEGORIES
    )
    return "\n".join(parts) + f'\n<div class="legend">{legend}</div>'


def rate_chart(report: dict[str, Any], limit: int = 40) -> str:
    """Bars for the states that answered (highest response rate first), then one bar for all the
    states written to that have not answered yet."""
    written = [r for r in report["states"] if r["cases"]]
    if not written:
        return "<p>No letters sent in this report's scope.</p>"
    answered = [r for r in written if r["answered"]]
    silent = [r for r in written if not r["answered"]]
    bars = [(r["name"], r["response_rate"] or 0, COLOURS[category(r)], escape(r["name"]),
             f"{r['answered']}/{r['cases']} ({_pct(r['response_rate'])})") for r in answered[:limit]]
    if silent:
        names = ", ".join(r["name"] for r in silent[:30]) + (" …" if len(silent) > 30 else "")
        appeals = sum(r["cases"] for r in silent)
        bars.append((f"{len(silent)} state(s) not answering", 0, COLOURS["silent"], escape(names),
                     f"0/{appeals} (0%): no answer yet"))
    bar_h, label_w, width = 18, 190, 760
    scale = width - label_w - 140
    height = bar_h * len(bars) + 24
    out = [
        f'<svg class="chart" role="img" aria-label="Response rate by state" '
        f'width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-size="12">'
    ]
    for x in (0, 0.25, 0.5, 0.75, 1):
        gx = label_w + x * scale
        out.append(
            f'<line x1="{gx:g}" y1="0" x2="{gx:g}" y2="{height - 18}" stroke="#e3e3e3"/>'
            f'<text x="{gx:g}" y="{height - 4}" text-anchor="middle" fill="#666">{x * 100:.0f}%</text>'
        )
    for i, (label, rate, colour, tip, figures) in enumerate(bars):
        y = i * bar_h
        out.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(rate * scale, 1.5):.1f}" height="{bar_h - 6}" '
            f'fill="{colour}"><title>{tip}: {figures}</title></rect>'
            f'<text x="{label_w + rate * scale + 6:.1f}" y="{y + 13}" fill="#444">{escape(figures)}</text>'
        )
    out.append("</svg>")
    note = (
        f"<p class='meta'>The {limit} states with the highest response rate of the {len(answered)} that "
        "answered; all are in the table below.</p>"
        if len(answered) > limit
        else ""
    )
    return "\n".join(out) + note


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p class='meta'>None.</p>"
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{v}</td>'
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else f"<td>{escape(str(v))}</td>"
            for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render(report: dict[str, Any]) -> str:
    from plea.report.tables import table_rows

    t = report["totals"]
    f = report["filters"]
    scope = {"one": f"case {f['case']}", "all": "all cases", "open": "open cases"}[f["cases"]]
    scope += f", letters to missions in {f['host']}" if f["host"] else ""
    if f["since"] or f["until"]:
        scope += f", first letters {f['since'] or '…'} to {f['until'] or '…'}"
    boxes = [
        ("states written to", t["states_written"]),
        ("cases", t["cases"]),
        ("letters sent", t["letters"]),
        ("answered", f"{t['answered']} of {t['appeals']}"),
        ("response rate", _pct(t["response_rate"])),
        ("positive", t["positive"]),
        ("median days to answer", "–" if t["median_days"] is None else f"{t['median_days']:g}"),
        ("never answered", t["states_never_answered"]),
        ("held back", t.get("states_held_back", 0)),
    ]
    sections = []
    for name, title in (
        ("states", "By state"),
        ("never_answered", "States that never answered"),
        ("cases", "By case"),
        ("months", "By month of the first letter"),
        ("unsolicited", "Answers from states not written to"),
        ("held_back", "Held back: threat states and states that may hand a person over"),
    ):
        cols, rows = table_rows(report, name)
        sections.append(f"<h2>{title}</h2>{_table(cols, rows)}")
    source = escape(world()["source"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>plea outreach report {escape(report["generated_at"][:10])}</title>
<style>{CSS}svg.map{{--sea:{SEA}}}</style></head>
<body>
<h1>Outreach report</h1>
<p class="meta">{escape(scope)} · generated {escape(report["generated_at"])}</p>
<div class="totals">{"".join(f"<div><b>{escape(str(v))}</b>{escape(k)}</div>" for k, v in boxes)}</div>
<h2>Answers by state</h2>
{world_map(report)}
<h2>Response rate</h2>
{rate_chart(report)}
{"".join(sections)}
<h2>About this report</h2>
<p class="meta">An appeal is one case's letters to one state;
the response rate is answered appeals over appeals.
Cases are named by reference only. Map: {source}</p>
<p class="meta">History head when this report was made ({report["history_events"]} events):
<span class="head" id="history-head">{escape(report["history_head"])}</span>.
Check the database against it later with <code>plea audit verify --head</code>.</p>
</body></html>
"""
