"""The request line: Enter sends, ↑/↓ walk the history, → accepts a suggested /tool name."""

from __future__ import annotations

from typing import Iterable

from textual.binding import Binding
from textual.suggester import SuggestFromList
from textual.widgets import Input

PLACEHOLDER = "Ask for something, or /tool-name key=value …  (↑ history · ctrl+p commands)"


class PromptInput(Input):
    BINDINGS = [
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder=PLACEHOLDER, **kwargs)
        self.history: list[str] = []
        self._position = 0   # len(history) means "the line being typed"
        self._draft = ""

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._position, self._draft = len(self.history), ""

    def offer_tools(self, names: Iterable[str]) -> None:
        """Suggest ``/tool-name `` completions once the session says which tools it has."""
        self.suggester = SuggestFromList([f"/{name} " for name in names], case_sensitive=False)

    def prefill(self, text: str) -> None:
        """Put ``text`` in the line for the user to finish or send."""
        self.value = text
        self.cursor_position = len(text)
        self.focus()

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._position == len(self.history):
            self._draft = self.value
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else self._draft
        self.cursor_position = len(self.value)
