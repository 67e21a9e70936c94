"""Tool arguments, plans and results as Rich tables for the transcript's cards.

Results are the JSON-able summaries tools return (``tools.results``): a list of
dicts becomes a table with one row each, a dict becomes field/value rows, and
anything else is shown as text. Plain functions, so they are easy to test.
"""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table
from rich.text import Text

MAX_ROWS = 50      # a result longer than this says how many rows were left out
MAX_COLUMNS = 8
MAX_CELL = 60      # characters of one cell
CHANGED = "bold yellow"  # Rich styles can't use the theme's variables


def cell(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def arguments_table(arguments: dict[str, Any]) -> Table | Text:
    if not arguments:
        return Text("no arguments", style="dim")
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in arguments.items():
        table.add_row(key, cell(value))
    return table


def plan_table(plan: dict[str, Any]) -> Table:
    """current → desired, one row per field; a changed field is highlighted."""
    current, desired = plan.get("current"), plan.get("desired")
    table = Table(box=None, padding=(0, 1), pad_edge=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("current")
    table.add_column("→", width=1)
    table.add_column("desired")
    if isinstance(current, dict) or isinstance(desired, dict):
        before, after = current or {}, desired or {}
        for key in dict.fromkeys([*before, *after]):
            style = CHANGED if before.get(key) != after.get(key) else ""
            table.add_row(key, cell(before.get(key)) if current is not None else "absent", "→",
                          Text(cell(after.get(key)) if desired is not None else "absent", style=style))
    else:
        table.add_row(str(plan.get("target", "")), cell(current) if current is not None else "absent", "→",
                      cell(desired) if desired is not None else "absent")
    return table


def result_table(result: Any) -> Table | Text:
    if isinstance(result, list) and result and all(isinstance(r, dict) for r in result):
        return _rows_table(result)
    if isinstance(result, dict):
        return _fields_table(result)
    if isinstance(result, list):
        return Text("none" if not result else ", ".join(cell(r) for r in result))
    return Text(cell(result) if not isinstance(result, str) else result)


def _rows_table(rows: list[dict[str, Any]]) -> Table:
    columns = list(dict.fromkeys(key for row in rows for key in row))[:MAX_COLUMNS]
    table = Table(padding=(0, 1), show_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        # The first column is usually the name: keep it whole; the others fold rather than hide text.
        table.add_column(column, no_wrap=index == 0, overflow="fold")
    for row in rows[:MAX_ROWS]:
        table.add_row(*(cell(row.get(c)) for c in columns))
    if len(rows) > MAX_ROWS:
        table.caption = f"{len(rows) - MAX_ROWS} more rows not shown"
    return table


def _fields_table(result: dict[str, Any]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in _flatten(result):
        table.add_row(key, cell(value))
    return table


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """{"compute": {"name": "c1"}} -> [("compute.name", "c1")]: one level of nesting is the common case."""
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and not prefix:
            rows.extend(_flatten(value, prefix=f"{name}."))
        else:
            rows.append((name, value))
    return rows
