"""Command-palette entries (ctrl+p): start any tool line, open any job or online endpoint.

Choosing a tool puts ``/tool-name `` in the prompt rather than running it: the
arguments are the user's to type, and the call is then approved as usual.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class WorkspaceCommands(Provider):
    def _entries(self) -> list[tuple[str, str, Any]]:
        app: Any = self.app
        entries = [(f"tool /{name}", "put this tool in the prompt", partial(_start_line, app, name))
                   for name in getattr(app, "tool_names", ())]
        view = getattr(app, "workspace_view", None)
        for item in (view.sections.get("Jobs", ()) if view else ()):
            entries.append((f"open job {item.name}", f"status {item.status}", partial(app.open_job, item.name)))
        for item in (view.sections.get("Endpoints", ()) if view else ()):
            traffic = ", ".join(f"{name} {percent}%" for name, percent in item.traffic) or "no traffic"
            entries.append((f"open endpoint {item.name}", traffic, partial(app.open_endpoint, item.name)))
        return entries

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            if title.startswith("open "):
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


def _start_line(app: Any, tool: str) -> None:
    from tui.widgets.prompt import PromptInput

    app.query_one(PromptInput).prefill(f"/{tool} ")
