"""Scripted prompt evaluations: YAML cases run against fresh local workspaces and scored on state.

``cases`` loads and validates the case files, ``fixtures`` builds the
workspaces they start from, ``runner`` plays each case's turns through a real
``Session`` with a scripted approver, ``scorers`` judges what happened and
``report`` writes the terminal table, JSON and HTML. ``commands.register``
adds ``amlpilot eval``. See docs/evals.md.
"""

from pathlib import Path

EVALS_DIR = Path(__file__).resolve().parent
CASES_DIR = EVALS_DIR / "cases"
FIXTURES_DIR = EVALS_DIR / "fixtures"
