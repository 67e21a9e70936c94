"""The schedule tables in ``workspace.db``.

Every occurrence of a schedule gets at most one row in ``schedule_fires``
(primary key: schedule + scheduled time), written in the same transaction
that advances the schedule: so an occurrence is fired once, or reported
missed, and never fired twice, whatever crashes when.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workspace.local.scheduling import triggers
from workspace.local.store import Store, utcnow

GRACE = 60.0          # seconds late an occurrence may still fire; older ones are missed
MISSED_ROWS = 100     # missed occurrences kept per catch-up (all are counted)
FIRING, SUBMITTED, FAILED, MISSED = "firing", "submitted", "failed", "missed"
ABANDONED = "the control plane stopped before the job was submitted; not retried, so it never runs twice"

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,              -- display_name, description, tags, properties, trigger, create_job (JSON)
    enabled INTEGER NOT NULL,
    next_fire_at REAL,               -- scheduler-clock epoch of the next occurrence; NULL once the trigger ended
    evaluated_until REAL NOT NULL,   -- occurrences up to here are fired or reported missed
    missed_count INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS schedules_due ON schedules(enabled, next_fire_at);
CREATE TABLE IF NOT EXISTS schedule_fires (
    schedule TEXT NOT NULL,
    scheduled_at REAL NOT NULL,      -- the occurrence (or the moment of a manual trigger)
    kind TEXT NOT NULL,              -- scheduled | manual
    outcome TEXT NOT NULL,           -- firing, submitted, failed, missed
    job_name TEXT,
    error TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (schedule, scheduled_at)
);
"""
_prepared: set[str] = set()


def ensure_schema(store: Store) -> None:
    if str(store.path) not in _prepared:
        store.read().executescript(SCHEMA)
        _prepared.add(str(store.path))


@dataclass(frozen=True)
class ScheduleRow:
    name: str
    spec: dict
    enabled: bool
    next_fire_at: float | None
    evaluated_until: float
    missed_count: int
    created_by: str | None
    created_at: str
    updated_at: str


def _row(row) -> ScheduleRow:
    values = dict(row)
    values["spec"], values["enabled"] = json.loads(values["spec"]), bool(values["enabled"])
    return ScheduleRow(**values)


def get(store: Store, name: str) -> ScheduleRow | None:
    ensure_schema(store)
    row = store.read().execute("SELECT * FROM schedules WHERE name=?", (name,)).fetchone()
    return _row(row) if row else None


def names(store: Store) -> list[str]:
    ensure_schema(store)
    return [r[0] for r in store.read().execute("SELECT name FROM schedules ORDER BY name")]


def all_rows(store: Store) -> list[ScheduleRow]:
    ensure_schema(store)
    return [_row(r) for r in store.read().execute("SELECT * FROM schedules ORDER BY name")]


def upsert(store: Store, name: str, spec: dict, enabled: bool, now: float, user: str | None) -> None:
    """Create or replace; a changed trigger starts counting from now (no catch-up of the past)."""
    nxt = triggers.next_after(spec["trigger"], now) if enabled else None
    stamp = utcnow()
    with store.transaction() as db:
        db.execute(
            "INSERT INTO schedules(name, spec, enabled, next_fire_at, evaluated_until, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET spec=excluded.spec, enabled=excluded.enabled,"
            " next_fire_at=excluded.next_fire_at, evaluated_until=excluded.evaluated_until, updated_at=excluded.updated_at",
            (name, json.dumps(spec, default=str), int(enabled), nxt, now, user, stamp, stamp),
        )


def set_enabled(store: Store, name: str, enabled: bool, now: float) -> None:
    """Enabling starts from now: occurrences while disabled were not wanted, so they aren't 'missed'."""
    with store.transaction() as db:
        spec = json.loads(db.execute("SELECT spec FROM schedules WHERE name=?", (name,)).fetchone()[0])
        nxt = triggers.next_after(spec["trigger"], now) if enabled else None
        db.execute("UPDATE schedules SET enabled=?, next_fire_at=?, evaluated_until=?, updated_at=? WHERE name=?",
                   (int(enabled), nxt, now, utcnow(), name))


