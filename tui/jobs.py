"""A job's progress as plain data: status, times, log tail, child runs, MLflow metrics.

Everything here blocks (SQLite, files, MLflow), so the job screen calls it from
a worker thread. Only the MLClient ``jobs`` surface (``get``, ``list``) and the
job's own properties (``mlflow.runId``, ``azureml.jobFolder``) are used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
TERMINAL = frozenset({"Completed", "Failed", "Canceled", "NotResponding", "Paused"})
LOG_CHUNK = 64 * 1024  # most bytes read from a log per poll


@dataclass
class JobState:
    name: str
    status: str
    display_name: str = ""
    started: datetime | None = None
    ended: datetime | None = None
    error: str | None = None
    run_id: str | None = None
    log_path: Path | None = None
    children: list[tuple[str, str]] = field(default_factory=list)
    type: str = "command"
    job: Any = field(default=None, repr=False, compare=False)  # the entity, for the trial table's reader

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


def read_job(client: Any, name: str) -> JobState:
    job = client.jobs.get(name)
    props = dict(getattr(job, "properties", None) or {})
    folder = props.get("azureml.jobFolder")
    state = JobState(
        name=job.name, status=str(job.status), display_name=job.display_name or "",
        started=_time(props.get("StartTimeUtc")), ended=_time(props.get("EndTimeUtc")), error=props.get("error"),
        run_id=props.get("mlflow.runId"), log_path=Path(folder) / "user_logs" / "std_log.txt" if folder else None,
        type=str(getattr(job, "type", "") or "command"), job=job,
    )
    try:
        state.children = [(c.name, str(c.status)) for c in client.jobs.list(parent_job_name=name)]
    except Exception:  # sweep trials are a bonus; a backend without them shows none
        log.debug("listing child jobs of %s failed", name, exc_info=True)
    return state


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def elapsed(state: JobState, now: datetime | None = None) -> str:
    if state.started is None:
        return "not started"
    end = state.ended or now or datetime.now(timezone.utc)
    seconds = max(0, int((end - state.started).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def read_log(path: Path | None, offset: int) -> tuple[str, int]:
    """What the log gained since ``offset`` (decoded leniently) and the new offset."""
    if path is None:
        return "", offset
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read(LOG_CHUNK)
    except FileNotFoundError:
        return "", offset
    return chunk.decode(errors="replace"), offset + len(chunk)


def tracking_uri(client: Any) -> str | None:
    paths = getattr(client, "paths", None)
    if paths is not None and hasattr(paths, "mlflow_db"):
        return f"sqlite:///{paths.mlflow_db}"
    try:  # azure.ai.ml.MLClient: the workspace is an MLflow server too
        return client.workspaces.get(client.workspace_name).mlflow_tracking_uri
    except Exception:
        return None


def read_metrics(client: Any, run_id: str | None) -> dict[str, list[tuple[int, float]]]:
    """Every metric's history as (step, value), by key; empty when there is no run or no MLflow."""
    uri = tracking_uri(client)
    if not run_id or not uri:
        return {}
    from mlflow.tracking import MlflowClient

    mlflow = MlflowClient(tracking_uri=uri)
    keys = sorted(mlflow.get_run(run_id).data.metrics)
    return {key: [(m.step, m.value) for m in mlflow.get_metric_history(run_id, key)] for key in keys}
