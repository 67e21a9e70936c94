"""The control plane daemon: ``python -m workspace.local.controlplane --root DIR``.

One per workspace, guaranteed by an ``flock`` on ``controlplane/controlplane.lock``
held for the daemon's lifetime (the kernel drops it when the process dies, even
on ``kill -9``). A second daemon started at the same moment finds the lock taken
and exits quietly. Every ``POLL`` seconds the loop accepts submitted jobs,
starts queued jobs that fit in free slots, kills jobs being cancelled, and
concludes jobs whose runner ended. SIGTERM stops the loop; running jobs carry
on in their own sessions and the next daemon adopts them.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import signal
import sys
import time
from pathlib import Path

from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import procs, state
from workspace.local.controlplane.children import cancel_orphans
from workspace.local.controlplane.finish import finish_job
from workspace.local.controlplane.reconcile import Tracked, cancel_requested, conclude, launch, reconcile
from workspace.local.controlplane.scheduler import accept_submitted, plan_starts
from workspace.local.scheduling.hook import fire_due
from workspace.local.serving.supervise import GatewaySupervisor

POLL = 0.2
HEARTBEAT = 1.0
_log = logging.getLogger("amlpilot.controlplane")


def lock_path(root: Path) -> Path:
    return Path(root) / "controlplane" / "controlplane.lock"


class ControlPlane:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.stopping = False
        self.tracked: dict[str, Tracked] = {}
        self._last_heartbeat = 0.0

    def run(self) -> int:
        lock_path(self.root).parent.mkdir(parents=True, exist_ok=True)
        lock = open(lock_path(self.root), "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _log.info("another control plane holds %s; exiting", lock_path(self.root))
            return 0
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.ctx = WorkspaceContext(self.root, secrets_backend=os.environ.get("AMLPILOT_SECRETS_BACKEND", "auto"))
        state.ensure_schema(self.ctx.store)
        pid = os.getpid()
        state.record_controlplane(self.ctx.store, pid, procs.start_time(pid), None)
        _log.info("control plane %s started for %s", pid, self.root)
        self.tracked = reconcile(self.ctx)
        self.gateway = GatewaySupervisor(self.root, self.ctx.store)  # online endpoints' scoring gateway
        while not self.stopping and self.ctx.paths.db.exists():  # a deleted workspace ends its daemon
            try:
                self.tick()
            except Exception:  # e.g. a locked database: log it and try again next tick
                _log.exception("control plane tick failed")
            time.sleep(POLL)
        self.gateway.stop()  # unlike jobs, serving is part of the control plane: it stops with it
        state.record_stopped(self.ctx.store, pid)
        _log.info("control plane %s stopped", pid)
        lock.close()
        return 0

    def tick(self) -> None:
        self._heartbeat()
        cancel_orphans(self.ctx)  # children of ended or cancelled sweeps and pipelines never start or run on
        self.gateway.tick()
        fire_due(self.ctx)  # schedules: claims due occurrences, submits their jobs on a worker thread
        accept_submitted(self.ctx.store)
        decision = plan_starts(self.ctx.store)
        for row, reason in decision.refuse:
            finish_job(self.ctx, row.name, state.FAILED, reason)
        for row in decision.start:
            if self.stopping:
                break
            self._start(row)
        cancel_requested(self.ctx, self.tracked)
        for name, job in list(self.tracked.items()):
            if job.ended():
                del self.tracked[name]
                conclude(self.ctx, name)

    def _start(self, row: state.JobRow) -> None:
        if not state.set_status(self.ctx.store, row.name, state.PREPARING, only_from=(state.QUEUED,)):
            return  # cancelled meanwhile
        try:
            self.tracked[row.name] = launch(self.ctx, row)
        except OSError as exc:
            finish_job(self.ctx, row.name, state.FAILED, f"the job process could not start: {exc}")

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat >= HEARTBEAT:
            state.heartbeat(self.ctx.store, os.getpid())
            self._last_heartbeat = now

    def _stop(self, *_: object) -> None:
        self.stopping = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workspace.local.controlplane")
    parser.add_argument("--root", required=True, type=Path, help="the workspace folder")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return ControlPlane(args.root).run()
