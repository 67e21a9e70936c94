"""The whole loop over HTTP: a scripted OpenAI-compatible server, semantic-kernel, the approval filter, the real workspace."""

from __future__ import annotations

import json

import pytest
from fake_openai_server import FakeOpenAI
from test_agent_toolkit import ComputeTools, collect, kinds, make_settings, run

from agent.approval import Decision, ScriptedApprover
from agent.events import ApprovalRequested, AssistantText, Error, ToolProposed, ToolResult
from workspace.errors import ResourceNotFoundError


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


def call(tool: str, **arguments) -> dict:
    return {"tool_calls": [{"name": tool, "arguments": arguments}]}


def session_for(client, fake, approver=None, tools=None, stream=True, **overrides):
    from agent.session import Session

    settings = make_settings(client.root, model=fake.model(), **overrides)
    return Session(settings, client, approver or ScriptedApprover(), plugins=[tools or ComputeTools(client)], stream=stream)


def computes(client) -> dict[str, int]:
    return {c.name: c.max_instances for c in client.compute.list()}


def results_of(events, tool=None):
    return [e for e in events if isinstance(e, ToolResult) and (tool is None or e.tool == tool)]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "complete"])
def test_approved_write_runs_and_the_model_sees_its_result(client, fake, stream):
    fake.script = [call("compute-create", name="cpu1", max_instances=4), {"text": "Created cpu1 with 4 nodes."}]
    approver = ScriptedApprover(["y"])
    events = run(collect(session_for(client, fake, approver, stream=stream), "create cpu1 with 4 nodes"))

    assert computes(client) == {"cpu1": 4}
    assert kinds(events)[:3] == ["ToolProposed", "ApprovalRequested", "ToolResult"]
    assert results_of(events)[0].status == "ok"
    assert json.loads(fake.tool_results()[0]) == {"name": "cpu1", "max_instances": 4, "status": "created"}
    assert fake.requests[0]["stream"] is stream or (not stream and "stream" not in fake.requests[0])
    final = [e for e in events if isinstance(e, AssistantText) and e.final]
    assert [e.text for e in final] == ["Created cpu1 with 4 nodes."]
    assert len(approver.requests) == 1 and approver.requests[0].plan.target == "compute/cpu1"


def test_streamed_text_arrives_in_deltas_then_once_whole(client, fake):
    fake.script = [{"text": "Hello there, nothing to do."}]
    events = run(collect(session_for(client, fake), "hi"))
    deltas = [e.text for e in events if isinstance(e, AssistantText) and not e.final]
    assert len(deltas) > 1 and "".join(deltas) == "Hello there, nothing to do."
    assert isinstance(events[-1], AssistantText) and events[-1].final


def test_declined_write_changes_nothing_and_the_model_is_told(client, fake):
    fake.script = [call("compute-create", name="cpu1"), {"text": "OK, I left it."}]
    tools = ComputeTools(client)
    events = run(collect(session_for(client, fake, ScriptedApprover(["n"]), tools), "create cpu1"))

    assert computes(client) == {} and [t for t, _ in tools.executed] == []
    assert results_of(events)[0].status == "declined"
    seen = json.loads(fake.tool_results()[0])
    assert seen["status"] == "declined" and seen["target"] == "compute/cpu1"


def test_always_approves_later_calls_of_that_tool_without_asking(client, fake):
    fake.script = [
        call("compute-create", name="c1"), call("compute-create", name="c2"), {"text": "two made"},
    ]
    approver = ScriptedApprover(["a"])
    events = run(collect(session_for(client, fake, approver), "make two"))
    assert computes(client) == {"c1": 1, "c2": 1}
    assert len(approver.requests) == 1
    assert kinds(events).count("ApprovalRequested") == 1


def test_always_does_not_cover_another_tool(client, fake):
    fake.script = [call("compute-create", name="c1"), call("compute-scale", name="c1", max_instances=3), {"text": "done"}]
    approver = ScriptedApprover(["a", "n"])
    run(collect(session_for(client, fake, approver), "make and scale"))
    assert [r.tool for r in approver.requests] == ["compute-create", "compute-scale"]
    assert computes(client) == {"c1": 1}


