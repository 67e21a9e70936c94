"""Parent jobs (sweep, pipeline) run as a driver: a process that submits and watches child jobs.

The control plane starts a parent like any job (the runner, in its own
session) but on ``state.DRIVER_POOL``, never on a compute slot: a sweep on a
1-slot cluster must not hold the slot its own trials wait for. A driver keeps
no state that matters in memory. Every child is a row in ``workspace.db``, so a
restarted control plane adopts a live driver like any job runner; a driver
that died fails its parent, and the daemon then cancels the orphaned children
(``children.cancel_orphans``). Either way parent and children stay consistent.
"""

from __future__ import annotations

import importlib
import os
import time
import traceback
from pathlib import Path
from typing import Callable

from workspace.errors import AmlPilotError
from workspace.local.controlplane import state
from workspace.local.store import Store, utcnow

# job type -> module with ``drive(ctx, row, log)``; it returns when the parent is done, or raises.
DRIVERS = {
    "sweep": "workspace.local.controlplane.sweep_driver",
    "pipeline": "workspace.local.controlplane.pipeline_driver",
    "batch_scoring": "workspace.local.batch.driver",  # a batch endpoint invocation of a model deployment
}


def is_driven(job_type: str) -> bool:
    return job_type in DRIVERS


def run(root: Path, store: Store, row: state.JobRow, log_file) -> tuple[int, str | None]:
    """Run the parent's driver in this (runner) process; (exit code, error) as ``runner._run_job`` returns."""
    from workspace.local.context import WorkspaceContext
    from workspace.local.controlplane.runner import last_line, std_log

    log = logger(log_file)
    if not state.set_status(store, row.name, state.RUNNING, only_from=(state.PREPARING,), started_at=utcnow()):
        return 1, "the job was cancelled before it started"
    try:
        ctx = WorkspaceContext(root, secrets_backend=os.environ.get("AMLPILOT_SECRETS_BACKEND", "auto"))
        importlib.import_module(DRIVERS[row.type]).drive(ctx, state.get_job(store, row.name), log)
        return 0, None
    except AmlPilotError as exc:
        log(str(exc))
        return 1, str(exc)
    except Exception:  # a bug: the traceback stays in the parent's log only
        log(traceback.format_exc())
        return 1, last_line(std_log(root, row.name))


def logger(log_file) -> Callable[[str], None]:
    def log(message: str) -> None:
        log_file.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
        log_file.flush()

    return log
