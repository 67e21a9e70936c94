"""The score card as HTML (inline SVG) and as PDF (fpdf2): metrics with pass/fail, fairness gaps, top features."""

from __future__ import annotations

from html import escape
from pathlib import Path

from workspace.local.rai.render import svg


def _verdict(passed) -> str:
    return "—" if passed is None else ("PASS" if passed else "FAIL")


def _value(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def render_html(card: dict) -> str:
    rows = "".join(f'<tr><td>{escape(m["name"])}</td><td>{_value(m["value"])}</td><td>{escape(str(m["threshold"] or ""))}</td>'
                   f'<td class="{_verdict(m["passed"]).lower()}">{_verdict(m["passed"])}</td></tr>' for m in card["metrics"] + card["fairness"])
    fairness = "".join(f'<h3>{escape(f["name"])}</h3>' + svg.bars([(g["group"], g["value"] or 0.0) for g in f["groups"]], label=f["name"])
                       for f in card["fairness"])
    model = card["model"]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Score card</title><style>'
        'body{font:14px system-ui,sans-serif;margin:24px;color:#1f2933}table{border-collapse:collapse}td,th{border:1px solid #cbd2d9;padding:4px 10px}'
        '.pass{color:#1b7a3d;font-weight:700}.fail{color:#c0392b;font-weight:700}</style></head><body>'
        f'<h1>Responsible AI score card: {escape(str(model["name"]))}</h1><p>{escape(str(model["type"]))} · {card["rows"]} test rows · '
        f'{card["passed"]} of {card["checked"]} checks passed</p><p>{escape(model["summary"])}</p>'
        f'<h2>Metrics and targets</h2><table><tr><th>metric</th><th>value</th><th>target</th><th>result</th></tr>{rows}</table>'
        f'<h2>Top features</h2>{svg.bars(card["top_features"], label="top features")}<h2>Fairness</h2>{fairness or "<p>No sensitive features configured.</p>"}'
        '</body></html>'
    )


def render_pdf(card: dict, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"Responsible AI score card: {card['model']['name']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    pdf.multi_cell(0, 6, _latin(f"{card['model']['type']} - {card['rows']} test rows - {card['passed']} of {card['checked']} checks passed. "
                                f"{card['model']['summary']}"), new_x="LMARGIN", new_y="NEXT")
    _section(pdf, "Metrics and targets")
    for m in card["metrics"] + card["fairness"]:
        pdf.cell(95, 7, _latin(m["name"]), border=1)
        pdf.cell(30, 7, _value(m["value"]), border=1)
        pdf.cell(35, 7, _latin(str(m["threshold"] or "")), border=1)
        pdf.cell(25, 7, _verdict(m["passed"]).replace("—", "-"), border=1, new_x="LMARGIN", new_y="NEXT")
    _section(pdf, "Top features")
    top = max((v for _, v in card["top_features"]), default=1.0) or 1.0
    for name, value in card["top_features"]:
        pdf.cell(55, 7, _latin(name))
        pdf.set_fill_color(47, 111, 222)
        pdf.cell(max(1.0, 110 * value / top), 5, "", fill=True)
        pdf.cell(20, 7, f" {value:.3g}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def _section(pdf, title: str) -> None:
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 13)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1; anything else becomes '?'."""
    return str(text).replace("–", "-").encode("latin-1", "replace").decode("latin-1")
