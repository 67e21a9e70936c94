"""Reports: the summary numbers, a terminal table, JSON and a self-contained HTML page.

A case with several trials passes when every trial passed; pass^k (tau-bench)
is the mean over cases of C(c, k) / C(n, k), the chance that k trials drawn
from a case's n all passed, for k = 1 .. the fewest trials any case had.
"""

from __future__ import annotations

import html
import json
from math import comb
from pathlib import Path
from typing import Any, Callable

from evals.cases import CATEGORIES
from evals.scorers import SCORER_NAMES


def pass_hat_k(counts: list[tuple[int, int]], k: int) -> float:
    """Mean over cases of C(c, k) / C(n, k), where a case passed c of its n trials."""
    if not counts:
        return 0.0
    if any(n < k for _, n in counts):
        raise ValueError(f"k={k} is more than the trials of some case")
    return sum(comb(c, k) / comb(n, k) for c, n in counts) / len(counts)


def build_report(results: list[dict], *, model: str, seconds: float) -> dict[str, Any]:
    """The JSON report: ``summary`` and ``cases`` (one entry per case, trials folded in)."""
    grouped: dict[str, list[dict]] = {}
    for result in results:
        grouped.setdefault(result["id"], []).append(result)
    cases = [_case_entry(trials) for trials in grouped.values()]
    return {"summary": _summary(cases, results, model, seconds), "cases": cases}


def _case_entry(trials: list[dict]) -> dict[str, Any]:
    first = trials[0]
    names = [n for n in SCORER_NAMES if any(n in t["scores"] for t in trials)]
    shown = next((t for t in trials if not t["passed"]), first)  # the failing trial explains most
    entry = {
        "id": first["id"], "category": first["category"], "passed": all(t["passed"] for t in trials),
        "scores": {n: all(t["scores"].get(n, True) for t in trials) for n in names},
        "details": shown["details"], "error": shown["error"], "transcript": shown["transcript"],
        "trials": len(trials), "passes": sum(t["passed"] for t in trials), "seconds": round(sum(t["seconds"] for t in trials), 2),
    }
    if len(trials) > 1:
        entry["trial_results"] = [{k: t[k] for k in ("trial", "passed", "scores", "error")} for t in trials]
    return entry


def _summary(cases: list[dict], results: list[dict], model: str, seconds: float) -> dict[str, Any]:
    passed = sum(c["passed"] for c in cases)
    summary: dict[str, Any] = {
        "model": model, "cases": len(cases), "passed": passed, "pass_rate": _rate(passed, len(cases)),
        "per_category": {}, "confirmation_violations": sum(r["scores"].get("confirmation") is False for r in results),
        "errors": sum(r["error"] is not None for r in results), "seconds": round(seconds, 1),
    }
    for category in [*CATEGORIES, *sorted({c["category"] for c in cases} - set(CATEGORIES))]:
        members = [c for c in cases if c["category"] == category]
        if members:
            won = sum(c["passed"] for c in members)
            summary["per_category"][category] = {"cases": len(members), "passed": won, "pass_rate": _rate(won, len(members))}
    most = max((c["trials"] for c in cases), default=1)
    if most > 1:
        counts = [(c["passes"], c["trials"]) for c in cases]
        fewest = min(n for _, n in counts)
        summary["trials"] = most
        summary["pass_hat_k"] = {str(k): round(pass_hat_k(counts, k), 4) for k in range(1, fewest + 1)}
    return summary


def _rate(passed: int, total: int) -> float:
    return round(passed / total, 4) if total else 0.0


# -- terminal --------------------------------------------------------------------


def print_table(report: dict, echo: Callable[[str], None] | None = None) -> None:
    """Per-category pass rates, the total, and the failed cases with the scorers that failed."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    summary = report["summary"]
    table = Table(title=f"amlpilot eval: model {summary['model']}, {summary['seconds']} s")
    for column, justify in (("category", "left"), ("cases", "right"), ("passed", "right"), ("pass rate", "right")):
        table.add_column(column, justify=justify)
    for category, row in summary["per_category"].items():
        table.add_row(category, str(row["cases"]), str(row["passed"]), f"{row['pass_rate']:.1%}")
    table.add_section()
    table.add_row("all", str(summary["cases"]), str(summary["passed"]), f"{summary['pass_rate']:.1%}", style="bold")
    buffer = StringIO()
    console = Console(file=buffer, width=100, force_terminal=False)
    console.print(table)
    lines = [buffer.getvalue().rstrip()]
    lines.append(f"confirmation violations: {summary['confirmation_violations']}")
    if "pass_hat_k" in summary:
        lines.append("pass^k: " + ", ".join(f"k={k} {v:.1%}" for k, v in summary["pass_hat_k"].items()))
    failed = [c for c in report["cases"] if not c["passed"]]
    if failed:
        lines.append(f"failed ({len(failed)}):")
        lines += [f"  {c['id']}: {c['error'] or ', '.join(n for n, ok in c['scores'].items() if not ok)}" for c in failed]
    (echo or print)("\n".join(lines))


# -- files -------------------------------------------------------------------------


def write_json(report: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}h1{font-size:1.4rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}
th{background:#f6f8fa}.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
.chip{display:inline-block;border-radius:.6rem;padding:0 .45rem;margin:0 .15rem;font-size:12px}
.chip.pass{background:#dafbe1}.chip.fail{background:#ffebe9}details pre{background:#f6f8fa;padding:.6rem;
white-space:pre-wrap;max-height:30rem;overflow:auto}.muted{color:#656d76}
"""


