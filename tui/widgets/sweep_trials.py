"""A sweep's trials: name, status, one column per hyperparameter, the primary metric; the best is marked.

``show`` is called on every poll; the table is refilled only when the trials
changed (``LiveTable`` keeps the cursor on its trial).
"""

from __future__ import annotations

from rich.text import Text

from tui.trials import SweepTrials, TrialRow, metric_text, parameter_text
from tui.widgets.live_table import LiveTable

STATUS_STYLES = {"Completed": "green", "Failed": "red", "Canceled": "dim", "Running": "cyan"}
BEST_STYLE = "bold green"
BEST_MARK = "★"


class SweepTrialTable(LiveTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.trials: SweepTrials | None = None

    def on_mount(self) -> None:
        self.border_title = "trials"

    def show(self, trials: SweepTrials) -> None:
        if trials == self.trials:
            return
        self.trials = trials
        best = trials.best
        columns = [(" ", "mark"), ("trial", "trial"), ("status", "status"),
                   *((name, f"param:{name}") for name in trials.parameter_names),
                   (Text(trials.metric, justify="right"), "metric"), ("stopped because", "reason")]
        self.refill(columns, ((row.name, _cells(row, trials, row is best)) for row in trials.rows))
        self.border_title = _title(trials, best)

    @property
    def best_name(self) -> str | None:
        best = self.trials.best if self.trials else None
        return best.name if best else None


def _cells(row: TrialRow, trials: SweepTrials, is_best: bool) -> list[Text]:
    style = BEST_STYLE if is_best else ""
    parameters = dict(row.parameters)
    return [
        Text(BEST_MARK if is_best else " ", style=style),
        Text(row.name, style=style),
        Text(row.status, style=STATUS_STYLES.get(row.status, "yellow")),
        *(Text(parameter_text(parameters[n]) if n in parameters else "—", style=style) for n in trials.parameter_names),
        Text(metric_text(row.value), style=style, justify="right"),
        Text(row.reason, style="dim"),
    ]


def _title(trials: SweepTrials, best: TrialRow | None) -> str:
    goal = f"{trials.metric} ({trials.goal})"
    if best is None:
        return f"trials {len(trials.rows)} · {goal} · no completed trial yet"
    return f"trials {len(trials.rows)} · {goal} · best {best.name} = {metric_text(best.value)}"
