"""One job, live: status, elapsed time, log tail, MLflow metric charts, and a sweep's
trial table or an AutoML leaderboard.

A thread worker polls the client (``jobs.get``, the log file, MLflow, the
trials) and hands each reading to the widgets with ``call_from_thread``; leaving
the screen cancels the worker. A control plane that dies meanwhile is the app's
business (``tui.controlplane``), whatever screen is showing. ``c`` cancels the job: through the agent's ``jobs-cancel``
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

from tui.jobs import JobState, read_job, read_log, read_metrics
from tui.trials import SweepTrials, read_children_table, read_trial_histories
from tui.widgets.job_progress import JobProgress

POLL_SECONDS = 0.5
DETAILS_EVERY = 2.0     # metrics and trials: MLflow reads are dearer than a status read


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
        next_details = 0.0
        while not worker.is_cancelled:
            try:
                state = read_job(self.client, self.job_name)
                text, offset = read_log(state.log_path, offset)
                if state.terminal:
                    text, offset = self._rest_of_log(state, text, offset)
                details = None
                if state.terminal or time.monotonic() >= next_details:
                    details = self._read_details(state)
                    next_details = time.monotonic() + DETAILS_EVERY
                self.app.call_from_thread(self._show, state, text, details)
            except Exception as exc:  # say what broke and stop polling; the screen stays usable
                if not worker.is_cancelled:  # else the screen has gone and nobody is watching
                    self.app.call_from_thread(self.app.notify, f"job {self.job_name}: {exc}", severity="error")
                return
            if state.terminal:
                self.app.call_from_thread(self.post_message, self.Ended(state.name, state.status))
                return
            time.sleep(POLL_SECONDS)

    def _read_details(self, state: JobState) -> tuple[dict, Any]:
        """The chart's lines and the children's table: a sweep charts its trials' primary metric."""
        table = read_children_table(self.client, state.job)
        if isinstance(table, SweepTrials):
            return read_trial_histories(self.client, state.job, table.metric), table
        return read_metrics(self.client, state.run_id), table

    @staticmethod
    def _rest_of_log(state: JobState, text: str, offset: int) -> tuple[str, int]:
        parts = [text]
        while parts[-1]:
            more, offset = read_log(state.log_path, offset)
            parts.append(more)
        return "".join(parts), offset

    # Called on the UI thread (call_from_thread): widgets are only touched there. The state is
    # shown last, so whoever sees it terminal also sees the whole log, the metrics and the trials.
    def _show(self, state: JobState, text: str, details: tuple[dict, Any] | None) -> None:
        progress = self.query_one(JobProgress)
        progress.append_log(text)
        if details is not None:
            metrics, table = details
            progress.show_metrics(metrics, f"{table.metric} by trial" if isinstance(table, SweepTrials) else "metrics")
            progress.show_table(table)
        progress.show_state(state)
        self.state = state

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
