"""JSONL transcripts: every event is written, and resume rebuilds the chat history from them."""

from __future__ import annotations

import json

import pytest
from fake_openai_server import FakeOpenAI
from test_agent_toolkit import ComputeTools, collect, make_settings, run

from agent.approval import ScriptedApprover
from agent.events import from_dict, to_dict
from agent.session import Session
from workspace.errors import UserInputError


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


def new_session(client, fake, approver=None, session_id=None):
    settings = make_settings(client.root, model=fake.model())
    if session_id:
        return Session.resume(session_id, settings, client, approver or ScriptedApprover(), plugins=[ComputeTools(client)])
    return Session(settings, client, approver or ScriptedApprover(), plugins=[ComputeTools(client)])


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_event_is_written_to_the_session_file(client, fake):
    fake.script = [{"tool_calls": [{"name": "compute-create", "arguments": {"name": "c1"}}]}, {"text": "Made c1."}]
    session = new_session(client, fake, ScriptedApprover(["y"]))
    events = run(collect(session, "make c1"))

    path = client.root / "sessions" / f"{session.session_id}.jsonl"
    assert session.transcript.path == path
    lines = read_lines(path)
    assert lines[0]["type"] == "session" and lines[0]["session_id"] == session.session_id and lines[0]["user"] == "tester"
    assert lines[1] == {"type": "user", "text": "make c1"}
    written = [from_dict(line) for line in lines if line["type"] not in ("session", "user", "history")]
    assert written == events
    history = lines[-1]
    assert history["type"] == "history"
    assert [m["role"] for m in history["messages"]] == ["user", "assistant", "tool", "assistant"]


def test_resume_restores_the_history_the_model_sees(client, fake):
    fake.script = [
        {"tool_calls": [{"name": "compute-create", "arguments": {"name": "c1", "max_instances": 3}}]},
        {"text": "Made c1 with 3 nodes."},
        {"text": "You made c1."},
    ]
    first = new_session(client, fake, ScriptedApprover(["y"]))
    run(collect(first, "make c1 with 3 nodes"))
    session_id = first.session_id

    resumed = new_session(client, fake, session_id=session_id)
    run(collect(resumed, "what did I make?"))

    messages = fake.requests[-1]["messages"]
    assert messages[0]["role"] == "system"
    roles = [m["role"] for m in messages[1:]]
    assert roles == ["user", "assistant", "tool", "assistant", "user"]
    assert messages[1]["content"] == "make c1 with 3 nodes"
    assert messages[2]["tool_calls"][0]["function"]["name"] == "compute-create"
    assert json.loads(messages[3]["content"])["status"] == "created"
    assert messages[4]["content"] == "Made c1 with 3 nodes."
    assert messages[5]["content"] == "what did I make?"
    lines = read_lines(resumed.transcript.path)
    assert [line["type"] for line in lines].count("resumed") == 1


def test_system_prompt_names_what_the_workspace_holds(client, fake):
    ComputeTools(client).create(name="gpu-a", max_instances=2)
    fake.script = [{"text": "hi"}]
    run(collect(new_session(client, fake), "hello"))
    system = fake.requests[0]["messages"][0]["content"]
    assert "gpu-a" in system and "tester" in system and "Owner" in system and "$brief" not in system


def test_system_prompt_can_be_overridden_by_path(client, fake, tmp_path):
    template = tmp_path / "prompt.md"
    template.write_text("Custom for $user. {\"json\": true}")
    fake.script = [{"text": "hi"}]
    settings = make_settings(client.root, model=fake.model())
    session = Session(settings, client, ScriptedApprover(), plugins=[], system_prompt_path=template)
    run(collect(session, "hello"))
    assert fake.requests[0]["messages"][0]["content"] == 'Custom for tester. {"json": true}'


def test_a_missing_prompt_file_is_one_line(client, fake, tmp_path):
    settings = make_settings(client.root, model=fake.model())
    with pytest.raises(UserInputError, match="does not exist"):
        Session(settings, client, ScriptedApprover(), plugins=[], system_prompt_path=tmp_path / "nope.md")


@pytest.mark.parametrize("session_id", ["20990101-000000-abcdef", "../etc/passwd", ""])
def test_resuming_an_unknown_session_is_one_line(client, fake, session_id):
    settings = make_settings(client.root, model=fake.model())
    with pytest.raises(UserInputError) as caught:
        Session.resume(session_id, settings, client, ScriptedApprover(), plugins=[])
    assert "\n" not in str(caught.value) and "session" in str(caught.value)


def test_events_round_trip_through_json():
    from agent.events import ApprovalRequested, AssistantText, Error, ToolProposed, ToolResult

    events = [
        AssistantText("hi", final=True), ToolProposed("compute-list", {}, "read", "p"),
        ApprovalRequested("compute-create", {"target": "compute/c1"}, "write", "p", None),
        ToolResult("compute-list", "ok", [{"name": "c1"}], 3), Error("boom"),
    ]
    assert [from_dict(json.loads(json.dumps(to_dict(e)))) for e in events] == events
    with pytest.raises(ValueError):
        from_dict({"type": "Nope"})
