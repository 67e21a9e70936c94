"""Small SVG charts drawn on the server, so the page needs no chart library and no network."""

from __future__ import annotations

from html import escape

BLUE, RED, GREY = "#2f6fde", "#d64545", "#9aa5b1"


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def bars(items: list[tuple[str, float]], *, width: int = 640, label: str = "", color: str = BLUE) -> str:
    """Horizontal bars; negative values extend left of a zero line."""
    if not items:
        return '<svg class="chart" width="10" height="10"></svg>'
    row, left, right = 22, 190, 70
    low = min(0.0, *(v for _, v in items))
    high = max(0.0, *(v for _, v in items)) or 1.0
    span = (high - low) or 1.0
    zero = left + (0 - low) / span * (width - left - right)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{width}" height="{row * len(items) + 10}">']
    for i, (name, value) in enumerate(items):
        x = left + (min(value, 0) - low) / span * (width - left - right)
        w = max(1.0, abs(value) / span * (width - left - right))
        y = 5 + i * row
        fill = color if value >= 0 else RED
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(str(name))}</text>'
                     f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{fill}"><title>{escape(str(name))}: {_fmt(value)}</title></rect>'
                     f'<text x="{x + w + 4:.1f}" y="{y + 14}">{_fmt(value)}</text>')
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{row * len(items) + 10}" stroke="#333"/></svg>')
    return "".join(parts)


