"""One line: workspace, backend, model, identity, read-only, session and whether the agent is busy."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Static):
    workspace: reactive[str] = reactive("…")
    backend: reactive[str] = reactive("local")
    model: reactive[str] = reactive("…")
    identity: reactive[str] = reactive("…")
    read_only: reactive[bool] = reactive(False)
    session_id: reactive[str] = reactive("")
    state: reactive[str] = reactive("starting")   # starting | ready | working | no session

    def show_session(self, session: Any, *, busy: bool = False) -> None:
        """From an ``Agent.SessionReady`` message."""
        self.model, self.read_only, self.session_id = session.model, session.read_only, session.session_id
        self.identity = f"{session.user} ({', '.join(session.roles) or 'no role'})"
        self.state = "working" if busy else "ready"

    def render(self) -> Text:
        parts = [
            ("workspace ", "dim"), (self.workspace, "bold"),
            ("  backend ", "dim"), (self.backend, ""),
            ("  model ", "dim"), (self.model, ""),
            ("  as ", "dim"), (self.identity, ""),
        ]
        if self.read_only:
            parts.append(("  READ-ONLY", "bold reverse"))
        if self.session_id:
            parts += [("  session ", "dim"), (self.session_id, "")]
        parts += [("  ● ", _STATE_STYLES.get(self.state, "")), (self.state, "")]
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")


_STATE_STYLES = {"starting": "yellow", "ready": "green", "working": "cyan", "no session": "red"}
