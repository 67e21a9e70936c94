"""A job's MLflow metrics as line charts (textual-plotext), one line per metric key."""

from __future__ import annotations

from textual_plotext import PlotextPlot


class MetricsChart(PlotextPlot):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.metrics: dict[str, list[tuple[int, float]]] = {}

    def on_mount(self) -> None:
        self.plt.title("metrics: none logged yet")

    def show_metrics(self, metrics: dict[str, list[tuple[int, float]]]) -> None:
        if metrics == self.metrics:
            return
        self.metrics = metrics
        self.plt.clear_data()
        self.plt.title("metrics" if metrics else "metrics: none logged yet")
        for key, points in metrics.items():
            if points:
                self.plt.plot([step for step, _ in points], [value for _, value in points], label=key, marker="braille")
        self.refresh()
