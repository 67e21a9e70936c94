"""The audit log: one row per tool call whatever its fate, a hash chain that shows tampering, and undo."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from test_agent_toolkit import ComputeTools, collect, offline_session, run

from agent.approval import ScriptedApprover
from agent.audit import GENESIS, AuditEntry, AuditLog, row_hash
from agent.events import ToolResult


def entry(tool="compute-list", **fields) -> AuditEntry:
    values = dict(identity="tester", channel="test", session_id="s1", tool=tool, effect="read", arguments={},
                  decision="not-needed", status="ok", result="[]")
    return AuditEntry(**{**values, **fields})


def test_every_call_is_recorded_with_its_decision(client):
    ComputeTools(client).create(name="old")
    approver = ScriptedApprover(["y", "n"])
    session = offline_session(client, approver)
    run(collect(
        session,
        "/compute-list",                                   # read
        "/compute-create name=c1 max_instances=2",         # approved
        "/compute-create name=c2",                         # declined
        "/compute-create name=c1",                         # invalid plan: exists
        "/compute-get name=missing",                       # tool error
    ))
    rows = session.audit.rows()
    assert [(r["tool"], r["decision"], r["status"]) for r in rows] == [
        ("compute-list", "not-needed", "ok"),
        ("compute-create", "approved", "ok"),
        ("compute-create", "declined", "declined"),
        ("compute-create", "invalid-plan", "error"),
        ("compute-get", "not-needed", "error"),
    ]
    assert all(r["identity"] == "tester" and r["session_id"] == session.session_id for r in rows)
    assert json.loads(rows[1]["arguments"]) == {"name": "c1", "max_instances": 2}
    assert json.loads(rows[1]["plan"])["target"] == "compute/c1"
    assert json.loads(rows[1]["inverse"]) == {"tool": "compute-delete", "arguments": {"name": "c1"}}
    assert rows[0]["inverse"] is None and rows[0]["plan"] is None
    assert session.audit.verify() == (True, None, "5 entries verified")


def test_denied_and_read_only_calls_are_recorded(client):
    reader = offline_session(client, settings={"roles": "Reader"})
    run(collect(reader, "/compute-create name=c1"))
    assert reader.audit.rows()[-1]["decision"] == "denied-rbac"


def test_chain_links_each_row_to_the_one_before(tmp_path):
    log = AuditLog(tmp_path / "w.db")
    first, second = log.append(entry()), log.append(entry(tool="compute-get"))
    assert first["prev_hash"] == GENESIS and second["prev_hash"] == first["hash"]
    assert second["hash"] == row_hash(first["hash"], second)


@pytest.mark.parametrize(
    ("sql", "bad_seq", "reason"),
    [
        ("UPDATE audit_log SET decision='approved' WHERE seq=2", 2, "modified"),
        ("UPDATE audit_log SET result='[]' , duration_ms=duration_ms+1 WHERE seq=3", 3, "modified"),
        ("DELETE FROM audit_log WHERE seq=2", 2, "missing"),
        ("UPDATE audit_log SET hash='0' || substr(hash, 2) WHERE seq=1", 1, "modified"),
    ],
)
def test_tampering_is_detected(tmp_path, sql, bad_seq, reason):
    log = AuditLog(tmp_path / "w.db")
    for index in range(4):
        log.append(entry(tool=f"t{index}", decision="declined", status="declined"))
    assert log.verify()[0]
    with sqlite3.connect(log.path) as db:
        db.execute(sql)
    ok, seq, message = log.verify()
    assert (ok, seq) == (False, bad_seq) and reason in message


def test_rewriting_a_row_and_its_hash_still_breaks_the_chain(tmp_path):
    log = AuditLog(tmp_path / "w.db")
    for _ in range(3):
        log.append(entry())
    with sqlite3.connect(log.path) as db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("SELECT * FROM audit_log WHERE seq=2").fetchone())
        row["decision"] = "approved"
        db.execute("UPDATE audit_log SET decision=?, hash=? WHERE seq=2", ("approved", row_hash(row["prev_hash"], row)))
    assert log.verify()[:2] == (False, 3)


def test_concurrent_appenders_form_one_chain(tmp_path):
    path = tmp_path / "w.db"
    AuditLog(path)

    def append_many(worker: int) -> None:
        log = AuditLog(path)  # each thread its own connections, as separate processes would
        for index in range(25):
            log.append(entry(tool=f"w{worker}-{index}"))

    threads = [threading.Thread(target=append_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = AuditLog(path)
    assert log.verify() == (True, None, "100 entries verified")
    assert [r["seq"] for r in log.rows()] == list(range(1, 101))


def test_results_are_truncated(tmp_path):
    row = AuditLog(tmp_path / "w.db").append(entry(result="x" * 10_000))
    assert len(row["result"]) == 2000


def test_undo_proposes_the_inverse_through_approval(client):
    approver = ScriptedApprover(["y", "c1"])
    session = offline_session(client, approver)
    events = run(collect(session, "/compute-create name=c1", "/session-undo"))

    assert [r.tool for r in approver.requests] == ["compute-create", "compute-delete"]
    assert approver.requests[1].needs_typed_name == "c1"
    assert [c.name for c in client.compute.list()] == []
    rows = session.audit.rows()
    assert [(r["tool"], r["status"], r["reverts"]) for r in rows] == [
        ("compute-create", "ok", None), ("compute-delete", "ok", 1), ("session-undo", "ok", None),
    ]
    undo = [e for e in events if isinstance(e, ToolResult) and e.tool == "session-undo"][0]
    assert undo.result["undoing"] == "compute-create" and undo.result["audit_seq"] == 1

    again = run(collect(session, "/session-undo"))
    result = [e for e in again if isinstance(e, ToolResult)][0].result
    assert result.startswith("Nothing to undo")


def test_a_declined_undo_can_be_tried_again(client):
    approver = ScriptedApprover(["y", "n", "c1"])
    session = offline_session(client, approver)
    run(collect(session, "/compute-create name=c1", "/session-undo", "/session-undo"))
    assert [c.name for c in client.compute.list()] == []
    assert len(approver.requests) == 3


def test_undo_only_sees_its_own_session(client):
    first = offline_session(client, ScriptedApprover(["y"]))
    run(collect(first, "/compute-create name=c1"))
    second = offline_session(client, ScriptedApprover(["c1"]))
    events = run(collect(second, "/session-undo"))
    assert [e for e in events if isinstance(e, ToolResult)][0].result.startswith("Nothing to undo")
    assert [c.name for c in client.compute.list()] == ["c1"]


def test_read_only_sessions_offer_no_undo(client):
    session = offline_session(client, settings={"read_only": True})
    assert "session" not in session.kernel.plugins
    assert set(session.kernel.plugins["compute"].functions) == {"list", "get"}
