"""Line charts (textual-plotext), one line per key: a job's MLflow metrics, an endpoint's request rates."""

from __future__ import annotations

from textual_plotext import PlotextPlot


class MetricsChart(PlotextPlot):
    def __init__(self, title: str = "metrics", **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.metrics: dict[str, list[tuple[float, float]]] = {}

    def on_mount(self) -> None:
        self.plt.title(f"{self.title}: none logged yet")

    def show_metrics(self, metrics: dict[str, list[tuple[float, float]]], title: str | None = None) -> None:
        if metrics == self.metrics and title in (None, self.title):
            return
        self.metrics, self.title = metrics, title or self.title
        self.plt.clear_data()
        self.plt.title(self.title if metrics else f"{self.title}: none logged yet")
        for key, points in metrics.items():
            if points:
                self.plt.plot([x for x, _ in points], [y for _, y in points], label=key, marker="braille")
        self.refresh()
