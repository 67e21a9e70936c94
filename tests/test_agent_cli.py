"""The chat, ask and audit commands, on a typer app of our own that carries the global options in ctx.obj.

These run the real tool catalog (tools.catalog) with the offline model.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
import typer
from typer.testing import CliRunner

from agent.audit import AuditLog
from agent.config import Settings


@pytest.fixture
def cli(workspace_root):
    from agent.chat_commands import register
    from workspace.local import LocalMLClient

    settings = Settings(workspace=workspace_root, user="tester")
    app = typer.Typer()

    @app.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = {"settings": settings, "client": lambda: LocalMLClient(workspace_root, user="tester", secrets_backend="file")}

    register(app)

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(app, list(args), input=input)

    return invoke


def computes(client) -> list[str]:
    return [c.name for c in client.compute.list()]


def test_ask_without_yes_declines_writes_and_exits_3(cli, client):
    result = cli("ask", "/compute-create name=c1 max_instances=2")
    assert result.exit_code == 3, result.output
    assert "plan: create compute compute/c1" in result.stdout and "compute-create declined" in result.stdout
    assert computes(client) == []


def test_ask_yes_approves_writes_but_not_deletions(cli, client):
    assert cli("ask", "--yes", "/compute-create name=c1 max_instances=2").exit_code == 0
    assert computes(client) == ["c1"]
    assert cli("ask", "--yes", "/compute-delete name=c1").exit_code == 3
    assert computes(client) == ["c1"]
    assert cli("ask", "--yes", "--yes-destructive", "/compute-delete name=c1").exit_code == 0
    assert computes(client) == []


def test_ask_json_prints_events_as_json_lines(cli):
    result = cli("ask", "--json", "/compute-list")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert types[:2] == ["ToolProposed", "ToolResult"] and types[-1] == "AssistantText"
    assert events[1]["status"] == "ok" and events[-1]["final"] is True


def test_ask_read_only_offers_no_writes(cli, client):
    result = cli("ask", "--read-only", "--yes", "/compute-create name=c1")
    assert result.exit_code == 0
    assert "no tool 'compute-create'" in result.stdout and computes(client) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "--model", "nope:x", "hi"), "unknown provider 'nope'"),
        (("ask", "  "), "text: a value is required"),
        (("chat", "--resume", "20990101-000000-abcdef"), "was not found"),
        (("ask", "--system-prompt", "/no/such/prompt.md", "hi"), "does not exist"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_unknown_provider_lists_the_valid_ones(cli):
    result = cli("ask", "--model", "nope", "hi")
    assert "offline, openai:<model>, azure-openai:<deployment>, openai-compatible:<model>@<base_url>" in result.stderr


def test_chat_asks_inline_and_destructive_needs_the_name(cli, client):
    lines = [
        "/compute-create name=c1 max_instances=2", "maybe", "y",
        "/compute-delete name=c1", "c2",
        "/compute-delete name=c1", "c1",
        "/exit",
    ]
    result = cli("chat", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("Apply? [y]es / [a]lways for this tool / [n]o") == 2  # "maybe" is asked again
    assert out.count("Type 'c1' to confirm") == 2
    assert "→ compute-create name=c1 max_instances=2" in out and "compute-create ok" in out
    assert computes(client) == []
    decisions = [(r["tool"], r["decision"]) for r in AuditLog(client.paths.db).rows()]
    assert decisions == [("compute-create", "approved"), ("compute-delete", "declined-wrong-name"), ("compute-delete", "approved")]


def test_chat_always_skips_later_questions_for_that_tool(cli, client):
    result = cli("chat", input="/compute-create name=c1\na\n/compute-create name=c2\n")
    assert result.exit_code == 0
    assert result.stdout.count("Apply?") == 1 and sorted(computes(client)) == ["c1", "c2"]


def test_chat_ends_on_end_of_input_and_can_be_resumed(cli, client):
    first = cli("chat", input="/compute-list\n")
    assert first.exit_code == 0
    session_id = first.stdout.split("session ", 1)[1].split(",", 1)[0]
    second = cli("chat", "--resume", session_id, "--read-only", input="hello\n")
    assert second.exit_code == 0 and f"session {session_id}" in second.stdout and "(read-only)" in second.stdout
    assert "Available tools" in second.stdout


def test_audit_verify_and_tampering(cli, client):
    assert cli("ask", "--yes", "/compute-create name=c1").exit_code == 0
    assert cli("ask", "/compute-list").exit_code == 0
    ok = cli("audit", "verify")
    assert ok.exit_code == 0 and ok.stdout.strip() == "audit log ok: 2 entries verified"
    with sqlite3.connect(client.paths.db) as db:
        db.execute("UPDATE audit_log SET identity='mallory' WHERE seq=1")
    bad = cli("audit", "verify")
    assert bad.exit_code == 1 and bad.stderr.strip() == "audit log damaged: entry 1 was modified (its hash does not match its content)"


def test_audit_list(cli):
    assert cli("audit", "list").stdout.strip() == "The audit log is empty."
    cli("ask", "/compute-list")
    cli("ask", "/compute-create name=c1")
    newest = cli("audit", "list", "--limit", "1")
    assert newest.exit_code == 0 and len(newest.stdout.splitlines()) == 1 and "compute-create" in newest.stdout
    rows = [json.loads(line) for line in cli("audit", "list", "--json").stdout.splitlines()]
    assert [r["seq"] for r in rows] == [1, 2] and rows[1]["decision"] == "declined-auto"
    assert cli("audit", "list", "--limit", "0").exit_code == 2


def test_global_options_kept_as_attributes_are_honoured(workspace_root, client):
    """Before cli.py hands over a Settings object, its GlobalOptions(workspace, user) must still count."""
    from types import SimpleNamespace

    from agent.chat_commands import register

    app = typer.Typer()

    @app.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = SimpleNamespace(workspace=workspace_root, user="tester")

    register(app)
    result = CliRunner().invoke(app, ["ask", "--yes", "/compute-create name=c9"])
    assert result.exit_code == 0, result.output
    assert computes(client) == ["c9"]


def test_ask_takes_its_own_workspace_and_identity_and_exits_4_when_denied(tmp_path):
    """`ask --workspace DIR --as USER` works like the global options; a role denial exits 4."""
    import subprocess
    import sys

    from workspace.local import LocalMLClient

    root = tmp_path / "ws-own"
    LocalMLClient(root, user="alice").close()  # alice owns it; bob holds no role
    command = [sys.executable, "-m", "agent.cli", "ask", "--workspace", str(root), "--as", "bob", "/compute-create name=c2", "--yes"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 4, result.stderr
    assert "bob (no role) may not run compute-create" in result.stdout
    assert list(LocalMLClient(root).compute.list()) == []
