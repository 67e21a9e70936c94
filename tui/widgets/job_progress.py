"""A job at a glance: status and elapsed time, the live log tail, metric charts, and its children:
a sweep's trial table, an AutoML leaderboard, or (pipelines) the child runs."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Log, Static

from tui.jobs import JobState, elapsed
from tui.trials import Leaderboard, SweepTrials
from tui.widgets.automl_leaderboard import AutoMLLeaderboard
from tui.widgets.metrics_chart import MetricsChart
from tui.widgets.sweep_trials import SweepTrialTable

STATUS_STYLES = {"Completed": "bold green", "Failed": "bold red", "Canceled": "bold", "Running": "bold cyan"}
LOG_LINES = 2000  # the tail kept on screen


class JobProgress(Vertical):
    def __init__(self, name: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.job_name = name
        self.state: JobState | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self.job_name}  reading…"), id="job-status")
        yield Static("", id="job-error")
        with Horizontal(id="job-body"):
            yield Log(max_lines=LOG_LINES, id="job-log", auto_scroll=True)
            with Vertical(id="job-side"):
                yield MetricsChart(id="job-metrics")
                yield Static("", id="job-children")
        yield SweepTrialTable(id="job-trials")
        yield AutoMLLeaderboard(id="job-leaderboard")

    def on_mount(self) -> None:
        for hidden in ("#job-error", "#job-trials", "#job-leaderboard"):
            self.query_one(hidden).display = False
        self.query_one("#job-log", Log).border_title = "log"

    def show_state(self, state: JobState, now: datetime | None = None) -> None:
        self.state = state
        line = Text.assemble(
            (state.name, "bold"), "  ", (state.status, STATUS_STYLES.get(state.status, "bold yellow")),
            ("  elapsed ", "dim"), elapsed(state, now),
            (f"  {state.display_name}", "dim") if state.display_name and state.display_name != state.name else "",
        )
        self.query_one("#job-status", Static).update(line)
        error = self.query_one("#job-error", Static)
        error.display = bool(state.error)
        error.update(Text(f"error: {state.error}", style="red") if state.error else "")
        self.query_one("#job-children", Static).update(_children_table(state.children))

    def show_table(self, table: SweepTrials | Leaderboard | None) -> None:
        """A sweep's trials or an AutoML leaderboard replace the plain child-run list."""
        if isinstance(table, SweepTrials):
            self.query_one(SweepTrialTable).show(table)
        elif isinstance(table, Leaderboard):
            self.query_one(AutoMLLeaderboard).show(table)
        self.query_one(SweepTrialTable).display = isinstance(table, SweepTrials)
        self.query_one(AutoMLLeaderboard).display = isinstance(table, Leaderboard)
        self.query_one("#job-children").display = table is None

    def append_log(self, text: str) -> None:
        if text:
            self.query_one("#job-log", Log).write(text)

    def show_metrics(self, metrics: dict[str, list[tuple[int, float]]], title: str = "metrics") -> None:
        self.query_one(MetricsChart).show_metrics(metrics, title)

    @property
    def log_text(self) -> str:
        return "\n".join(self.query_one("#job-log", Log).lines)


def _children_table(children: list[tuple[str, str]]) -> Table | str:
    """A sweep's trials (or a pipeline's steps): the child runs and their status."""
    if not children:
        return ""
    table = Table(title="child runs", padding=(0, 1), show_edge=False)
    table.add_column("name")
    table.add_column("status")
    for name, status in children:
        table.add_row(name, Text(status, style=STATUS_STYLES.get(status, "")))
    return table
