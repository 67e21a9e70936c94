"""Starting, stopping and inspecting a workspace's control plane (``amlpilot workspace up|down|status``).

These run in the client's process. The daemon records its pid, start time and a
heartbeat in ``workspace.db``; a daemon counts as running only while that pid
is alive with that start time, so a stale row after a crash or a reboot never
fools ``ensure_controlplane``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import workspace
from workspace.errors import AmlPilotError
from workspace.local.controlplane import procs, state
from workspace.local.store import Store


def log_path(root: str | os.PathLike) -> Path:
    return Path(root).expanduser().resolve() / "controlplane" / "controlplane.log"


def controlplane_status(root: str | os.PathLike) -> dict[str, Any]:
    """running, pid, port, started_at, heartbeat_at, heartbeat_age_seconds, log, jobs (counts by status)."""
    root = Path(root).expanduser().resolve()
    status: dict[str, Any] = {"running": False, "pid": None, "port": None, "started_at": None,
                              "heartbeat_at": None, "heartbeat_age_seconds": None, "log": str(log_path(root)), "jobs": {}}
    if not (root / "workspace.db").exists():
        return status
    row, status["jobs"] = _read(root / "workspace.db")
    if row is None:
        return status
    status.update({k: row[k] for k in ("started_at", "heartbeat_at")})
    if row["heartbeat_at"]:
        beat = datetime.fromisoformat(row["heartbeat_at"])
        status["heartbeat_age_seconds"] = round((datetime.now(timezone.utc) - beat).total_seconds(), 1)
    if row["stopped_at"] is None and procs.is_alive(row["pid"], row["pid_started"]):
        status.update(running=True, pid=row["pid"], port=row["port"])
    return status


def ensure_controlplane(root: str | os.PathLike, timeout: float = 30.0) -> dict[str, Any]:
    """Start the control plane unless one runs; returns its status once it is up."""
    root = Path(root).expanduser().resolve()
    status = controlplane_status(root)
    if status["running"]:
        return status
    proc = _spawn(root)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = controlplane_status(root)
        if status["running"]:
            return status
        if proc.poll() not in (None, 0):  # exit code 0 means it lost the lock race: wait for the winner
            break
        time.sleep(0.05)
    raise AmlPilotError(
        f"controlplane: did not start (daemon exit code {proc.poll()}); see {log_path(root)}"
    )


def stop_controlplane(root: str | os.PathLike, timeout: float = 10.0) -> bool:
    """SIGTERM the control plane, wait up to ``timeout`` s, then SIGKILL. False if none was running."""
    root = Path(root).expanduser().resolve()
    status = controlplane_status(root)
    if not status["running"]:
        return False
    store = Store(root / "workspace.db")
    try:
        row = state.controlplane_row(store)
        gone = procs.terminate(row["pid"], row["pid_started"], grace=timeout)
        if not gone:
            raise AmlPilotError(f"controlplane: process {row['pid']} did not stop, even after SIGKILL")
        state.record_stopped(store, row["pid"])  # it can't record this itself after a SIGKILL
    finally:
        store.close()
    from workspace.local.serving.supervise import stop_gateway

    stop_gateway(root)  # the daemon stops it on SIGTERM; this covers a daemon that had to be killed
    return True


def _read(db_path: Path) -> tuple[dict | None, dict[str, int]]:
    """The daemon's row and job counts, read-only: a status check, polled often, never takes the write lock."""
    with closing(sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True, timeout=60)) as db:
        db.row_factory = sqlite3.Row
        try:
            row = db.execute("SELECT * FROM controlplane WHERE id=1").fetchone()
            counts = {r[0]: r[1] for r in db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status")}
        except sqlite3.OperationalError:  # no job was ever submitted: the tables don't exist yet
            return None, {}
    return (dict(row) if row else None), counts


def _spawn(root: Path) -> subprocess.Popen:
    log = log_path(root)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    # The daemon must import this very amlpilot, also when it isn't installed (a source checkout).
    project = str(Path(workspace.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (project, env.get("PYTHONPATH")) if p)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workspace.local.controlplane", "--root", str(root)],
            cwd=root, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, env=env,
        )
    # Reap it when it exits, so that it never lingers as a zombie of this process.
    threading.Thread(target=proc.wait, daemon=True).start()
    return proc
