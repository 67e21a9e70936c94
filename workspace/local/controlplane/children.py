"""Child jobs of sweeps and pipelines: making them, cancelling them, reading their metrics.

A child is an ordinary command job row (``parent_job_name`` set) with an MLflow
run tagged ``mlflow.parentRunId``. The client checks and resolves everything a
child needs at submit time into a *template* (the spec ``submit.prepare``
returns); a driver only fills in what is known later (sampled parameters,
upstream outputs) and binds the command, so it needs neither azure-ai-ml nor a
second round of validation.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
from contextlib import closing
from types import SimpleNamespace
from typing import Any, Callable

from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import state
from workspace.local.store import Store, utcnow

_log = logging.getLogger(__name__)
ENDING = state.TERMINAL + (state.CANCEL_REQUESTED,)  # a parent in one of these must not keep children
LIVE = state.WAITING + (state.PREPARING, state.RUNNING)


# -- templates (client side) ----------------------------------------------------


def template(row: dict, declared: set, outputs: dict) -> dict:
    """What a driver needs to make children from ``submit.prepare``'s row for one trial or step."""
    return {
        "spec": row["spec"], "compute": row["compute"], "slots": row["slots"],
        "declared": sorted(declared), "outputs": output_declarations(outputs),
    }


def output_declarations(outputs: dict | None) -> dict[str, dict]:
    fields = ("type", "path", "name", "version", "mode", "description")
    return {n: {f: _plain(getattr(o, f, None)) for f in fields} for n, o in (outputs or {}).items()}


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


# -- making children (driver side) ------------------------------------------------


def make_child(
    ctx: WorkspaceContext, parent: state.JobRow, tmpl: dict, name: str, *,
    inputs: dict | None = None, command: str | None = None, display_name: str | None = None,
    properties: dict | None = None, extra: dict | None = None,
) -> dict:
    """The row of one child: the template with its inputs filled in, its own outputs, its command bound."""
    from workspace.local.controlplane.bindings import bind_command, resolve_outputs

    spec = copy.deepcopy(tmpl["spec"])
    spec["inputs"] = {**spec.get("inputs", {}), **(inputs or {})}
    if command is not None:
        spec["command"] = command
    declarations = {n: SimpleNamespace(**d) for n, d in tmpl["outputs"].items()}
    spec["outputs"] = resolve_outputs(ctx, name, declarations)
    spec["bound_command"] = bind_command(spec["command"], spec["inputs"], spec["outputs"], set(tmpl["declared"]))
    spec["properties"] = {**spec.get("properties", {}), **(properties or {})}
    spec.update(extra or {})
    return {
        "name": name, "type": "command", "status": state.NOT_STARTED, "compute": tmpl["compute"],
        "slots": tmpl["slots"], "spec": spec, "experiment_name": parent.experiment_name,
        "display_name": display_name or name, "parent_job_name": parent.name, "created_by": parent.created_by,
    }


def submit_child(ctx: WorkspaceContext, parent: state.JobRow, row: dict, *, status: str | None = None) -> str:
    """Create the child's MLflow run under the parent's and insert its row; returns its name.

    ``status`` inserts the row already ended (a reused pipeline step); its run ends with it.
    """
    from workspace.local import mlflow_store
    from workspace.local.controlplane.finish import end_mlflow_run
    from workspace.local.controlplane.submit import create_mlflow_run

    row["name"] = free_name(ctx.store, row["name"])
    row["mlflow_run_id"] = create_mlflow_run(ctx, row)
    if parent.mlflow_run_id:
        mlflow_store.mlflow_client(ctx).set_tag(row["mlflow_run_id"], "mlflow.parentRunId", parent.mlflow_run_id)
    if status is not None:
        now = utcnow()
        row.update(status=status, started_at=now, ended_at=now)
    state.insert_job(ctx.store, row)
    if status is not None:
        end_mlflow_run(ctx, row["mlflow_run_id"], status)
    return row["name"]