@pytest.mark.parametrize(("typed", "kept"), [("c1", False), ("c2", True), ("", True)])
def test_destructive_needs_the_exact_name_typed(client, fake, typed, kept):
    ComputeTools(client).create(name="c1", max_instances=2)
    fake.script = [call("compute-delete", name="c1"), {"text": "done"}]
    approver = ScriptedApprover([Decision.approve(typed) if typed else Decision.decline()])
    events = run(collect(session_for(client, fake, approver), "delete c1"))

    request = next(e for e in events if isinstance(e, ApprovalRequested))
    assert request.needs_typed_name == "c1" and approver.requests[0].destructive
    assert ("c1" in computes(client)) is kept
    assert results_of(events)[0].status == ("declined" if kept else "ok")
    if kept:
        assert json.loads(fake.tool_results()[0])["status"] == "declined"


def test_always_is_not_enough_for_destructive(client, fake):
    ComputeTools(client).create(name="c1")
    fake.script = [call("compute-delete", name="c1"), {"text": "done"}]
    run(collect(session_for(client, fake, ScriptedApprover([Decision.always()])), "delete c1"))
    assert "c1" in computes(client)


def test_read_only_hides_writes_and_refuses_them_if_called(client, fake):
    fake.script = [call("compute-create", name="c1"), {"text": "cannot"}]
    tools = ComputeTools(client)
    approver = ScriptedApprover(["y"])
    events = run(collect(session_for(client, fake, approver, tools, read_only=True), "create c1"))

    assert sorted(fake.offered_tools(0)) == ["compute-get", "compute-list"]
    assert computes(client) == {} and tools.executed == [] and approver.requests == []
    assert "not part of the provided tools" in fake.tool_results()[0]
    assert not [e for e in events if isinstance(e, ApprovalRequested)]


def test_reader_is_denied_before_any_preview(client, fake, monkeypatch):
    fake.script = [call("compute-create", name="c1"), {"text": "no access"}]
    tools = ComputeTools(client)
    previews = []
    monkeypatch.setattr(tools, "preview", lambda *a: previews.append(a))
    approver = ScriptedApprover(["y"])
    events = run(collect(session_for(client, fake, approver, tools, roles="Reader"), "create c1"))

    sentence = fake.tool_results()[0]
    assert sentence.startswith("tester (Reader) may not run compute-create") and "Contributor" in sentence
    assert results_of(events)[0].status == "denied"
    assert computes(client) == {} and previews == [] and approver.requests == []


def test_roles_come_from_the_workspace_when_not_given(client, fake):
    client.role_assignments.create("dana", "Reader")
    fake.script = [call("compute-create", name="c1"), {"text": "no"}]
    run(collect(session_for(client, fake, user="dana"), "create c1"))
    assert "dana (Reader) may not run" in fake.tool_results()[0]


def test_invalid_plan_is_an_error_without_asking(client, fake):
    fake.script = [call("compute-create", name="bad name!", max_instances=2), {"text": "sorry"}]
    approver = ScriptedApprover(["y"])
    events = run(collect(session_for(client, fake, approver), "create"))
    assert approver.requests == [] and computes(client) == {}
    result = fake.tool_results()[0]
    assert result.startswith("Error: ") and "\n" not in result and "name" in result
    assert results_of(events)[0].status == "error"


def test_out_of_range_argument_is_an_invalid_plan(client, fake):
    fake.script = [call("compute-create", name="c1", max_instances=0), {"text": "sorry"}]
    approver = ScriptedApprover(["y"])
    run(collect(session_for(client, fake, approver), "create"))
    assert approver.requests == [] and fake.tool_results()[0].startswith("Error: max_instances")


def test_a_tool_error_goes_back_to_the_model_and_the_turn_goes_on(client, fake):
    fake.script = [call("compute-get", name="nope"), {"text": "It does not exist."}]
    events = run(collect(session_for(client, fake), "show nope"))
    result = fake.tool_results()[0]
    assert result.startswith("Error: compute: 'nope' was not found") and "\n" not in result
    assert results_of(events)[0].status == "error"
    assert isinstance(events[-1], AssistantText) and events[-1].text == "It does not exist."


