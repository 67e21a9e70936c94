"""The chat history as turns: what the user said, which calls followed, what came back, the reply.

The service hands the planner plain dicts (no semantic-kernel types):
``{"role": "user", "text"}``, ``{"role": "assistant", "text", "calls": [{"name", "arguments"}]}``
and ``{"role": "tool", "name", "text"}``. Only user text is ever read for
requests; results are rendered or mined for names, never parsed as requests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agent.planner.references import Mention


@dataclass
class Turn:
    text: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    reply: str = ""


def parse_turns(messages: list[dict[str, Any]]) -> list[Turn]:
    turns: list[Turn] = []
    for message in messages:
        role = message.get("role")
        if role == "user":
            turns.append(Turn(str(message.get("text") or "")))
        elif not turns:
            continue  # the system prompt, or history before the first user turn
        elif role == "tool":
            turns[-1].results.append({"name": message.get("name") or "", "text": str(message.get("text") or "")})
        elif role == "assistant":
            for call in message.get("calls") or ():
                turns[-1].calls.append((call.get("name") or "", _arguments(call.get("arguments"))))
            if message.get("text"):
                turns[-1].reply = str(message["text"])
    return turns


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        decoded = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def mentions_in(turns: list[Turn], tools: dict[str, Any]) -> list[Mention]:
    """Resources the conversation named, oldest first: each call's resource, and a one-item list's item."""
    found: list[Mention] = []
    for turn in turns:
        for name, arguments in turn.calls:
            tool = tools.get(name)
            primary = tool.primary if tool is not None else None
            value = arguments.get(primary.name) if primary is not None else None
            if isinstance(value, str) and value and not tool.principal_kind:
                found.append(Mention(tool.kind, value.split(":")[0].split("@")[0]))
        for result in turn.results:
            found.extend(_listed(result, tools))
            found.extend(_created(result, tools))
    return found


def _created(result: dict[str, Any], tools: dict[str, Any]) -> list[Mention]:
    """What a create made, when the planner didn't name it (a job gets a generated name)."""
    tool = tools.get(result.get("name", ""))
    if tool is None or not tool.function.startswith("create"):
        return []
    try:
        data = json.loads(result.get("text") or "")
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    inner = [v for v in data.values() if isinstance(v, dict) and isinstance(v.get("name"), str)]
    return [Mention(tool.kind, inner[0]["name"])] if inner else []


def _listed(result: dict[str, Any], tools: dict[str, Any]) -> list[Mention]:
    """A list that came back with exactly one item names it ("what data do I have?" -> "show it")."""
    tool = tools.get(result.get("name", ""))
    if tool is None or tool.function != "list" or tool.principal_kind:
        return []
    try:
        rows = json.loads(result.get("text") or "")
    except ValueError:
        return []
    if isinstance(rows, list) and len(rows) == 1 and isinstance(rows[0], dict) and isinstance(rows[0].get("name"), str):
        return [Mention(tool.kind, rows[0]["name"])]
    return []