def intervals(items: list[tuple[str, float, float, float]], *, width: int = 640, label: str = "") -> str:
    """Point estimates with confidence intervals, one row each, around a zero line."""
    if not items:
        return '<svg class="chart" width="10" height="10"></svg>'
    row, left, right = 28, 190, 40
    low = min(0.0, *(lo for _, _, lo, _ in items))
    high = max(0.0, *(hi for _, _, _, hi in items))
    span = (high - low) or 1.0

    def x(v: float) -> float:
        return left + (v - low) / span * (width - left - right)

    parts = [f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{width}" height="{row * len(items) + 10}">']
    for i, (name, point, lo, hi) in enumerate(items):
        y = 5 + i * row + row / 2
        parts.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{escape(name)}</text>'
                     f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y}" y2="{y}" stroke="{BLUE}" stroke-width="2"/>'
                     f'<circle cx="{x(point):.1f}" cy="{y}" r="5" fill="{BLUE}"><title>{escape(name)}: {_fmt(point)} [{_fmt(lo)}, {_fmt(hi)}]</title></circle>')
    parts.append(f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="0" y2="{row * len(items) + 10}" stroke="#333" stroke-dasharray="3"/></svg>')
    return "".join(parts)


def histogram(values: list[float], *, bins: int = 20, width: int = 640, height: int = 160, label: str = "") -> str:
    if not values:
        return '<svg class="chart" width="10" height="10"></svg>'
    low, high = min(values), max(values)
    step = (high - low) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / step))] += 1
    top = max(counts) or 1
    w = (width - 40) / bins
    parts = [f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{width}" height="{height + 24}">']
    for i, c in enumerate(counts):
        h = c / top * height
        parts.append(f'<rect x="{20 + i * w:.1f}" y="{height - h:.1f}" width="{w - 2:.1f}" height="{h:.1f}" fill="{BLUE}">'
                     f'<title>{_fmt(low + i * step)}–{_fmt(low + (i + 1) * step)}: {c}</title></rect>')
    parts.append(f'<text x="20" y="{height + 18}">{_fmt(low)}</text><text x="{width - 20}" y="{height + 18}" text-anchor="end">{_fmt(high)}</text></svg>')
    return "".join(parts)


def heat(color_rate: float, top: float) -> str:
    """White to red by error rate relative to the worst cell."""
    share = 0.0 if top <= 0 else min(1.0, color_rate / top)
    g = int(255 - 170 * share)
    return f"rgb(255,{g},{g})"


def heatmap(data: dict, *, cell: int = 70) -> str:
    labels = data["labels"]
    rows = labels[1] if len(labels) > 1 else [""]
    cols = labels[0]
    left, top = 150, 40
    width, height = left + cell * len(cols) + 10, top + 34 * len(rows) + 10
    parts = [f'<svg class="chart" role="img" aria-label="error heat map" width="{width}" height="{height}">']
    parts += [f'<text x="{left + (i + .5) * cell:.1f}" y="{top - 8}" text-anchor="middle" font-size="10">{escape(c)}</text>' for i, c in enumerate(cols)]
    parts += [f'<text x="{left - 6}" y="{top + j * 34 + 21}" text-anchor="end" font-size="10">{escape(r)}</text>' for j, r in enumerate(rows)]
    for c in data["cells"]:
        i, j = c["index"][0], (c["index"][1] if len(c["index"]) > 1 else 0)
        parts.append(f'<rect x="{left + i * cell}" y="{top + j * 34}" width="{cell - 2}" height="32" fill="{heat(c["error_rate"], data["max_error_rate"])}" stroke="#ccc">'
                     f'<title>error rate {c["error_rate"]:.1%} ({c["error"]:.4g}/{c["size"]})</title></rect>'
                     f'<text x="{left + i * cell + cell / 2 - 1}" y="{top + j * 34 + 20}" text-anchor="middle" font-size="11">{c["error_rate"]:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def tree(nodes: list[dict], *, width: int = 960) -> str:
    """The error tree: each node a box coloured by error rate, with its size and errors."""
    depth = max(n["depth"] for n in nodes)
    level_h, box_w, box_h = 90, 150, 46
    width = max(width, 160 * sum(1 for n in nodes if n["leaf"]))
    x_of: dict[int, float] = {}
    leaves = [n for n in nodes if n["leaf"]]
    slot = width / max(1, len(leaves))
    for i, leaf in enumerate(leaves):
        x_of[leaf["id"]] = slot * (i + .5)
    for n in sorted(nodes, key=lambda n: -n["depth"]):
        kids = [k for k in nodes if k["parent"] == n["id"]]
        if kids:
            x_of[n["id"]] = sum(x_of[k["id"]] for k in kids) / len(kids)
    top = max(n["error_rate"] for n in nodes) or 1.0
    parts = [f'<svg class="chart" role="img" aria-label="error tree" width="{width}" height="{(depth + 1) * level_h + 10}">']
    for n in nodes:
        if n["parent"] is not None:
            parent = next(p for p in nodes if p["id"] == n["parent"])
            parts.append(f'<line x1="{x_of[parent["id"]]:.1f}" y1="{parent["depth"] * level_h + 5 + box_h}" x2="{x_of[n["id"]]:.1f}" '
                         f'y2="{n["depth"] * level_h + 5}" stroke="#888"/>')
    for n in nodes:
        x, y = x_of[n["id"]] - box_w / 2, n["depth"] * level_h + 5
        cond = n["condition"]
        text = "all data" if cond is None else f'{cond["feature"]} {cond["op"]} {_fmt(cond["value"]) if isinstance(cond["value"], float) else ",".join(map(str, cond["value"]))}'
        parts.append(f'<g class="node"><rect x="{x:.1f}" y="{y}" width="{box_w}" height="{box_h}" rx="6" fill="{heat(n["error_rate"], top)}" stroke="#555">'
                     f'<title>{escape(text)}: error rate {n["error_rate"]:.1%}, {n["error"]:.4g} errors in {n["size"]} rows</title></rect>'
                     f'<text x="{x + box_w / 2:.1f}" y="{y + 15}" text-anchor="middle" font-size="10">{escape(text[:30])}</text>'
                     f'<text x="{x + box_w / 2:.1f}" y="{y + 29}" text-anchor="middle" font-size="10">error {n["error_rate"]:.1%} ({n["error"]:.4g})</text>'
                     f'<text x="{x + box_w / 2:.1f}" y="{y + 41}" text-anchor="middle" font-size="10">n={n["size"]}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