def test_unexpected_exception_in_a_tool_is_an_error_result(client, fake, monkeypatch):
    tools = ComputeTools(client)
    monkeypatch.setattr(type(client.compute), "list", lambda self, **kw: (_ for _ in ()).throw(RuntimeError("disk on fire")))
    fake.script = [call("compute-list"), {"text": "broken"}]
    events = run(collect(session_for(client, fake, tools=tools), "list"))
    assert fake.tool_results()[0] == "Error: RuntimeError: disk on fire"
    assert results_of(events)[0].status == "error"


def test_a_model_that_keeps_calling_tools_stops_at_the_bound(client, fake):
    fake.default = call("compute-list")
    from agent.session import Session

    settings = make_settings(client.root, model=fake.model())
    session = Session(settings, client, ScriptedApprover(), plugins=[ComputeTools(client)], max_iterations=3)
    events = run(collect(session, "loop forever"))
    assert len(fake.requests) == 3
    assert len(results_of(events)) == 3
    assert isinstance(events[-1], Error) and "max_iterations=3" in events[-1].message


def test_a_declined_change_is_not_asked_again_under_another_tool_in_the_same_turn(client, fake):
    ComputeTools(client).create(name="c1", max_instances=1)
    fake.script = [
        call("compute-scale", name="c1", max_instances=5),
        call("compute-delete", name="c1"),  # same target, another tool
        {"text": "ok"},
        call("compute-scale", name="c1", max_instances=5),  # next turn: asked again
        {"text": "ok"},
    ]
    approver = ScriptedApprover(["n", "y"])
    events = run(collect(session_for(client, fake, approver), "scale c1", "scale c1 again"))
    assert [r.tool for r in approver.requests] == ["compute-scale", "compute-scale"]
    assert [r.status for r in results_of(events)] == ["declined", "declined", "ok"]
    assert computes(client) == {"c1": 5}


def test_parallel_tool_calls_are_each_approved(client, fake):
    fake.script = [
        {"tool_calls": [{"name": "compute-create", "arguments": {"name": "p1"}}, {"name": "compute-create", "arguments": {"name": "p2"}}]},
        {"text": "made one"},
    ]
    approver = ScriptedApprover(["y", "n"])
    events = run(collect(session_for(client, fake, approver), "two at once"))
    assert len(approver.requests) == 2
    assert sorted(r.status for r in results_of(events)) == ["declined", "ok"]
    assert len(computes(client)) == 1 and len(fake.tool_results()) == 2


def test_events_come_in_order_for_one_call(client, fake):
    fake.script = [call("compute-create", name="c1"), {"text": "done"}]
    events = run(collect(session_for(client, fake, ScriptedApprover(["y"])), "create"))
    proposed = next(e for e in events if isinstance(e, ToolProposed))
    assert proposed.arguments == {"name": "c1"} and proposed.effect == "write"
    assert kinds(events).index("ToolProposed") < kinds(events).index("ApprovalRequested") < kinds(events).index("ToolResult")


def test_a_failing_model_ends_the_turn_with_one_error(client, fake):
    fake.script = [{"status": 400, "error": "bad request from the test"}]
    events = run(collect(session_for(client, fake), "hi"))
    assert kinds(events) == ["Error"] and "bad request from the test" in events[0].message
    with pytest.raises(ResourceNotFoundError):
        client.compute.get("anything")


def test_the_fake_server_speaks_plain_json_and_sse_and_stops():
    import socket
    import urllib.request

    def post(server, body):
        request = urllib.request.Request(f"{server.url}/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()

    server = FakeOpenAI([{"text": "hi"}, call("compute-list")]).start()
    try:
        port = int(server.url.rsplit(":", 1)[1].split("/")[0])
        plain = json.loads(post(server, {"model": "m", "messages": []}))
        assert plain["choices"][0]["message"]["content"] == "hi"
        sse = post(server, {"model": "m", "messages": [], "stream": True})
        chunks = [json.loads(line[6:]) for line in sse.splitlines() if line.startswith("data: {")]
        deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
        assert any("tool_calls" in d for d in deltas) and sse.rstrip().endswith("data: [DONE]")
        assert chunks[-1]["usage"]["total_tokens"] == 15
        assert len(server.requests) == 2 and server.requests[1]["stream"] is True
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
