"""The hash-chained, append-only audit log of every tool call.

It lives in the workspace's own SQLite file (table ``audit_log``), so it
travels with the workspace and several processes can append at once: each
append runs in ``BEGIN IMMEDIATE``, which takes the write lock before reading
the previous hash, so concurrent appenders still form one chain.

Each row's ``hash`` is ``sha256(prev_hash + canonical JSON of the row)``; the
first row chains from ``GENESIS``. ``verify()`` recomputes the chain, so
editing, inserting or deleting any row but the newest is detected.

Callers pass redacted arguments and results: this module stores what it is given.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
MAX_RESULT_CHARS = 2000
# Decisions under which a tool really ran a change (the undo candidates).
APPROVED = ("approved", "approved-always", "approved-auto")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    identity TEXT NOT NULL,
    channel TEXT NOT NULL,
    session_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    effect TEXT NOT NULL,
    arguments TEXT NOT NULL,       -- redacted JSON
    plan TEXT,                     -- Plan JSON for writes
    inverse TEXT,                  -- ToolCall JSON that reverts it, where one exists
    reverts INTEGER,               -- the seq this call undoes (session-undo)
    decision TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,          -- redacted, truncated
    duration_ms INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_session ON audit_log(session_id, seq);
"""


@dataclass(frozen=True)
class AuditEntry:
    """What a caller records; ``seq``, ``time`` and the hashes are added on append."""

    identity: str
    channel: str
    session_id: str
    tool: str
    effect: str
    arguments: dict[str, Any]
    decision: str
    status: str
    result: Any
    duration_ms: int = 0
    plan: dict[str, Any] | None = None
    inverse: dict[str, Any] | None = None
    reverts: int | None = None


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The chain link: every column but ``hash`` itself, in canonical JSON."""
    body = {key: value for key, value in row.items() if key != "hash"}
    return hashlib.sha256((prev_hash + canonical(body)).encode()).hexdigest()


def _result_text(result: Any) -> str:
    text = result if isinstance(result, str) else canonical(result)
    return text if len(text) <= MAX_RESULT_CHARS else text[: MAX_RESULT_CHARS - 1] + "…"


class AuditLog:
    """The audit table of one workspace database; opens a connection per operation."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(db_path)
        with closing(self._connect()) as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=60000")
        return db

    def append(self, entry: AuditEntry) -> dict[str, Any]:
        """Append one row to the chain and return it as stored."""
        row: dict[str, Any] = {
            **asdict(entry),
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "arguments": canonical(entry.arguments),
            "plan": canonical(entry.plan) if entry.plan is not None else None,
            "inverse": canonical(entry.inverse) if entry.inverse is not None else None,
            "result": _result_text(entry.result),
            "duration_ms": int(entry.duration_ms),
        }
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
                row["seq"] = (last["seq"] + 1) if last else 1
                row["prev_hash"] = last["hash"] if last else GENESIS
                row["hash"] = row_hash(row["prev_hash"], row)
                columns = ", ".join(row)
                db.execute(f"INSERT INTO audit_log({columns}) VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return row

    def rows(self, *, limit: int | None = None, session_id: str | None = None) -> list[dict[str, Any]]:
        """Rows oldest first; ``limit`` keeps the newest ``limit`` of them."""
        sql, params = "SELECT * FROM audit_log", []
        if session_id is not None:
            sql, params = sql + " WHERE session_id=?", [session_id]
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, int(limit)]
        with closing(self._connect()) as db:
            found = [dict(r) for r in db.execute(sql, params).fetchall()]
        return list(reversed(found))

    def verify(self) -> tuple[bool, int | None, str]:
        """Recompute the chain: (True, None, summary) or (False, first bad seq, reason)."""
        prev_hash, expected_seq, count = GENESIS, 1, 0
        with closing(self._connect()) as db:
            for r in db.execute("SELECT * FROM audit_log ORDER BY seq"):
                row = dict(r)
                seq = row["seq"]
                if seq != expected_seq:
                    return False, expected_seq, f"entry {expected_seq} is missing (next is {seq})"
                if row["prev_hash"] != prev_hash:
                    return False, seq, f"entry {seq} does not chain to entry {seq - 1} (prev_hash differs)"
                if row_hash(prev_hash, row) != row["hash"]:
                    return False, seq, f"entry {seq} was modified (its hash does not match its content)"
                prev_hash, expected_seq, count = row["hash"], seq + 1, count + 1
        return True, None, f"{count} entries verified"

    def last_undoable(self, session_id: str) -> dict[str, Any] | None:
        """This session's newest change that ran, has an inverse, and was neither undone nor an undo."""
        marks = ", ".join("?" for _ in APPROVED)
        sql = (
            "SELECT * FROM audit_log WHERE session_id=? AND status='ok' AND inverse IS NOT NULL AND reverts IS NULL"
            f" AND decision IN ({marks}) AND seq NOT IN"
            " (SELECT reverts FROM audit_log WHERE reverts IS NOT NULL AND status='ok')"
            " ORDER BY seq DESC LIMIT 1"
        )
        with closing(self._connect()) as db:
            row = db.execute(sql, (session_id, *APPROVED)).fetchone()
        return dict(row) if row else None