def delete(store: Store, name: str) -> None:
    with store.transaction() as db:
        db.execute("DELETE FROM schedules WHERE name=?", (name,))
        db.execute("DELETE FROM schedule_fires WHERE schedule=?", (name,))


@dataclass(frozen=True)
class Claim:
    schedule: str
    scheduled_at: float
    spec: dict
    user: str | None  # who created the schedule: its jobs are theirs


def any_due(store: Store, now: float) -> bool:
    """The daemon's cheap check every tick: one indexed query."""
    ensure_schema(store)
    return store.read().execute(
        "SELECT 1 FROM schedules WHERE enabled=1 AND next_fire_at IS NOT NULL AND next_fire_at<=? LIMIT 1", (now,)
    ).fetchone() is not None


def settle_due(store: Store, now: float, grace: float = GRACE) -> list[Claim]:
    """Claim the newest occurrence (if not older than ``grace``) of each due schedule; report the older ones missed."""
    claims = []
    with store.transaction() as db:
        rows = db.execute("SELECT * FROM schedules WHERE enabled=1 AND next_fire_at IS NOT NULL AND next_fire_at<=?", (now,)).fetchall()
        for row in map(_row, rows):
            due = triggers.occurrences(row.spec["trigger"], row.evaluated_until, now)
            fire = due[-1] if due and due[-1] >= now - grace else None
            missed = [t for t in due if t != fire]
            for moment in missed[-MISSED_ROWS:]:
                _record(db, row.name, moment, "scheduled", MISSED)
            if fire is not None and _record(db, row.name, fire, "scheduled", FIRING):
                claims.append(Claim(row.name, fire, row.spec, row.created_by))
            db.execute("UPDATE schedules SET evaluated_until=?, next_fire_at=?, missed_count=missed_count+? WHERE name=?",
                       (now, triggers.next_after(row.spec["trigger"], now), len(missed), row.name))
    return claims


def claim_manual(store: Store, name: str, now: float) -> bool:
    with store.transaction() as db:
        return _record(db, name, now, "manual", FIRING)


def _record(db, name: str, moment: float, kind: str, outcome: str) -> bool:
    cursor = db.execute(
        "INSERT OR IGNORE INTO schedule_fires(schedule, scheduled_at, kind, outcome, recorded_at) VALUES (?, ?, ?, ?, ?)",
        (name, moment, kind, outcome, utcnow()),
    )
    return cursor.rowcount == 1  # 0: this occurrence already has its row, so it is never fired again


def finish_fire(store: Store, name: str, moment: float, job_name: str | None, error: str | None) -> None:
    with store.transaction() as db:
        db.execute("UPDATE schedule_fires SET outcome=?, job_name=?, error=?, recorded_at=? WHERE schedule=? AND scheduled_at=?",
                   (SUBMITTED if job_name else FAILED, job_name, error, utcnow(), name, moment))


def abandon_unfinished(store: Store) -> int:
    """Fires a stopped control plane had claimed but not submitted: failed, and never retried."""
    ensure_schema(store)
    with store.transaction() as db:
        return db.execute("UPDATE schedule_fires SET outcome=?, error=?, recorded_at=? WHERE outcome=?",
                          (FAILED, ABANDONED, utcnow(), FIRING)).rowcount


def fires(store: Store, name: str, limit: int = 50) -> list[dict[str, Any]]:
    """The newest fires first: scheduled time, kind, outcome, job name, error."""
    ensure_schema(store)
    rows = store.read().execute(
        "SELECT scheduled_at, kind, outcome, job_name, error, recorded_at FROM schedule_fires WHERE schedule=?"
        " ORDER BY scheduled_at DESC LIMIT ?", (name, limit)).fetchall()
    return [dict(r) for r in rows]
