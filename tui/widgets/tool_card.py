"""One tool call in the transcript: tool, typed arguments, plan (current → desired), result.

A card is a ``Collapsible``: its title line says the tool, its effect and how
the call ended, so a long conversation can be folded down to those lines. The
title is focusable, so Enter folds and unfolds it from the keyboard.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.widgets import Collapsible, Static

from tui.tables import arguments_table, plan_table, result_table

MARKS = {"ok": "✓", "error": "✗", "declined": "–", "denied": "⊘", "pending": "…"}


class ToolCard(Collapsible):
    """Built from a ``ToolProposed`` event; ``show_plan`` and ``show_result`` fill it in."""

    def __init__(self, tool: str, arguments: dict[str, Any], effect: str, permission: str | None) -> None:
        self.tool, self.effect, self.permission = tool, effect, permission
        self.status = "pending"
        self._arguments = Static(arguments_table(arguments), classes="card-arguments")
        self._plan = Static("", classes="card-plan")
        self._result = Static("", classes="card-result")
        self._plan.display = False
        self._result.display = False
        super().__init__(self._arguments, self._plan, self._result, title=self._title_text(), collapsed=False)
        self.add_class("tool-card", f"effect-{effect}")

    def _title_text(self, detail: str = "") -> str:
        mark = MARKS.get(self.status, "?")
        suffix = f" · {detail}" if detail else ""
        return f"{mark} {self.tool} · {self.effect}{suffix}"

    def show_plan(self, plan: dict[str, Any]) -> None:
        parts: list[Any] = [Text(str(plan.get("summary", "")), style="bold")]
        parts.append(plan_table(plan))
        for warning in plan.get("warnings") or []:
            parts.append(Text(f"warning: {warning}", style="yellow"))
        self._plan.update(Group(*parts))
        self._plan.display = True
        self.title = self._title_text("awaiting approval")

    def show_result(self, status: str, result: Any, duration_ms: int = 0) -> None:
        self.status = status
        self.remove_class("status-pending")
        self.add_class(f"status-{status}")
        self._result.update(Group(Text(status, style="bold"), result_table(result)))
        self._result.display = True
        # The duration goes in the tooltip, not the text, so the screen stays the same run to run.
        self.tooltip = f"{self.tool}: {status} in {duration_ms} ms"
        self.title = self._title_text(status if status != "ok" else "")
