"""The control plane's schedule hook: ``fire_due(ctx)`` every tick.

The tick itself only runs one indexed query; when a schedule is due, the
occurrence is claimed in SQLite (so it is fired once, even across restarts)
and its job is submitted on a worker thread, because building a job
(azure-ai-ml, MLflow) takes seconds the job queue shouldn't wait.
"""

from __future__ import annotations

import copy
import logging
import queue
import threading
from typing import Any

from workspace.local.scheduling import clock, table

_log = logging.getLogger("amlpilot.schedules")
_recovered: set[str] = set()
_queues: dict[str, queue.Queue] = {}


def fire_due(ctx: Any) -> None:
    """Submit the job of every schedule whose occurrence is due; report older occurrences as missed."""
    key = str(ctx.root)
    if key not in _recovered:  # this daemon's first tick: fires a dead daemon left half-done
        abandoned = table.abandon_unfinished(ctx.store)
        if abandoned:
            _log.warning("%d schedule fire(s) were interrupted by a stop and are not retried", abandoned)
        _recovered.add(key)
    now = clock.now()
    if not table.any_due(ctx.store, now):
        return
    for claim in table.settle_due(ctx.store, now):
        _worker(ctx).put(claim)


def _worker(ctx: Any) -> queue.Queue:
    """One submitting thread per workspace: fires go out in order, and imports never race."""
    key = str(ctx.root)
    if key not in _queues:
        _queues[key] = queue.Queue()
        threading.Thread(target=_submit_forever, args=(ctx, _queues[key]), name="schedule-fires", daemon=True).start()
    return _queues[key]


def _submit_forever(ctx: Any, claims: queue.Queue) -> None:
    while True:
        claim = claims.get()
        owner = copy.copy(ctx)
        owner.user = claim.user or ctx.user  # the schedule's creator submits its jobs, not the daemon's account
        submit(owner, claim.schedule, claim.scheduled_at, claim.spec, "scheduled")


def submit(ctx: Any, name: str, moment: float, spec: dict, kind: str) -> str | None:
    """Submit one fire's job and record the outcome on the fire's row; returns the job name."""
    from workspace.local.operations.jobs import JobOperations

    try:
        job = job_entity(spec, name, moment, kind)
        submitted = JobOperations(ctx).create_or_update(job)
    except Exception as exc:  # recorded on the schedule and in the daemon log; the schedule carries on
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        table.finish_fire(ctx.store, name, moment, None, error)
        _log.warning("schedule %s: the job could not be submitted: %s", name, error)
        return None
    table.finish_fire(ctx.store, name, moment, submitted.name, None)
    _log.info("schedule %s: submitted job %s", name, submitted.name)
    return submitted.name


def job_entity(spec: dict, name: str, moment: float, kind: str) -> Any:
    """A fresh job from the schedule's stored definition, tagged with the schedule that made it."""
    from datetime import datetime, timezone

    job = load_job(spec)
    job.name = None  # a new name per fire
    job.tags = {**(job.tags or {}), "azureml.schedule": name, "azureml.scheduleFire": kind,
                "azureml.scheduledTime": datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds")}
    return job


def load_job(spec: dict) -> Any:
    """The stored job entity; its relative paths mean what they meant where the schedule was created."""
    from pathlib import Path

    from azure.ai.ml.entities import Job

    return Job._load(data=dict(spec["create_job"]), yaml_path=Path(spec["base_path"]) / "scheduled-job.yml")
