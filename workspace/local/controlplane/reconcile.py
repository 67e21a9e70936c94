"""Knowing which job processes are alive, and concluding the ones that ended.

The daemon tracks the runners it started (``Popen``, so they are reaped) and,
after a restart, the runners it adopted (pid + start time, checked with
psutil). When a runner is gone, its ``exit_status.json`` says how the job
ended; no file means the runner was killed and the job Failed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import procs, state
from workspace.local.controlplane.finish import finish_job
from workspace.local.controlplane.runner import job_folder, read_exit_status

_log = logging.getLogger(__name__)
DIED = "the job process ended without recording an exit status (it was killed, or the machine restarted)"


@dataclass
class Tracked:
    pid: int
    started: float | None
    popen: subprocess.Popen | None = None  # None for a runner adopted after a restart

    def ended(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is not None
        return not procs.is_alive(self.pid, self.started)


def launch(ctx: WorkspaceContext, row: state.JobRow) -> Tracked:
    """Start the job's runner in its own session (its own process group)."""
    folder = job_folder(ctx.root, row.name)
    (folder / "system_logs").mkdir(parents=True, exist_ok=True)
    with open(folder / "system_logs" / "runner.log", "ab") as log:
        popen = subprocess.Popen(
            [sys.executable, "-m", "workspace.local.controlplane.runner", "--root", str(ctx.root), "--job", row.name],
            cwd=folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=os.environ.copy(),
        )
    started = procs.start_time(popen.pid)
    state.update_job(ctx.store, row.name, pid=popen.pid, pid_started=started)
    _log.info("job %s: started runner pid %s", row.name, popen.pid)
    return Tracked(popen.pid, started, popen)


def reconcile(ctx: WorkspaceContext) -> dict[str, Tracked]:
    """After a (re)start: adopt live runners, conclude dead ones, requeue jobs never launched."""
    adopted = {}
    for row in state.list_jobs(ctx.store, state.ACTIVE):
        if row.pid is None and row.status == state.PREPARING:
            state.set_status(ctx.store, row.name, state.QUEUED, only_from=(state.PREPARING,))
            _log.info("job %s: was never launched; queued again", row.name)
        elif procs.is_alive(row.pid, row.pid_started):
            adopted[row.name] = Tracked(row.pid, row.pid_started)
            _log.info("job %s: adopted running process %s", row.name, row.pid)
        else:
            conclude(ctx, row.name)
    return adopted


def conclude(ctx: WorkspaceContext, name: str) -> None:
    """The job's runner is gone: record how the job ended."""
    row = state.get_job(ctx.store, name)
    if row is None or row.status in state.TERMINAL:
        return
    if row.status == state.CANCEL_REQUESTED:
        finish_job(ctx, name, state.CANCELED)
        return
    exit_status = read_exit_status(ctx.root, name)
    procs.terminate_group(row.pid, row.pid_started)  # nothing the job started outlives it
    if exit_status is None:
        _append(ctx.root, name, DIED)
        finish_job(ctx, name, state.FAILED, DIED)
    elif exit_status.get("exit_code") == 0:
        finish_job(ctx, name, state.COMPLETED)
    else:
        finish_job(ctx, name, state.FAILED, exit_status.get("error") or f"exit code {exit_status.get('exit_code')}")
    _log.info("job %s: %s", name, state.get_job(ctx.store, name).status)


def cancel_requested(ctx: WorkspaceContext, tracked: dict[str, Tracked]) -> None:
    """Kill the process group of every job a client asked to cancel."""
    for row in state.list_jobs(ctx.store, (state.CANCEL_REQUESTED,)):
        job = tracked.get(row.name)
        if job is None:
            if not procs.is_alive(row.pid, row.pid_started):
                finish_job(ctx, row.name, state.CANCELED)
            continue
        procs.terminate_group(job.pid, job.started)
        if job.popen is not None:
            job.popen.wait(timeout=10)


def _append(root: Path, name: str, line: str) -> None:
    log = job_folder(root, name) / "user_logs" / "std_log.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as fh:
        fh.write(line + "\n")
