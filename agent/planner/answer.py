"""Short answers from tool results: a sentence, or a small markdown table.

Results are shown, never obeyed: whatever a description, tag, log line or
CSV cell says ends up as text in a cell. Rendering goes by the result's shape
(a list of records, a change with a summary, rows and columns, a decline, an
error), not by tool, so a new tool's results read well too.
"""

from __future__ import annotations

import json
from typing import Any

MAX_ROWS, MAX_COLUMNS, MAX_CELL = 15, 6, 48
_FIRST_COLUMNS = ("name", "principal", "version", "role", "type", "size", "status")
_NOUNS = {"compute": "compute", "data": "data asset", "models": "model", "environments": "environment",
          "components": "component", "datastores": "datastore", "access": "role assignment", "jobs": "job",
          "rai": "Responsible AI dashboard"}


def render(results: list[dict[str, Any]], notes: list[str] | None = None) -> str:
    """One paragraph per result, in order, then ``notes`` (like a name the planner picked).

    A result may carry the ``arguments`` of its call: an empty filtered list then says what it filtered by.
    """
    parts = [render_one(r["name"], r.get("text", ""), r.get("arguments")) for r in results]
    parts += [f"({note[0].upper()}{note[1:]}.)" for note in notes or []]
    return "\n\n".join(p for p in parts if p) or "Done."


def render_one(tool: str, text: str, arguments: dict[str, Any] | None = None) -> str:
    data = _json(text)
    if data is None:
        return _plain(tool, text)
    if isinstance(data, list):
        return _listing(tool, data, arguments or {})
    if not isinstance(data, dict):
        return f"{tool}: {_cell(data)}"
    if data.get("status") == "declined":
        return f"Nothing changed for {data.get('target', tool)}: {data.get('reason', 'declined')}."
    for keys, shape in _SHAPES:
        if keys <= data.keys():
            return shape(tool, data)
    return _record(data)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _plain(tool: str, text: str) -> str:
    text = " ".join(str(text).split())
    if text.startswith("Error: "):
        return f"That didn't work ({tool}): {text.removeprefix('Error: ')}"
    return text or f"{tool} returned nothing."


def noun(tool: str, count: int = 1) -> str:
    """'data asset' / 'data assets' for data-list; a new plugin's own name otherwise."""
    plugin = tool.partition("-")[0]
    singular = _NOUNS.get(plugin) or _singular(plugin.replace("_", " "))
    return singular if count == 1 else f"{singular}s"


def _singular(word: str) -> str:
    for plural, single in (("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("xes", "x"), ("ies", "y"), ("s", "")):
        if word.endswith(plural):
            return word[: -len(plural)] + single
    return word


def _listing(tool: str, rows: list[Any], arguments: dict[str, Any]) -> str:
    if not rows:
        given = [f"{k.replace('_', ' ')} {v}" for k, v in arguments.items() if v not in (None, "", False, True)]
        if given:
            return f"No {noun(tool, 2)} with {', '.join(given)}."
        return f"There are no {noun(tool, 2)} yet." if tool.endswith("-list") else "Nothing found."
    if not all(isinstance(r, dict) for r in rows):
        return ", ".join(_cell(r) for r in rows)
    title = f"{len(rows)} {noun(tool, len(rows))}:"
    return f"{title}\n\n{table(rows)}"


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or _columns(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:MAX_ROWS]:
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    if len(rows) > MAX_ROWS:
        lines.append(f"\n…and {len(rows) - MAX_ROWS} more.")
    return "\n".join(lines)


def _columns(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key, value in row.items():
            if not isinstance(value, dict) or key == "tags":
                seen.setdefault(key, None)
    ordered = [c for c in _FIRST_COLUMNS if c in seen] + [c for c in seen if c not in _FIRST_COLUMNS]
    return [c for c in ordered if c not in ("created_at", "granted_at", "path", "description")][:MAX_COLUMNS] or list(seen)[:1]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, list):
        text = ", ".join(_cell(v) for v in value)
    else:
        text = str(value)
    # A cell is data: no line breaks or table pipes from it can change the table around it.
    text = " ".join(text.replace("|", "/").split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _record(data: dict) -> str:
    name = data.get("name") or data.get("principal")
    fields = [f"{k}: {_cell(v)}" for k, v in data.items() if k not in ("name", "principal") and v not in (None, "", [], {})]
    head = f"**{name}**" if name else "Result"
    return f"{head}: " + "; ".join(fields[:10]) + ("." if fields else "")


# -- shapes ----------------------------------------------------------------------


def _change(tool: str, data: dict) -> str:
    status = str(data.get("status", "done")).replace("_", " ")
    return f"{status[:1].upper()}{status[1:]}: {data['summary']}."


def _undo(tool: str, data: dict) -> str:
    inner = data.get("result")
    detail = render_one(data.get("inverse", tool), json.dumps(inner) if not isinstance(inner, str) else inner)
    return f"Undid {data['undoing']} by running {data.get('inverse')}. {detail}"


def _rows(tool: str, data: dict) -> str:
    every = [str(c) for c in data["columns"]]
    columns = every[:8]
    rows = [dict(zip(columns, row)) for row in data["rows"]]
    total = data.get("total_rows")
    named = f"{data.get('name', 'The data')} has {len(every)} columns: {', '.join(every)}."
    head = f"First {len(rows)} rows" + (f" ({total} in all)" if total else "") + ":"
    return f"{named}\n\n{head}\n\n{table(rows, columns)}"


def _check(tool: str, data: dict) -> str:
    roles = ", ".join(data["roles"]) or "no built-in role"
    holders = ", ".join(f"{p['principal']} ({', '.join(p['roles'])})" for p in data["principals"])
    who = f"Who holds one: {holders}." if holders else "Nobody here holds one of them yet."
    return f"Roles that allow {data.get('action')}: {roles}. {who}"


def _summary(tool: str, data: dict) -> str:
    counts = data["counts"]
    held = [f"{n} {k}" + (f" ({', '.join(map(str, data.get(k, [])[:5]))})" if n else "") for k, n in counts.items()]
    where = f" at {data['root']}" if data.get("root") else ""
    tracking = f"\n\nMLflow tracking URI: {data['tracking_uri']}" if data.get("tracking_uri") else ""
    return f"Workspace **{data.get('name')}**{where}: " + "; ".join(held) + "." + tracking


_SHAPES = (
    ({"undoing"}, _undo),
    ({"status", "summary"}, _change),
    ({"columns", "rows"}, _rows),
    ({"roles", "principals"}, _check),
    ({"counts"}, _summary),
)
