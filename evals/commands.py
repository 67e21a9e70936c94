"""``amlpilot eval``: run the scripted evaluations and report.

``register(app)`` adds the command to a typer app. Exit codes: 0 done (and at
or above ``--min-pass``); 1 the pass rate is below ``--min-pass``; 2 bad input
(a case file, a fixture, an unknown model provider).
"""

from __future__ import annotations

import fnmatch
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

EXIT_BELOW_MIN_PASS = 1


def register(app: typer.Typer) -> None:
    app.command("eval", help="Run the scripted prompt evaluations; exit 1 below --min-pass.")(eval_command)


def eval_command(
    cases: Annotated[Optional[list[Path]], typer.Option(
        "--cases", help="A case file or folder; repeat for more. Default: the bundled evals/cases.", show_default=False)] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Chat model: offline, openai:<model>, ...")] = "offline",
    trials: Annotated[Optional[int], typer.Option(
        "--trials", min=1, help="Run every case K times (default: each case's own trials:) and report pass^k.",
        show_default=False)] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the JSON report here.", show_default=False)] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write the HTML report here.", show_default=False)] = None,
    min_pass: Annotated[Optional[float], typer.Option(
        "--min-pass", min=0.0, max=1.0, help="Exit 1 when the pass rate (0..1) is below this.", show_default=False)] = None,
    pattern: Annotated[Optional[str], typer.Option(
        "-k", help="Only cases whose id, category or file name contains this (or matches it as a glob).",
        show_default=False)] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", min=0, help="Worker processes (default: one per CPU; 0 runs in this process).", show_default=False)] = None,
) -> None:
    from agent.providers import parse_model
    from workspace.errors import AmlPilotError

    try:
        parse_model(model)
        _check_outputs(json=json_out, html=html_out)
        selected = select(_load(cases), pattern)
    except AmlPilotError as exc:
        typer.echo("error: " + " ".join(exc.message.split()), err=True)
        raise typer.Exit(2) from None
    report = run(selected, model=model, trials=trials, workers=workers, json_out=json_out, html_out=html_out)
    rate = report["summary"]["pass_rate"]
    if min_pass is not None and rate < min_pass:
        typer.echo(f"pass rate {rate:.4f} is below --min-pass {min_pass:.4f}", err=True)
        raise typer.Exit(EXIT_BELOW_MIN_PASS)


def _check_outputs(**outputs: Path | None) -> None:
    """Refuse an unwritable report path before a long run, not after it."""
    from workspace.errors import UserInputError

    for option, path in outputs.items():
        if path is not None and not path.expanduser().resolve().parent.is_dir():
            raise UserInputError(f"--{option}: the folder of {str(path)!r} does not exist", field=option, value=str(path))


def _load(paths: Optional[list[Path]]) -> list:
    from evals import CASES_DIR
    from evals.cases import CaseError, load_cases

    cases = load_cases(paths or [CASES_DIR])
    if not cases:
        raise CaseError("cases: no case files found", field="cases")
    return cases


def select(cases: list, pattern: str | None) -> list:
    """Cases matching ``-k``: a substring of id, category or file stem, or a glob on the id."""
    from evals.cases import CaseError

    if not pattern:
        return cases
    needle = pattern.lower()
    globbing = any(ch in pattern for ch in "*?[")
    chosen = [
        c for c in cases
        if (fnmatch.fnmatchcase(c.id.lower(), needle) if globbing
            else needle in c.id.lower() or needle == c.category or needle in c.source.stem.lower())
    ]
    if not chosen:
        raise CaseError(f"-k: {pattern!r} matches no case", field="k", value=pattern)
    return chosen


def run(cases: list, *, model: str, trials: int | None, workers: int | None,
        json_out: Path | None = None, html_out: Path | None = None) -> dict:
    """Run, print the table, write the reports; returns the report."""
    from evals.report import build_report, print_table, write_html, write_json
    from evals.runner import run_cases

    total = sum(trials or c.trials for c in cases)
    typer.echo(f"running {len(cases)} cases ({total} runs) on {model}", err=True)
    started = time.monotonic()
    results = run_cases(cases, model=model, trials=trials, workers=workers, progress=_progress)
    typer.echo("", err=True)
    report = build_report(results, model=model, seconds=time.monotonic() - started)
    print_table(report, typer.echo)
    if json_out:
        write_json(report, json_out)
    if html_out:
        write_html(report, html_out)
    return report


def _progress(result: dict) -> None:
    """pytest-style: . passed, F failed, E the case could not run."""
    sys.stderr.write("E" if result["error"] else "." if result["passed"] else "F")
    sys.stderr.flush()
