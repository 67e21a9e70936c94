"""One online endpoint, live: per deployment its traffic, requests, request rate, errors and latency percentiles.

A thread worker reads the endpoint every ``POLL_SECONDS`` (``tui.endpoints``)
and hands each reading to the widgets with ``call_from_thread``; leaving the
screen cancels it. A failed reading (the gateway restarting, the endpoint
deleted) is shown on the screen and the worker keeps trying, so the view
recovers by itself once the endpoint answers again.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Label, Static
from textual.worker import get_current_worker

from tui.bridge import describe
from tui.endpoints import EndpointReading, read_endpoint
from tui.widgets.endpoint_metrics import EndpointMetrics
from tui.widgets.metrics_chart import MetricsChart

POLL_SECONDS = 1.0
CHART_POINTS = 120  # the last two minutes of request rates


class EndpointScreen(Screen):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, client: Any, name: str) -> None:
        super().__init__()
        self.client, self.endpoint_name = client, name
        self.reading: EndpointReading | None = None
        self.problem: str | None = None
        self._first_taken: float | None = None
        self._rates: dict[str, list[tuple[float, float]]] = {}

    def compose(self) -> ComposeResult:
        yield Label(f"endpoint {self.endpoint_name}", id="endpoint-title")
        yield Static(Text("reading…", style="dim"), id="endpoint-info")
        yield EndpointMetrics(id="endpoint-metrics")
        yield MetricsChart("requests per second", id="endpoint-chart")
        yield Footer()

    def on_mount(self) -> None:
        if getattr(self.client, "online_endpoints", None) is None:
            self._show_problem("this workspace's backend has no online endpoints")
            return
        self.watch_endpoint()

    @work(thread=True, exclusive=True, group="endpoint-watch")
    def watch_endpoint(self) -> None:
        worker, reading = get_current_worker(), None
        while not worker.is_cancelled:
            try:
                reading = read_endpoint(self.client, self.endpoint_name, reading)
            except Exception as exc:  # shown on the screen; the next poll may well succeed
                if not worker.is_cancelled:
                    self.app.call_from_thread(self._show_problem, describe(exc))
                reading = None
            else:
                if not worker.is_cancelled:
                    self.app.call_from_thread(self._show, reading)
            time.sleep(POLL_SECONDS)

    # Called on the UI thread (call_from_thread): widgets are only touched there.
    def _show(self, reading: EndpointReading) -> None:
        self.reading, self.problem = reading, None
        self.query_one(EndpointMetrics).show(reading)
        self.query_one("#endpoint-info", Static).update(_info(reading))
        if self._first_taken is None:
            self._first_taken = reading.taken_at
        seconds = round(reading.taken_at - self._first_taken, 1)
        for deployment in reading.deployments:
            if deployment.requests_per_second is not None:
                points = self._rates.setdefault(deployment.name, [])
                points.append((seconds, deployment.requests_per_second))
                del points[:-CHART_POINTS]
        self.query_one(MetricsChart).show_metrics({name: list(points) for name, points in self._rates.items()})

    def _show_problem(self, message: str) -> None:
        if message != self.problem:  # one notification per new problem, not one per poll
            self.app.notify(f"endpoint {self.endpoint_name}: {message}", severity="error")
        self.problem = message
        self.query_one("#endpoint-info", Static).update(Text(f"unavailable: {message}", style="red"))


def _info(reading: EndpointReading) -> Text:
    parts = [("state ", "dim"), (reading.state or "—", "bold"), ("  auth ", "dim"), (reading.auth_mode or "—", ""),
             ("  scoring ", "dim"), (reading.scoring_uri or "—", "")]
    if reading.metrics_note:
        parts.append((f"  ({reading.metrics_note})", "yellow"))
    return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")