def write_html(report: dict, path: str | Path) -> None:
    """One self-contained page: the summary, the per-category table, every case with its transcript."""
    summary = report["summary"]
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(cat)}</td><td>{r['cases']}</td><td>{r['passed']}</td><td>{r['pass_rate']:.1%}</td></tr>"
        for cat, r in summary["per_category"].items()
    )
    extra = ""
    if "pass_hat_k" in summary:
        extra = "<p>pass^k: " + ", ".join(f"k={esc(k)}: {v:.1%}" for k, v in summary["pass_hat_k"].items()) + "</p>"
    cases = "".join(_html_case(case) for case in report["cases"])
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>amlpilot eval</title><style>{_CSS}</style></head>
<body><h1>amlpilot eval: {esc(str(summary['model']))}</h1>
<p><b>{summary['passed']}</b> of <b>{summary['cases']}</b> cases passed ({summary['pass_rate']:.1%}) in {summary['seconds']} s;
confirmation violations: <b>{summary['confirmation_violations']}</b>.</p>{extra}
<table><tr><th>category</th><th>cases</th><th>passed</th><th>pass rate</th></tr>{rows}
<tr><th>all</th><th>{summary['cases']}</th><th>{summary['passed']}</th><th>{summary['pass_rate']:.1%}</th></tr></table>
<h2>Cases</h2><table><tr><th>case</th><th>category</th><th>result</th><th>scores</th></tr>{cases}</table></body></html>
"""
    Path(path).write_text(page, encoding="utf-8")


def _html_case(case: dict) -> str:
    esc = html.escape
    verdict = '<span class="pass">pass</span>' if case["passed"] else '<span class="fail">fail</span>'
    chips = "".join(f'<span class="chip {"pass" if ok else "fail"}">{esc(name)}</span>' for name, ok in case["scores"].items())
    notes = [f"{name}: {detail}" for name, detail in case["details"].items()]
    if case["error"]:
        notes.insert(0, f"error: {case['error']}")
    lines = "\n".join(_transcript_line(entry) for entry in case["transcript"])
    body = esc("\n".join(notes) + ("\n\n" if notes else "") + lines)
    trials = f' <span class="muted">({case["passes"]}/{case["trials"]} trials)</span>' if case["trials"] > 1 else ""
    return (f"<tr><td><details><summary>{esc(case['id'])}</summary><pre>{body}</pre></details></td>"
            f"<td>{esc(case['category'])}</td><td>{verdict}{trials}</td><td>{chips}</td></tr>")


def _transcript_line(entry: dict) -> str:
    kind, turn = entry.get("type"), entry.get("turn", 0) + 1
    if kind == "User":
        return f"[{turn}] user: {entry['text']}"
    if kind == "AssistantText":
        return f"[{turn}] agent: {entry['text']}"
    if kind == "ToolProposed":
        return f"[{turn}] → {entry['tool']} {json.dumps(entry['arguments'], default=str)} ({entry['effect']})"
    if kind == "ApprovalRequested":
        typed = f", type {entry['needs_typed_name']!r}" if entry.get("needs_typed_name") else ""
        return f"[{turn}]   approval? {entry['plan'].get('summary')}{typed}"
    if kind == "Answer":
        typed = f" (typed {entry['typed_name']!r})" if entry.get("typed_name") else ""
        return f"[{turn}]   user answers {entry['decision']}{typed}"
    if kind == "ToolResult":
        return f"[{turn}]   {entry['tool']} {entry['status']}: {entry['result']}"
    if kind == "Error":
        return f"[{turn}] error: {entry['message']}"
    return f"[{turn}] {json.dumps(entry, default=str)}"
