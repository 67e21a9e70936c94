"""An AutoML job's leaderboard: rank, trial, algorithm, primary metric, duration; the best first and marked.

The rows come ranked from ``tui.trials.read_leaderboard`` (the same ranking as
the ``automl-leaderboard`` tool); ``show`` refills the table only when they
changed, which they do as trials finish while the job runs.
"""

from __future__ import annotations

from rich.text import Text

from tui.trials import Leaderboard, LeaderRow, duration_text, metric_text
from tui.widgets.live_table import LiveTable

BEST_STYLE = "bold green"
BEST_MARK = "★"


class AutoMLLeaderboard(LiveTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.board: Leaderboard | None = None

    def on_mount(self) -> None:
        self.border_title = "leaderboard"

    def show(self, board: Leaderboard) -> None:
        if board == self.board:
            return
        self.board = board
        columns = [(" ", "mark"), (Text("rank", justify="right"), "rank"), (Text("trial", justify="right"), "trial"),
                   ("algorithm", "algorithm"), (Text(board.metric, justify="right"), "metric"),
                   (Text("duration", justify="right"), "duration")]
        self.refill(columns, ((str(row.trial), _cells(row)) for row in board.rows))
        best = board.rows[0] if board.rows else None
        self.border_title = (f"leaderboard · {board.metric} · best {best.algorithm} = {metric_text(best.score)}"
                             if best else f"leaderboard · {board.metric} · no trial finished yet")


def _cells(row: LeaderRow) -> list[Text]:
    style = BEST_STYLE if row.rank == 1 else ""
    return [
        Text(BEST_MARK if row.rank == 1 else " ", style=style),
        Text(str(row.rank), style=style, justify="right"),
        Text(str(row.trial), style=style, justify="right"),
        Text(row.algorithm, style=style),
        Text(metric_text(row.score), style=style, justify="right"),
        Text(duration_text(row.duration_seconds), justify="right"),
    ]
