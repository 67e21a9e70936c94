"""One job, live: status, elapsed time, log tail, child runs and MLflow metric charts.

A thread worker polls the client (``jobs.get``, the log file, MLflow) and hands
each reading to the widgets with ``call_from_thread``; leaving the screen
cancels the worker. ``c`` cancels the job: through the agent's ``jobs-cancel``
tool when the session has one (so it is approved and audited like any change),
otherwise by ``client.jobs.begin_cancel`` after the same approval dialog.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label
from textual.worker import get_current_worker

from tui.jobs import JobState, read_job, read_log, read_metrics, revive_controlplane
from tui.widgets.job_progress import JobProgress

POLL_SECONDS = 0.5
METRICS_EVERY = 2.0     # MLflow reads are dearer than a status read
REVIVE_EVERY = 10.0     # how often a waiting job checks that its control plane is alive


class JobScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("c", "cancel_job", "Cancel job"),
    ]

    @dataclass
    class Ended(Message):
        name: str
        status: str

    def __init__(self, client: Any, name: str, *, read_only: bool = False,
                 cancel_with_tool: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.client, self.job_name, self.read_only = client, name, read_only
        self.cancel_with_tool = cancel_with_tool
        self.state: JobState | None = None

    def compose(self) -> ComposeResult:
        yield Label(f"job {self.job_name}", id="job-title")
        yield JobProgress(self.job_name, id="job-progress")
        yield Footer()

    def on_mount(self) -> None:
        self.watch_job()

    # -- watching ---------------------------------------------------------------

    @work(thread=True, exclusive=True, group="job-watch")
    def watch_job(self) -> None:
        worker, offset = get_current_worker(), 0
        next_metrics = next_revive = 0.0
        while not worker.is_cancelled:
            try:
                state = read_job(self.client, self.job_name)
                text, offset = read_log(state.log_path, offset)
                self.app.call_from_thread(self._show, state, text)
                now = time.monotonic()
                if state.terminal or now >= next_metrics:
                    metrics = read_metrics(self.client, state.run_id)
                    self.app.call_from_thread(self._show_metrics, metrics)
                    next_metrics = now + METRICS_EVERY
                if not state.terminal and now >= next_revive:
                    self._revive()
                    next_revive = now + REVIVE_EVERY
            except Exception as exc:  # say what broke and stop polling; the screen stays usable
                if not worker.is_cancelled:  # else the screen has gone and nobody is watching
                    self.app.call_from_thread(self.app.notify, f"job {self.job_name}: {exc}", severity="error")
                return
            if state.terminal:
                self._drain_log(state, offset)
                self.app.call_from_thread(self.post_message, self.Ended(state.name, state.status))
                return
            time.sleep(POLL_SECONDS)

    def _drain_log(self, state: JobState, offset: int) -> None:
        while True:
            text, offset = read_log(state.log_path, offset)
            if not text:
                return
            self.app.call_from_thread(self._show_log, text)

    def _revive(self) -> None:
        note = revive_controlplane(self.client)
        if note:
            self.app.call_from_thread(self.app.notify, note, severity="warning")

    # Called on the UI thread (call_from_thread): widgets are only touched there.
    def _show(self, state: JobState, text: str) -> None:
        self.state = state
        progress = self.query_one(JobProgress)
        progress.show_state(state)
        progress.append_log(text)

    def _show_log(self, text: str) -> None:
        self.query_one(JobProgress).append_log(text)

    def _show_metrics(self, metrics: dict) -> None:
        self.query_one(JobProgress).show_metrics(metrics)

    # -- cancelling ------------------------------------------------------------------

    def action_cancel_job(self) -> None:
        if self.read_only:
            self.notify("this session is read-only: jobs can't be cancelled", severity="error")
        elif self.state is not None and self.state.terminal:
            self.notify(f"job {self.job_name} has already ended ({self.state.status})", severity="warning")
        elif self.cancel_with_tool is not None:
            self.cancel_with_tool(self.job_name)
        else:
            from tui.screens.approval import ApprovalScreen

            self.app.push_screen(ApprovalScreen(cancel_request(self.job_name, self.state)), self._cancel_answered)

    def _cancel_answered(self, decision: Any) -> None:
        if decision is not None and decision.kind != "decline":
            self.cancel_job()

    @work(thread=True, group="job-cancel")
    def cancel_job(self) -> None:
        try:
            self.client.jobs.begin_cancel(self.job_name)
        except Exception as exc:
            self.app.call_from_thread(self.app.notify, f"cancel {self.job_name}: {exc}", severity="error")
            return
        self.app.call_from_thread(self.app.notify, f"cancel requested for job {self.job_name}")


def cancel_request(name: str, state: JobState | None) -> Any:
    """The approval dialog's request for a cancel that no agent tool covers yet."""
    from agent.approval import ApprovalRequest
    from tools.base import Plan

    status = state.status if state else "unknown"
    plan = Plan(action="cancel job", target=f"job/{name}", current={"status": status}, desired={"status": "Canceled"},
                summary=f"job {name}: {status} -> Canceled", resource_name=name)
    # No tool declares this call yet, so there is no declared RBAC action to show.
    return ApprovalRequest("jobs.begin_cancel", {"name": name}, plan, "write", None, None)
