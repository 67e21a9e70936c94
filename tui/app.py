"""The amlpilot TUI: ``create_app`` builds it for the CLI and the tests alike; ``run_tui`` runs it.

The first paint needs only Textual and this package: settings, the workspace
client and the agent session (semantic-kernel, azure-ai-ml) are opened by the
agent thread (``tui.bridge``) once the screen is up, and reported back as
``tui.messages.Agent`` messages.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input

from tui.bridge import AgentBridge, describe
from tui.controlplane import CHECK_SECONDS, ControlPlaneWatch, Revival
from tui.messages import Agent
from tui.widgets.prompt import PromptInput
from tui.widgets.status_bar import StatusBar
from tui.widgets.transcript import Transcript
from tui.widgets.workspace_tree import WorkspaceTree
from tui.workspace_view import WorkspaceView

REFRESH_SECONDS = 2.0  # side-panel refresh while jobs are running
ERROR_NOTICE_SECONDS = 30.0  # errors stay up longer than informational notices
GET_TOOLS = {"compute": "compute-get", "data": "data-get", "model": "models-get"}


def _palette_commands():
    from tui.commands import WorkspaceCommands  # imported when the palette first opens

    return WorkspaceCommands


class AmlPilotApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "amlpilot"
    COMMANDS = App.COMMANDS | {_palette_commands}
    BINDINGS = [
        Binding("ctrl+b", "toggle_panel", "Panel"),
        Binding("ctrl+r", "refresh_workspace", "Refresh"),
        Binding("ctrl+g", "guided_start", "Get started"),
        Binding("escape", "stop_turn", "Stop turn", show=False),
    ]

    def __init__(self, bridge_options: dict[str, Any], *, guided_start: bool | None = None) -> None:
        super().__init__()
        self.bridge = AgentBridge(self.post_message, **bridge_options)
        self.guided_start = guided_start   # None: offer it on the first launch of an empty workspace
        self.client: Any = None
        self.session_id: str | None = None
        self.read_only = False
        self.tool_names: tuple[str, ...] = ()
        self.busy = False
        self._pending: deque[str] = deque()
        self._effects: dict[str, str] = {}
        self.controlplane = ControlPlaneWatch()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            yield WorkspaceTree(id="workspace")
            with Vertical(id="chat"):
                yield Transcript(id="transcript")
                yield PromptInput(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PromptInput).focus()
        self.set_interval(REFRESH_SECONDS, self._refresh_if_active)
        self.set_interval(CHECK_SECONDS, self._check_controlplane)

    def on_ready(self) -> None:
        # After the first frame: the agent thread's imports would otherwise compete for the GIL with it.
        self.bridge.start()

    def on_unmount(self) -> None:
        self.bridge.stop()

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    # -- the agent thread's news -------------------------------------------------------

    @on(Agent.ClientReady)
    def _client_ready(self, message: Agent.ClientReady) -> None:
        self.client = message.client
        self.status.workspace, self.status.backend = message.workspace, message.backend
        self.refresh_workspace()
        if self.guided_start or (self.guided_start is None and message.first_launch):
            self.action_guided_start()

    @on(Agent.SessionReady)
    def _session_ready(self, message: Agent.SessionReady) -> None:
        self.session_id, self.read_only, self.tool_names = message.session_id, message.read_only, message.tools
        self.status.show_session(message, busy=self.busy)
        self.query_one(PromptInput).offer_tools(message.tools)
        if message.resumed:
            self.transcript.replay(message.past)
            self.transcript.add_note(f"resumed session {message.session_id}")

    @on(Agent.SessionFailed)
    def _session_failed(self, message: Agent.SessionFailed) -> None:
        self._show_error(message.message)
        if self.session_id is None:
            self.status.state = "no session"

    @on(Agent.Text)
    def _text(self, message: Agent.Text) -> None:
        self.transcript.add_text(message.event.text, message.event.final)

    @on(Agent.ToolProposed)
    def _tool_proposed(self, message: Agent.ToolProposed) -> None:
        event = message.event
        self._effects[event.tool] = event.effect
        self.transcript.add_tool(event.tool, event.arguments, event.effect, event.permission)

    @on(Agent.ApprovalRequested)
    def _approval_requested(self, message: Agent.ApprovalRequested) -> None:
        self.transcript.show_plan(message.event.tool, message.event.plan)

    @on(Agent.ToolResult)
    def _tool_result(self, message: Agent.ToolResult) -> None:
        event = message.event
        self.transcript.show_result(event.tool, event.status, event.result, event.duration_ms)
        if event.status == "ok" and self._effects.get(event.tool, "write") != "read":
            self.refresh_workspace()

    @on(Agent.Error)
    def _agent_error(self, message: Agent.Error) -> None:
        self._show_error(message.event.message)

    @on(Agent.TurnFailed)
    def _turn_failed(self, message: Agent.TurnFailed) -> None:
        self._show_error(message.message)

    def _show_error(self, text: str) -> None:
        self.transcript.add_error(text)
        # Longer than Textual's 5 s: an error must still be there when the user looks back at the screen.
        self.notify(text, title="error", severity="error", timeout=ERROR_NOTICE_SECONDS)

    @on(Agent.ApprovalNeeded)
    def _approval_needed(self, message: Agent.ApprovalNeeded) -> None:
        from agent.approval import Decision
        from tui.screens.approval import ApprovalScreen

        def answered(decision: Any) -> None:
            if not message.answer.done():  # a stopped turn has cancelled it already
                message.answer.set_result(decision or Decision.decline())

        screen = ApprovalScreen(message.request)
        screen.answer = message.answer
        self.push_screen(screen, answered)

    # -- turns ------------------------------------------------------------------------

    @on(Input.Submitted, "#prompt")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        prompt = self.query_one(PromptInput)
        prompt.value = ""
        if text in ("/exit", "/quit"):
            self.exit()
        elif text:
            prompt.remember(text)
            self.submit(text)

    def submit(self, text: str) -> None:
        """Send ``text`` to the session; while a turn runs it waits its turn."""
        self._pending.append(text)
        if not self.busy:
            self._run_turns()

    @work(exclusive=True, group="turn")
    async def _run_turns(self) -> None:
        self.busy, self.status.state = True, "working"
        try:
            while self._pending:
                text = self._pending.popleft()
                self.transcript.add_user(text)
                try:
                    await self.bridge.run_turn(text)
                except Exception as exc:  # the bridge reports turn errors itself; this is the bridge breaking
                    self.post_message(Agent.TurnFailed(describe(exc)))
        finally:
            self.busy = False
            self.status.state = "ready" if self.session_id else "starting"
            self._drop_stale_approval()
            self.refresh_workspace()

    def _drop_stale_approval(self) -> None:
        # No turn runs now, so an agent approval still showing belongs to a stopped turn.
        if getattr(self.screen, "answer", None) is not None:
            self.screen.dismiss(None)

    def action_stop_turn(self) -> None:
        if self.busy:
            self._pending.clear()
            self.workers.cancel_group(self, "turn")
            self.transcript.add_note("stopped")

    # -- the workspace ----------------------------------------------------------------

    def refresh_workspace(self) -> None:
        if self.client is not None:
            self.query_one(WorkspaceTree).reload(self.client)

    @property
    def workspace_view(self) -> WorkspaceView | None:
        return self.query_one(WorkspaceTree).view

    def _refresh_if_active(self) -> None:
        if self.workspace_view is not None and self.workspace_view.active_jobs:
            self.refresh_workspace()

    action_refresh_workspace = refresh_workspace

    def _check_controlplane(self) -> None:
        view = self.workspace_view
        if self.client is not None and view is not None and view.needs_controlplane:
            self._revive_controlplane(self.client)

    @work(thread=True, exclusive=True, group="controlplane")
    def _revive_controlplane(self, client: Any) -> None:
        news = self.controlplane.check(client)
        if news is not None:
            self.call_from_thread(self._controlplane_news, news)

    def _controlplane_news(self, news: Revival) -> None:
        if news.outcome == "restarted":
            self.transcript.add_note(news.message)
            self.notify(news.message, title="control plane", severity="warning")
            self.refresh_workspace()
        else:
            self._show_error(news.message)

    def action_toggle_panel(self) -> None:
        tree = self.query_one(WorkspaceTree)
        tree.display = not tree.display

    @on(WorkspaceTree.ItemSelected)
    def _item_selected(self, message: WorkspaceTree.ItemSelected) -> None:
        item = message.item
        if item.kind == "job":
            self.open_job(item.name)
        elif item.kind == "endpoint":
            self.open_endpoint(item.name)
        elif item.kind in GET_TOOLS:
            self.query_one(PromptInput).prefill(f"/{GET_TOOLS[item.kind]} name={item.name}")

    def open_job(self, name: str) -> None:
        from tui.screens.job import JobScreen

        if self.client is None or getattr(self.client, "jobs", None) is None:
            self.notify("this workspace has no jobs to show", severity="warning")
            return
        via_tool = (lambda job: self.submit(f"/jobs-cancel name={job}")) if "jobs-cancel" in self.tool_names else None
        self.push_screen(JobScreen(self.client, name, read_only=self.read_only, cancel_with_tool=via_tool))

    def open_endpoint(self, name: str) -> None:
        from tui.screens.endpoint import EndpointScreen

        self.push_screen(EndpointScreen(self.client, name))

    def on_job_screen_ended(self, message: Any) -> None:
        self.refresh_workspace()

    # -- guided start and the command palette ----------------------------------------------

    def action_guided_start(self) -> None:
        from tui.screens.guided_start import GuidedStartScreen

        self.push_screen(GuidedStartScreen(), self._guided_lines)

    def _guided_lines(self, lines: list[str] | None) -> None:
        for line in lines or []:
            self.submit(line)

    def get_system_commands(self, screen: Screen) -> Any:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Get started", "Register sample data, create a cluster, ...", self.action_guided_start)
        yield SystemCommand("Refresh workspace", "Read the side panel again", self.action_refresh_workspace)
        yield SystemCommand("Toggle workspace panel", "Show or hide the side panel", self.action_toggle_panel)


def create_app(
    settings: Any = None,
    client_factory: Callable[[], Any] | None = None,
    *,
    resume: str | None = None,
    model: str | None = None,
    read_only: bool | None = None,
    user: str | None = None,
    workspace: str | Path | None = None,
    session_id: str | None = None,
    max_iterations: int | None = None,
    system_prompt: str | Path | None = None,
    guided_start: bool | None = None,
) -> AmlPilotApp:
    """The app, not yet running. ``settings=None`` loads them (after the first paint) from the
    environment and config file, with ``workspace``/``user``; ``model``, ``read_only`` and ``user``
    override what the settings say. ``client_factory`` (no arguments) defaults to the local workspace."""
    options = {"session_id": session_id, "max_iterations": max_iterations, "system_prompt_path": system_prompt}
    bridge_options = {
        "settings": settings,
        "client_factory": client_factory,
        "overrides": {"model": model, "read_only": True if read_only else None, "user": user, "workspace": workspace},
        "resume": resume,
        "session_options": {k: v for k, v in options.items() if v is not None},
    }
    return AmlPilotApp(bridge_options, guided_start=guided_start)


def run_tui(settings: Any = None, client_factory: Callable[[], Any] | None = None, **options: Any) -> int:
    """Run the TUI until the user quits; ``options`` are ``create_app``'s keywords. Returns an exit code."""
    app = create_app(settings, client_factory, **options)
    app.run()
    return app.return_code or 0
