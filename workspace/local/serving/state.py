"""What the client, the control plane and the gateway share in ``workspace.db``.

Endpoints and deployments are rows of the ``resources`` table (azure-ai-ml
entity dicts). ``serving`` records the gateway (pid, start time, port) and two
generations: clients bump ``desired_generation`` with every change, and the
gateway sets ``applied_generation`` once its routing table reflects it, so a
client can wait until a traffic change is live. ``deployment_status`` is the
gateway's word on each deployment: Succeeded once every instance answered
ready, Failed with a one-line reason otherwise.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from workspace.local.store import Store, utcnow

ENDPOINT = "online_endpoint"
DEPLOYMENT = "online_deployment"

SCHEMA = """
CREATE TABLE IF NOT EXISTS serving (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER,
    pid_started REAL,
    port INTEGER,
    started_at TEXT,
    stopped_at TEXT,
    desired_generation INTEGER NOT NULL DEFAULT 0,
    applied_generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS deployment_status (
    endpoint TEXT NOT NULL,
    deployment TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (endpoint, deployment)
);
INSERT OR IGNORE INTO serving(id) VALUES (1);
"""

_prepared: set[str] = set()


def ensure_schema(store: Store) -> None:
    key = str(store.path)
    if key not in _prepared:
        with store.transaction() as db:
            for statement in filter(str.strip, SCHEMA.split(";")):
                db.execute(statement)
        _prepared.add(key)


def serving_dir(root: Path) -> Path:
    return Path(root) / "serving"


def deployment_log(root: Path, endpoint: str, deployment: str) -> Path:
    return serving_dir(root) / "logs" / endpoint / f"{deployment}.log"


def deployment_key(endpoint: str, deployment: str) -> str:
    return f"{endpoint}/{deployment}"


def spec_hash(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


def bump_generation(db) -> int:
    db.execute("UPDATE serving SET desired_generation = desired_generation + 1 WHERE id=1")
    return db.execute("SELECT desired_generation FROM serving WHERE id=1").fetchone()[0]


def serving_row(store: Store) -> dict[str, Any]:
    ensure_schema(store)
    return dict(store.read().execute("SELECT * FROM serving WHERE id=1").fetchone())


def record_gateway(store: Store, pid: int, pid_started: float | None, port: int) -> None:
    with store.transaction() as db:
        db.execute(
            "UPDATE serving SET pid=?, pid_started=?, port=?, started_at=?, stopped_at=NULL WHERE id=1",
            (pid, pid_started, port, utcnow()),
        )


def record_gateway_stopped(store: Store, pid: int) -> None:
    with store.transaction() as db:
        db.execute("UPDATE serving SET stopped_at=? WHERE id=1 AND pid=?", (utcnow(), pid))


def record_applied(store: Store, generation: int) -> None:
    with store.transaction() as db:
        db.execute("UPDATE serving SET applied_generation=MAX(applied_generation, ?) WHERE id=1", (generation,))


def set_deployment_status(store: Store, endpoint: str, deployment: str, digest: str, status: str, error: str | None = None) -> None:
    with store.transaction() as db:
        db.execute(
            "INSERT INTO deployment_status(endpoint, deployment, spec_hash, state, error, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(endpoint, deployment) DO UPDATE SET spec_hash=excluded.spec_hash, state=excluded.state,"
            " error=excluded.error, updated_at=excluded.updated_at",
            (endpoint, deployment, digest, status, error, utcnow()),
        )


def deployment_status(store: Store, endpoint: str, deployment: str) -> dict[str, Any] | None:
    ensure_schema(store)
    row = store.read().execute(
        "SELECT * FROM deployment_status WHERE endpoint=? AND deployment=?", (endpoint, deployment)
    ).fetchone()
    return dict(row) if row else None


def forget_deployment_status(db, endpoint: str, deployment: str | None = None) -> None:
    if deployment is None:
        db.execute("DELETE FROM deployment_status WHERE endpoint=?", (endpoint,))
    else:
        db.execute("DELETE FROM deployment_status WHERE endpoint=? AND deployment=?", (endpoint, deployment))


def desired(store: Store) -> tuple[int, list, list]:
    """(generation, endpoint rows, deployment rows) read in one snapshot."""
    ensure_schema(store)
    with store.transaction() as db:  # one consistent view: a write can't land between the reads
        generation = db.execute("SELECT desired_generation FROM serving WHERE id=1").fetchone()[0]
        endpoints = store.resources(ENDPOINT)
        deployments = store.resources(DEPLOYMENT)
    return generation, endpoints, deployments
