"""The side panel: computes, data, models, jobs with status, endpoints with traffic bars.

A section whose operation group the client lacks is left out.

``reload(client)`` reads a ``WorkspaceView`` in a worker thread (SQLite and
entity conversion block); the tree is rebuilt only when that view changed, so
the cursor stays put on periodic refreshes. Selecting a job asks to open it;
selecting anything else asks for its details.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Tree
from textual.worker import get_current_worker

from tui.workspace_view import SECTIONS, Item, WorkspaceView, read_workspace

JOB_STYLES = {"Completed": "green", "Failed": "red", "Canceled": "dim", "Running": "cyan", "Queued": "yellow"}
BAR_WIDTH = 10


def traffic_bar(percent: int, width: int = BAR_WIDTH) -> str:
    filled = round(max(0, min(100, percent)) * width / 100)
    return "█" * filled + "░" * (width - filled)


class WorkspaceTree(Tree[Item]):
    @dataclass
    class ItemSelected(Message):
        """Enter or a click on one workspace object."""

        item: Item

    def __init__(self, **kwargs) -> None:
        super().__init__("workspace", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self.view: WorkspaceView | None = None

    def on_mount(self) -> None:
        self.root.add_leaf(Text("reading the workspace…", style="dim"))

    @work(thread=True, exclusive=True, group="workspace-tree")
    def reload(self, client: Any) -> None:
        worker = get_current_worker()
        try:
            self.app.call_from_thread(self.show, read_workspace(client))
        except Exception as exc:  # a newer reload or the app's exit may have overtaken this one
            if not worker.is_cancelled:
                self.app.call_from_thread(self.app.notify, f"workspace panel: {exc}", severity="error")

    def show(self, view: WorkspaceView) -> None:
        if view == self.view:
            return
        self.view = view
        selected = _item_key(self.cursor_node)
        self.clear()
        for title in SECTIONS:
            if title in view.absent:
                continue
            items = view.sections.get(title, ())
            section = self.root.add(Text.assemble((title, "bold"), (f"  {len(items)}", "dim")), expand=True)
            if title in view.errors:
                section.add_leaf(Text(f"unavailable: {view.errors[title]}", style="red"))
            elif not items:
                section.add_leaf(Text("none yet", style="dim"))
            for item in items:
                self._add_item(section, item)
        if selected is not None:  # a refresh (a job changed status) must not move the user's cursor
            self.call_after_refresh(self._move_to, selected)

    def _move_to(self, key: tuple[str, str]) -> None:
        stack = [self.root]
        while stack:
            node = stack.pop(0)
            if _item_key(node) == key:
                self.move_cursor(node)
                return
            stack.extend(node.children)

    def _add_item(self, section, item: Item) -> None:
        if item.kind == "job":
            label = Text.assemble(("● ", JOB_STYLES.get(item.status or "", "yellow")), item.name, (f" {item.status}", "dim"))
            section.add_leaf(label, data=item)
        elif item.kind == "endpoint":
            node = section.add(Text(item.name), data=item, expand=True)
            for deployment, percent in item.traffic:
                node.add_leaf(Text.assemble(f"{deployment} ", (traffic_bar(percent), "cyan"), f" {percent}%"), data=item)
        else:
            section.add_leaf(Text.assemble(item.name, (f"  {item.detail}", "dim")), data=item)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Item]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.ItemSelected(event.node.data))


def _item_key(node: Any) -> tuple[str, str] | None:
    item = getattr(node, "data", None)
    return (item.kind, item.name) if item is not None else None
