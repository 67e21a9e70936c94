"""One row per deployment of an online endpoint: traffic bar, requests, rate, errors, p50/p95/p99 latency."""

from __future__ import annotations

from rich.text import Text

from tui.endpoints import DeploymentReading, EndpointReading
from tui.widgets.live_table import LiveTable
from tui.widgets.workspace_tree import traffic_bar

STATE_STYLES = {"Succeeded": "green", "Failed": "red", "Creating": "yellow", "Updating": "yellow", "Deleting": "dim"}
COLUMNS = ("deployment", "state", "traffic", "mirror", "requests", "req/s", "errors", "error %", "p50 ms", "p95 ms", "p99 ms")
NUMERIC = frozenset(COLUMNS[4:])


class EndpointMetrics(LiveTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reading: EndpointReading | None = None

    def on_mount(self) -> None:
        self.border_title = "deployments"

    def show(self, reading: EndpointReading) -> None:
        if reading == self.reading:
            return
        self.reading = reading
        columns = [(Text(c, justify="right") if c in NUMERIC else c, c) for c in COLUMNS]
        self.refill(columns, ((d.name, _cells(d)) for d in reading.deployments))
        total = sum(d.request_count or 0 for d in reading.deployments)
        self.border_title = f"deployments {len(reading.deployments)} · {total} requests"

    def row_for(self, deployment: str) -> DeploymentReading | None:
        if self.reading is None:
            return None
        return next((d for d in self.reading.deployments if d.name == deployment), None)


def _cells(d: DeploymentReading) -> list[Text]:
    errors_style = "bold red" if d.error_count else ""
    return [
        Text(d.name, style="bold"),
        Text(d.state or "—", style=STATE_STYLES.get(d.state, "")),
        Text.assemble((traffic_bar(d.traffic), "cyan"), f" {d.traffic:>3}%"),
        Text(f"{d.mirror}%" if d.mirror else "—", style="dim"),
        _number(d.request_count, "{:.0f}"),
        _number(d.requests_per_second, "{:.1f}"),
        _number(d.error_count, "{:.0f}", errors_style),
        _number(d.error_percent, "{:.1f}", errors_style),
        _number(d.p50_ms, "{:.1f}"),
        _number(d.p95_ms, "{:.1f}"),
        _number(d.p99_ms, "{:.1f}"),
    ]


def _number(value: float | int | None, form: str, style: str = "") -> Text:
    return Text("—" if value is None else form.format(value), style=style, justify="right")
