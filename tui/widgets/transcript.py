"""The conversation: user lines, the assistant's markdown, tool cards and error cards.

It only shows things; the app decides what to show. Markdown is imported on
first use (markdown-it is not needed for the first paint).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from tui.widgets.tool_card import ToolCard

WELCOME = (
    "Ask for what you need, or name a tool: [b]/compute-list[/b], "
    "[b]/compute-create name=cpu-cluster max_instances=2[/b]. "
    "Every change is previewed and needs your approval. "
    "[b]ctrl+p[/b] opens the command palette."
)


class Transcript(VerticalScroll, can_focus=False):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._answer: Any = None        # the Markdown widget the current answer streams into
        self._answer_text = ""

    def on_mount(self) -> None:
        self.anchor()  # stay at the bottom as the conversation grows, unless the user scrolls up
        self.mount(Static(WELCOME, classes="welcome"))

    def _add(self, widget: Widget) -> Widget:
        self.mount(widget)
        return widget

    # -- what the conversation shows -------------------------------------------

    def add_user(self, text: str) -> None:
        self._end_answer()
        self._add(Static(Text.assemble(("you › ", "bold"), text), classes="user-line"))

    def add_note(self, text: str) -> None:
        self._add(Static(Text(text), classes="note"))

    def add_error(self, message: str) -> None:
        self._end_answer()
        self._add(Static(Text.assemble(("✗ error  ", "bold"), message), classes="error-card"))

    def add_text(self, text: str, final: bool) -> None:
        """Streamed deltas append to one markdown block; the final event holds the whole answer."""
        from textual.widgets import Markdown

        if self._answer is None:
            self._answer_text = text
            self._answer = self._add(Markdown(text, classes="answer"))
        elif not final:
            self._answer_text += text
            self._answer.append(text)
        elif text != self._answer_text:
            self._answer.update(text)
        if final:
            self._end_answer()

    def add_tool(self, tool: str, arguments: dict[str, Any], effect: str, permission: str | None) -> ToolCard:
        self._end_answer()
        return self._add(ToolCard(tool, arguments, effect, permission))

    def show_plan(self, tool: str, plan: dict[str, Any]) -> None:
        card = self.pending_card(tool)
        if card is not None:
            card.show_plan(plan)

    def show_result(self, tool: str, status: str, result: Any, duration_ms: int = 0) -> None:
        card = self.pending_card(tool) or self.add_tool(tool, {}, "unknown", None)
        card.show_result(status, result, duration_ms)

    def pending_card(self, tool: str) -> ToolCard | None:
        """The newest card for ``tool`` that has no result yet."""
        for card in reversed(list(self.query(ToolCard))):
            if card.tool == tool and card.status == "pending":
                return card
        return None

    def _end_answer(self) -> None:
        self._answer, self._answer_text = None, ""

    # -- a resumed session's past ------------------------------------------------

    def replay(self, records: list[dict[str, Any]]) -> None:
        """Show a saved transcript (user lines and events) as it was, without asking anything again."""
        for record in records:
            kind = record.get("type")
            if kind == "user":
                self.add_user(record.get("text", ""))
            elif kind == "AssistantText" and record.get("final"):
                self.add_text(record.get("text", ""), final=True)
            elif kind == "ToolProposed":
                self.add_tool(record["tool"], record.get("arguments") or {}, record.get("effect", "write"), record.get("permission"))
            elif kind == "ApprovalRequested":
                self.show_plan(record["tool"], record.get("plan") or {})
            elif kind == "ToolResult":
                self.show_result(record["tool"], record.get("status", "ok"), record.get("result"), 0)
            elif kind == "Error":
                self.add_error(record.get("message", ""))
