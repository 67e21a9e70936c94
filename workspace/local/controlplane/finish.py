"""Ending a job: its final status, its registered outputs and its MLflow run.

The daemon (when a job process ends), a client (cancelling) and reconciliation
(after a restart) all end jobs through ``finish_job``. The status update is
conditional, so exactly one of them wins and ends the MLflow run.
"""

from __future__ import annotations

import copy
import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from workspace.errors import AmlPilotError
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import state
from workspace.local.controlplane.runner import std_log
from workspace.local.store import utcnow

_log = logging.getLogger(__name__)
_MLFLOW_STATUS = {state.COMPLETED: "FINISHED", state.FAILED: "FAILED", state.CANCELED: "KILLED"}


def finish_job(
    ctx: WorkspaceContext, name: str, status: str, error: str | None = None,
    only_from: tuple[str, ...] = state.WAITING + state.ACTIVE,
) -> bool:
    """Move a job that is in ``only_from`` to a terminal status; True if this call did it."""
    row = state.get_job(ctx.store, name)
    if row is None or row.status not in only_from:
        return False
    if status == state.COMPLETED:
        try:
            register_outputs(ctx, row)
        except AmlPilotError as exc:
            status, error = state.FAILED, str(exc)
            _append_log(ctx.root, name, error)
        except Exception as exc:  # a bug in registration must not leave the job Running forever
            _log.exception("registering the outputs of job %s failed", name)
            status, error = state.FAILED, f"outputs: registration failed ({type(exc).__name__}: {exc})".splitlines()[0]
            _append_log(ctx.root, name, error)
    done = state.set_status(ctx.store, name, status, only_from=only_from, ended_at=utcnow(), error=error)
    if done and row.mlflow_run_id:
        end_mlflow_run(ctx, row.mlflow_run_id, status)
    return done


def register_outputs(ctx: WorkspaceContext, row: state.JobRow) -> None:
    """Register each output that names an asset: data for uri_*/mltable, a model for model types."""
    outputs = row.spec.get("outputs") or {}
    named = {k: v for k, v in outputs.items() if v.get("name")}
    if not named:
        return
    as_user = copy.copy(ctx)
    as_user.user = row.created_by or ctx.user  # the submitter owns what the job registers
    for output_name, output in named.items():
        try:
            asset = _register(as_user, row.name, output_name, output)
        except AmlPilotError as exc:
            raise AmlPilotError(f"outputs.{output_name}: could not be registered as {output['name']!r}: {exc}") from None
        output["version"] = str(asset.version)
    state.update_job(ctx.store, row.name, spec=row.spec)


def _register(ctx: WorkspaceContext, job_name: str, output_name: str, output: dict):
    description = f"Output {output_name!r} of job {job_name}"
    if output["type"] in ("mlflow_model", "custom_model"):
        from azure.ai.ml.entities import Model

        from workspace.local.operations.models import ModelOperations

        model = Model(name=output["name"], version=output.get("version"), path=output["path"],
                      type=output["type"], description=output.get("description") or description)
        return ModelOperations(ctx).create_or_update(model)
    from azure.ai.ml.entities import Data

    from workspace.local.operations.data import DataOperations

    data = Data(name=output["name"], version=output.get("version"), path=output["path"],
                type=output["type"], description=output.get("description") or description)
    return DataOperations(ctx).create_or_update(data)


def end_mlflow_run(ctx: WorkspaceContext, run_id: str, status: str) -> None:
    """What ``MlflowClient.set_terminated`` does, in SQL: importing MLflow costs the daemon seconds.

    Falls back to MLflow itself should its schema ever change.
    """
    values = (_MLFLOW_STATUS[status], int(time.time() * 1000), run_id)
    try:
        with closing(sqlite3.connect(ctx.paths.mlflow_db, timeout=60)) as db, db:
            if db.execute("UPDATE runs SET status=?, end_time=? WHERE run_uuid=?", values).rowcount == 1:
                return
    except sqlite3.Error:
        pass
    try:
        from workspace.local import mlflow_store

        mlflow_store.mlflow_client(ctx).set_terminated(run_id, status=values[0], end_time=values[1])
    except Exception:  # the job's status is already stored; a tracking hiccup is logged, not fatal
        _log.exception("could not end MLflow run %s", run_id)


def _append_log(root: Path, name: str, line: str) -> None:
    path = std_log(root, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fh.write(line + "\n")