def free_name(store: Store, name: str) -> str:
    """``name``, or ``name-2``, ``name-3``... if a job has it already (names are workspace-wide)."""
    candidate, n = name, 1
    while state.get_job(store, candidate) is not None:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def update_spec(store: Store, name: str, change: Callable[[dict], None]) -> None:
    """Change a job's spec in one write transaction: a client updating its tags meanwhile loses nothing."""
    with store.transaction() as db:
        found = db.execute("SELECT spec FROM jobs WHERE name=?", (name,)).fetchone()
        if found is None:
            return
        spec = json.loads(found[0])
        change(spec)
        db.execute("UPDATE jobs SET spec=?, updated_at=? WHERE name=?", (json.dumps(spec, default=str), utcnow(), name))


# -- cancelling -------------------------------------------------------------------


def cancel(ctx: WorkspaceContext, name: str, reason: str | None = None) -> bool:
    """Cancel one job: a waiting one at once, a running one through the daemon. True if this call did it.

    ``reason`` (e.g. early termination) goes into the job's ``termination_reason`` property.
    """
    from workspace.local.controlplane.finish import finish_job

    done = finish_job(ctx, name, state.CANCELED, only_from=state.WAITING) or state.set_status(
        ctx.store, name, state.CANCEL_REQUESTED, only_from=(state.PREPARING, state.RUNNING)
    )
    if done and reason:
        update_spec(ctx.store, name, lambda spec: spec.setdefault("properties", {}).update(termination_reason=reason))
    return done


def cancel_children(ctx: WorkspaceContext, parent: str) -> int:
    """Cancel every child (and grandchild) that hasn't ended; returns how many were asked to stop."""
    count = 0
    for child in state.list_children(ctx.store, parent):
        if child.status not in ENDING:
            count += cancel(ctx, child.name)
        count += cancel_children(ctx, child.name)
    return count


def is_ending(store: Store, name: str) -> bool:
    """Whether a parent was cancelled (or has ended): its driver then starts nothing more."""
    row = state.get_job(store, name)
    return row is None or row.status in ENDING


def cancel_orphans(ctx: WorkspaceContext) -> None:
    """Daemon tick: children of a parent that ended or is being cancelled are cancelled too.

    Covers a parent cancelled while its driver was still submitting, and a
    driver that died (kill -9, a restart) leaving children behind.
    """
    rows = ctx.store.read().execute(
        "SELECT c.name FROM jobs c JOIN jobs p ON c.parent_job_name = p.name"
        f" WHERE p.status IN ({', '.join('?' * len(ENDING))}) AND c.status IN ({', '.join('?' * len(LIVE))})",
        (*ENDING, *LIVE),
    ).fetchall()
    for (name,) in rows:
        if cancel(ctx, name):
            _log.info("job %s: cancelled with its parent", name)


# -- metrics ----------------------------------------------------------------------


def metric_histories(ctx: WorkspaceContext, run_ids: list[str], key: str) -> dict[str, list[float]]:
    """Each run's values of ``key`` in the order logged (step, then time), read straight from MLflow's
    database: a driver polls this every fraction of a second, and importing MLflow per poll would not do."""
    histories: dict[str, list[float]] = {run: [] for run in run_ids}
    if not run_ids or not ctx.paths.mlflow_db.exists():
        return histories
    sql = (f"SELECT run_uuid, value FROM metrics WHERE key=? AND run_uuid IN ({', '.join('?' * len(run_ids))})"
           " ORDER BY run_uuid, step, timestamp")
    try:
        with closing(sqlite3.connect(ctx.paths.mlflow_db, timeout=30)) as db:
            for run_id, value in db.execute(sql, (key, *run_ids)):
                histories[run_id].append(float(value))
    except sqlite3.Error:  # MLflow changed its schema: ask MLflow itself
        client = _mlflow(ctx)
        for run_id in run_ids:
            histories[run_id] = [m.value for m in sorted(client.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp))]
    return histories


def metric_keys(ctx: WorkspaceContext, run_id: str) -> list[str]:
    """The metric names a run logged (for naming what a trial logged instead of the primary metric)."""
    try:
        with closing(sqlite3.connect(ctx.paths.mlflow_db, timeout=30)) as db:
            return sorted({r[0] for r in db.execute("SELECT DISTINCT key FROM metrics WHERE run_uuid=?", (run_id,))})
    except sqlite3.Error:
        return sorted(_mlflow(ctx).get_run(run_id).data.metrics)


def _mlflow(ctx: WorkspaceContext):
    from workspace.local import mlflow_store

    return mlflow_store.mlflow_client(ctx)
