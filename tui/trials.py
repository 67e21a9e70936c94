"""A parent job's children as plain data: a sweep's trials and an AutoML job's leaderboard.

Blocking reads (SQLite, MLflow, the leaderboard file), so the job screen calls
them from its worker thread. A sweep's trials come from ``client.jobs.trials``
(the local backend's one extension to ``MLClient``'s jobs); the leaderboard is
what the ``automl-leaderboard`` tool shows (``tools.automl.leaderboard_rows``),
so the screen and the agent never disagree about which model is best.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

LEADERBOARD_ROWS = 50  # the best this many AutoML trials; the rest are in MLflow
CHARTED_TRIALS = 10    # the latest this many sweep trials are charted; more lines can't be told apart


@dataclass(frozen=True)
class TrialRow:
    name: str
    status: str
    parameters: tuple[tuple[str, Any], ...]
    value: float | None          # the last primary-metric value it logged
    reason: str = ""             # why it stopped early, or its error


@dataclass(frozen=True)
class SweepTrials:
    metric: str
    goal: str                    # maximize | minimize
    rows: tuple[TrialRow, ...]

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for row in self.rows for name, _ in row.parameters))

    @property
    def best(self) -> TrialRow | None:
        """The best completed trial, as the sweep driver judges it (stopped trials never win)."""
        scored = [r for r in self.rows if r.status == "Completed" and _number(r.value)]
        if not scored:
            return None
        pick = max if self.goal == "maximize" else min
        return pick(scored, key=lambda r: r.value)


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    trial: int
    algorithm: str
    score: float | None
    duration_seconds: float | None


@dataclass(frozen=True)
class Leaderboard:
    metric: str
    rows: tuple[LeaderRow, ...]  # best first


def read_sweep_trials(client: Any, job: Any) -> SweepTrials | None:
    """The trials so far; None when the backend can't list them (then the child-run table shows instead)."""
    trials_of = getattr(client.jobs, "trials", None)
    objective = getattr(job, "objective", None)
    if trials_of is None or objective is None:
        return None
    metric = str(objective.primary_metric)
    goal = str(getattr(objective.goal, "value", objective.goal)).lower()
    rows = tuple(
        TrialRow(t["name"], str(t["status"]), tuple((t.get("parameters") or {}).items()), t.get(metric), t.get("reason") or "")
        for t in trials_of(job.name)
    )
    return SweepTrials(metric, goal, rows)


def read_leaderboard(client: Any, job: Any) -> Leaderboard:
    from tools.automl import leaderboard_rows
    from workspace.local.automl.names import check_metric, check_task

    metric = check_metric(check_task(job.task_type), job.primary_metric)
    rows = tuple(
        LeaderRow(int(r["rank"]), int(r["trial"]), str(r.get("algorithm") or "?"), r.get("score"), r.get("duration_seconds"))
        for r in leaderboard_rows(client, job, LEADERBOARD_ROWS)
    )
    return Leaderboard(metric, rows)


def read_trial_histories(client: Any, job: Any, metric: str) -> dict[str, list[tuple[int, float]]]:
    """The latest trials' primary-metric histories from MLflow, by trial ("trial 3"), for the chart."""
    from tui.jobs import tracking_uri

    uri = tracking_uri(client)
    children = [c for c in client.jobs.list(parent_job_name=job.name) if (c.properties or {}).get("mlflow.runId")]
    if not uri or not children:
        return {}
    from mlflow.tracking import MlflowClient

    mlflow = MlflowClient(tracking_uri=uri)
    numbered = sorted((_trial_number(job.name, c.name), c) for c in children)[-CHARTED_TRIALS:]
    histories = {}
    for (number, name), child in numbered:
        points = [(m.step, m.value) for m in mlflow.get_metric_history(child.properties["mlflow.runId"], metric)]
        if points:
            histories[f"trial {number}" if number >= 0 else name] = points
    return histories


def _trial_number(sweep: str, trial: str) -> tuple[int, str]:
    """Trials are named ``<sweep>_<n>``; another backend's names get -1 and sort by name."""
    suffix = trial[len(sweep) + 1:] if trial.startswith(f"{sweep}_") else ""
    return (int(suffix) if suffix.isdigit() else -1), trial


def read_children_table(client: Any, job: Any) -> SweepTrials | Leaderboard | None:
    """What the job screen tabulates for this job's type, if anything."""
    kind = str(getattr(job, "type", ""))
    if kind == "sweep":
        return read_sweep_trials(client, job)
    if kind == "automl":
        return read_leaderboard(client, job)
    return None


def metric_text(value: Any) -> str:
    return f"{value:.4g}" if _number(value) else "—"


def duration_text(seconds: Any) -> str:
    if not _number(seconds):
        return "—"
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def parameter_text(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
