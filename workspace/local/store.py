"""The workspace's SQLite store (WAL): versioned assets and named resources.

Several processes (the CLI, the agent, the control plane, job processes) open
one workspace at once, so every write runs in ``BEGIN IMMEDIATE``: the
transaction takes the write lock before it reads, and version allocation can't
race. Rows hold azure-ai-ml entity dicts (``entity._to_dict()``) as JSON.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS asset_versions (
    kind TEXT NOT NULL,            -- data | environment | component | model
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    seq INTEGER NOT NULL,          -- creation order within (kind, name)
    spec TEXT NOT NULL,            -- entity dict as JSON
    content_hash TEXT NOT NULL,    -- what makes a version immutable
    archived INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, name, version)
);
CREATE TABLE IF NOT EXISTS asset_containers (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL,            -- compute | datastore
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS role_assignments (
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT 'workspace',
    created_by TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (principal, role, scope)
);
"""


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def creation_context(created_by: str | None, created_at: str, last_modified_at: str | None = None):
    """azure-ai-ml's ``SystemData`` for a row; its serialiser needs datetimes, not text."""
    from azure.ai.ml.entities._system_data import SystemData

    return SystemData(
        created_by=created_by,
        created_at=datetime.fromisoformat(created_at),
        last_modified_at=datetime.fromisoformat(last_modified_at) if last_modified_at else None,
    )


@dataclass(frozen=True)
class AssetRow:
    kind: str
    name: str
    version: str
    seq: int
    spec: dict[str, Any]
    content_hash: str
    archived: bool
    created_by: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class ResourceRow:
    kind: str
    name: str
    spec: dict[str, Any]
    state: str | None
    created_by: str | None
    created_at: str
    updated_at: str


class Store:
    """One workspace database. Cheap to create; connections are per thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        # executescript commits on its own, so it runs outside a transaction;
        # every statement in it is idempotent.
        self._connect().executescript(_SCHEMA)
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database's write lock from the start."""
        conn = self._connect()
        if conn.in_transaction:  # nested: join the outer transaction
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def read(self) -> sqlite3.Connection:
        return self._connect()

    # -- versioned assets -------------------------------------------------

    def asset_versions(self, kind: str, name: str, *, include_archived: bool = True) -> list[AssetRow]:
        sql = "SELECT * FROM asset_versions WHERE kind=? AND name=?"
        if not include_archived:
            sql += " AND archived=0"
        rows = self.read().execute(sql + " ORDER BY seq", (kind, name)).fetchall()
        return [_asset(r) for r in rows]

    def asset_version(self, kind: str, name: str, version: str) -> AssetRow | None:
        row = self.read().execute(
            "SELECT * FROM asset_versions WHERE kind=? AND name=? AND version=?", (kind, name, version)
        ).fetchone()
        return _asset(row) if row else None

    def asset_names(self, kind: str, *, include_archived: bool = False) -> list[str]:
        sql = "SELECT DISTINCT v.name FROM asset_versions v LEFT JOIN asset_containers c ON c.kind=v.kind AND c.name=v.name WHERE v.kind=?"
        if not include_archived:
            sql += " AND COALESCE(c.archived, 0)=0"
        return [r[0] for r in self.read().execute(sql + " ORDER BY v.name", (kind,)).fetchall()]

    def references_path(self, relpath: str) -> bool:
        """Whether any stored asset or resource spec mentions this datastore path."""
        pattern = f"%{relpath}%"
        db = self.read()
        return bool(
            db.execute("SELECT 1 FROM asset_versions WHERE spec LIKE ? LIMIT 1", (pattern,)).fetchone()
            or db.execute("SELECT 1 FROM resources WHERE spec LIKE ? LIMIT 1", (pattern,)).fetchone()
        )

    def container_archived(self, kind: str, name: str) -> bool:
        row = self.read().execute(
            "SELECT archived FROM asset_containers WHERE kind=? AND name=?", (kind, name)
        ).fetchone()
        return bool(row and row[0])

    def insert_asset_version(
        self, db: sqlite3.Connection, kind: str, name: str, version: str, spec: dict, content_hash: str, user: str | None
    ) -> None:
        seq = db.execute(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM asset_versions WHERE kind=? AND name=?", (kind, name)
        ).fetchone()[0]
        now = utcnow()
        db.execute(
            "INSERT INTO asset_versions(kind, name, version, seq, spec, content_hash, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, name, version, seq, _dumps(spec), content_hash, user, now, now),
        )
        db.execute("INSERT OR IGNORE INTO asset_containers(kind, name) VALUES (?, ?)", (kind, name))

    def update_asset_spec(self, db: sqlite3.Connection, kind: str, name: str, version: str, spec: dict) -> None:
        db.execute(
            "UPDATE asset_versions SET spec=?, updated_at=? WHERE kind=? AND name=? AND version=?",
            (_dumps(spec), utcnow(), kind, name, version),
        )

    def set_archived(self, kind: str, name: str, version: str | None, archived: bool) -> None:
        with self.transaction() as db:
            if version is None:
                db.execute(
                    "INSERT INTO asset_containers(kind, name, archived) VALUES (?, ?, ?)"
                    " ON CONFLICT(kind, name) DO UPDATE SET archived=excluded.archived",
                    (kind, name, int(archived)),
                )
            else:
                db.execute(
                    "UPDATE asset_versions SET archived=?, updated_at=? WHERE kind=? AND name=? AND version=?",
                    (int(archived), utcnow(), kind, name, version),
                )

    # -- named resources (computes, datastores) ---------------------------

    def resource(self, kind: str, name: str) -> ResourceRow | None:
        row = self.read().execute("SELECT * FROM resources WHERE kind=? AND name=?", (kind, name)).fetchone()
        return _resource(row) if row else None

    def resources(self, kind: str) -> list[ResourceRow]:
        rows = self.read().execute("SELECT * FROM resources WHERE kind=? ORDER BY name", (kind,)).fetchall()
        return [_resource(r) for r in rows]

    def upsert_resource(
        self, db: sqlite3.Connection, kind: str, name: str, spec: dict, state: str | None, user: str | None
    ) -> None:
        now = utcnow()
        db.execute(
            "INSERT INTO resources(kind, name, spec, state, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(kind, name) DO UPDATE SET spec=excluded.spec, state=excluded.state, updated_at=excluded.updated_at",
            (kind, name, _dumps(spec), state, user, now, now),
        )

    def delete_resource(self, db: sqlite3.Connection, kind: str, name: str) -> None:
        db.execute("DELETE FROM resources WHERE kind=? AND name=?", (kind, name))


def _dumps(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True, default=str)


def _asset(row: sqlite3.Row) -> AssetRow:
    return AssetRow(
        kind=row["kind"],
        name=row["name"],
        version=row["version"],
        seq=row["seq"],
        spec=json.loads(row["spec"]),
        content_hash=row["content_hash"],
        archived=bool(row["archived"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _resource(row: sqlite3.Row) -> ResourceRow:
    return ResourceRow(
        kind=row["kind"],
        name=row["name"],
        spec=json.loads(row["spec"]),
        state=row["state"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
