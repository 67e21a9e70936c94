"""The job and control-plane tables in ``workspace.db``.

Everything the control plane knows lives here, never only in its memory, so
``kill -9`` of the daemon loses nothing: a restarted daemon reads the same rows
and reconciles them with the processes that are still alive. Every status
change is a conditional UPDATE (``WHERE status IN ...``), so the daemon, the
job runner and a client cancelling a job can race without undoing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workspace.local.store import Store, utcnow

NOT_STARTED, QUEUED, PREPARING, RUNNING = "NotStarted", "Queued", "Preparing", "Running"
CANCEL_REQUESTED, COMPLETED, FAILED, CANCELED = "CancelRequested", "Completed", "Failed", "Canceled"
WAITING = (NOT_STARTED, QUEUED)
ACTIVE = (PREPARING, RUNNING, CANCEL_REQUESTED)  # these hold compute slots
TERMINAL = (COMPLETED, FAILED, CANCELED)

SERVERLESS = "serverless"
# The queue of sweep and pipeline parents (their drivers): not a compute, so a parent never takes a
# slot its own children need; '@' can't start a compute name, so no user compute collides with it.
DRIVER_POOL = "@drivers"

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,                 -- command, sweep, pipeline
    status TEXT NOT NULL,
    compute TEXT NOT NULL,              -- a compute name, or 'serverless'
    slots INTEGER NOT NULL DEFAULT 1,   -- resources.instance_count
    spec TEXT NOT NULL,                 -- submitted fields plus resolved bindings (JSON)
    experiment_name TEXT NOT NULL,
    display_name TEXT,
    parent_job_name TEXT,
    mlflow_run_id TEXT,
    pid INTEGER,                        -- the job runner (leader of the job's process group)
    pid_started REAL,                   -- its start time: tells a live runner from a reused pid
    error TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,               -- submission order: queues are FIFO
    created_by TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
CREATE INDEX IF NOT EXISTS jobs_parent ON jobs(parent_job_name);
CREATE TABLE IF NOT EXISTS controlplane (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER,
    pid_started REAL,
    port INTEGER,
    started_at TEXT,
    heartbeat_at TEXT,
    stopped_at TEXT
);
"""

_prepared: set[str] = set()


def ensure_schema(store: Store) -> None:
    """Create the tables once per process and database; every statement is idempotent."""
    key = str(store.path)
    if key not in _prepared:
        store.read().executescript(SCHEMA)
        _prepared.add(key)


@dataclass(frozen=True)
class JobRow:
    name: str
    type: str
    status: str
    compute: str
    slots: int
    spec: dict[str, Any]
    experiment_name: str
    display_name: str | None
    parent_job_name: str | None
    mlflow_run_id: str | None
    pid: int | None
    pid_started: float | None
    error: str | None
    archived: bool
    created_by: str | None
    created_at: str
    started_at: str | None
    ended_at: str | None
    updated_at: str


def _row(row) -> JobRow:
    values = dict(row)
    values.pop("seq")
    values["spec"] = json.loads(values["spec"])
    values["archived"] = bool(values["archived"])
    return JobRow(**values)


def insert_job(store: Store, row: dict[str, Any]) -> None:
    now = utcnow()
    with store.transaction() as db:
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
        values = {**row, "spec": json.dumps(row["spec"], default=str), "seq": seq, "created_at": now, "updated_at": now}
        columns = ", ".join(values)
        db.execute(f"INSERT INTO jobs({columns}) VALUES ({', '.join('?' * len(values))})", tuple(values.values()))


def get_job(store: Store, name: str) -> JobRow | None:
    row = store.read().execute("SELECT * FROM jobs WHERE name=?", (name,)).fetchone()
    return _row(row) if row else None


def list_jobs(store: Store, statuses: tuple[str, ...] | None = None) -> list[JobRow]:
    """Jobs in submission order, optionally only those in ``statuses``."""
    sql, args = "SELECT * FROM jobs", ()
    if statuses:
        sql += f" WHERE status IN ({', '.join('?' * len(statuses))})"
        args = statuses
    return [_row(r) for r in store.read().execute(sql + " ORDER BY seq", args).fetchall()]


def list_children(store: Store, parent: str) -> list[JobRow]:
    """The jobs a sweep or pipeline job started, in submission order."""
    rows = store.read().execute("SELECT * FROM jobs WHERE parent_job_name=? ORDER BY seq", (parent,)).fetchall()
    return [_row(r) for r in rows]


def jobs_reference_path(store: Store, relpath: str) -> bool:
    """Whether any job's spec mentions this datastore path (its code or an input snapshot)."""
    return store.read().execute("SELECT 1 FROM jobs WHERE spec LIKE ? LIMIT 1", (f"%{relpath}%",)).fetchone() is not None


def job_names(store: Store) -> list[str]:
    return [r[0] for r in store.read().execute("SELECT name FROM jobs ORDER BY seq DESC LIMIT 20").fetchall()]


def set_status(store: Store, name: str, status: str, *, only_from: tuple[str, ...], **fields: Any) -> bool:
    """Move a job to ``status`` if it is still in one of ``only_from``; True if this call did it."""
    fields = {"status": status, "updated_at": utcnow(), **fields}
    assignments = ", ".join(f"{k}=?" for k in fields)
    with store.transaction() as db:
        cursor = db.execute(
            f"UPDATE jobs SET {assignments} WHERE name=? AND status IN ({', '.join('?' * len(only_from))})",
            (*fields.values(), name, *only_from),
        )
        return cursor.rowcount == 1


def update_job(store: Store, name: str, **fields: Any) -> None:
    if "spec" in fields:
        fields["spec"] = json.dumps(fields["spec"], default=str)
    assignments = ", ".join(f"{k}=?" for k in fields)
    with store.transaction() as db:
        db.execute(f"UPDATE jobs SET {assignments}, updated_at=? WHERE name=?", (*fields.values(), utcnow(), name))


# -- the control plane's own row ------------------------------------------


def controlplane_row(store: Store) -> dict[str, Any] | None:
    row = store.read().execute("SELECT * FROM controlplane WHERE id=1").fetchone()
    return dict(row) if row else None


def record_controlplane(store: Store, pid: int, pid_started: float, port: int | None) -> None:
    now = utcnow()
    with store.transaction() as db:
        db.execute(
            "INSERT INTO controlplane(id, pid, pid_started, port, started_at, heartbeat_at, stopped_at)"
            " VALUES (1, ?, ?, ?, ?, ?, NULL) ON CONFLICT(id) DO UPDATE SET pid=excluded.pid,"
            " pid_started=excluded.pid_started, port=excluded.port, started_at=excluded.started_at,"
            " heartbeat_at=excluded.heartbeat_at, stopped_at=NULL",
            (pid, pid_started, port, now, now),
        )


def heartbeat(store: Store, pid: int) -> None:
    with store.transaction() as db:
        db.execute("UPDATE controlplane SET heartbeat_at=? WHERE id=1 AND pid=?", (utcnow(), pid))


def record_stopped(store: Store, pid: int) -> None:
    with store.transaction() as db:
        db.execute("UPDATE controlplane SET stopped_at=? WHERE id=1 AND pid=?", (utcnow(), pid))
