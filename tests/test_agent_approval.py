"""The approval filter on its own: calls go straight into the kernel, no model involved."""

from __future__ import annotations

import json

import pytest
from test_agent_toolkit import ComputeTools, run

from agent.approval import ApprovalFilter, ApprovalRequest, AutoApprover, Decision, Identity, ScriptedApprover, parse_answer
from agent.replies import JsonReply, error_line, plain
from agent.audit import AuditLog
from agent.kernel import build_kernel
from tools.base import Plan


def untyped_plugin():
    """A kernel plugin that is not a ToolPlugin: its function carries no ToolSpec."""
    from semantic_kernel.functions import kernel_function

    class Untyped:
        calls = 0

        @kernel_function(name="poke")
        def poke(self, target: str) -> str:
            self.calls += 1
            return f"poked {target}"

    return Untyped()


def kernel_with(client, approver, *, roles=("Owner",), read_only_filter=False, extra=None):
    from agent.providers import get_provider

    tools = ComputeTools(client)
    approval = ApprovalFilter(
        plugins=[tools], approver=approver, identity=Identity("tester", tuple(roles)),
        audit=AuditLog(client.paths.db), session_id="unit", read_only=read_only_filter,
    )
    # The kernel offers everything: only the filter stands between a write and the workspace.
    kernel = build_kernel(service=get_provider("offline"), plugins=[tools], approval=approval, read_only=False)
    if extra is not None:
        kernel.add_plugin(extra, plugin_name="misc")
    return kernel, tools


def invoke(kernel, tool, **arguments):
    from semantic_kernel.contents import ChatHistory, FunctionCallContent

    history = ChatHistory()
    call = FunctionCallContent(id="call_1", name=tool, arguments=json.dumps(arguments))
    run(kernel.invoke_function_call(call, history))
    return history.messages[-1].items[0].result


def test_read_only_filter_refuses_a_write_that_reaches_it(client):
    kernel, tools = kernel_with(client, ScriptedApprover(["y"]), read_only_filter=True)
    result = invoke(kernel, "compute-create", name="c1")
    assert result.startswith("Refused: compute-create changes the workspace and this session is read-only")
    assert tools.executed == [] and list(client.compute.list()) == []
    assert AuditLog(client.paths.db).rows()[-1]["decision"] == "denied-read-only"
    assert json.loads(json.dumps(invoke(kernel, "compute-list"))) == []


def test_a_function_without_a_spec_counts_as_an_undeclared_write(client):
    extra = untyped_plugin()
    approver = ScriptedApprover(["y"])
    kernel, _ = kernel_with(client, approver, roles=("Contributor",), extra=extra)
    assert invoke(kernel, "misc-poke", target="x") == "poked x"
    request = approver.requests[0]
    assert request.effect == "write" and request.permission is None
    assert "no preview" in request.plan.warnings[0]

    reader_kernel, _ = kernel_with(client, ScriptedApprover(["y"]), roles=("AzureML Data Scientist",), extra=extra)
    assert "undeclared permission" in invoke(reader_kernel, "misc-poke", target="x")
    assert extra.calls == 1


def test_declined_result_is_a_dict_the_model_reads_as_json(client):
    kernel, _ = kernel_with(client, ScriptedApprover(["n"]))
    result = invoke(kernel, "compute-create", name="c1")
    assert isinstance(result, dict) and result["status"] == "declined"
    assert json.loads(str(result))["status"] == "declined"


@pytest.mark.parametrize(
    ("yes", "yes_destructive", "destructive", "kind"),
    [
        (False, False, False, "decline"), (True, False, False, "approve"), (True, False, True, "decline"),
        (True, True, True, "approve"), (False, True, False, "approve"), (False, True, True, "approve"),
    ],
)
def test_auto_approver(yes, yes_destructive, destructive, kind):
    request = ApprovalRequest("t", {}, Plan(action="a", target="x", summary="s"), "write", None, "c1" if destructive else None)
    decision = run(AutoApprover(yes, yes_destructive).approve(request))
    assert decision.kind == kind and decision.by == "auto"
    if kind == "approve" and destructive:
        assert decision.typed_name == "c1"


@pytest.mark.parametrize(
    ("answer", "destructive", "expected"),
    [
        ("y", False, Decision.approve()), ("YES", False, Decision.approve()), ("a", False, Decision.always()),
        ("n", False, Decision.decline()), ("", False, Decision.decline()), ("what", False, Decision.decline()),
        ("c1", True, Decision.approve("c1")), ("no", True, Decision.decline()), ("y", True, Decision.approve("y")),
    ],
)
def test_scripted_answers(answer, destructive, expected):
    request = ApprovalRequest("t", {}, Plan(action="a", target="x", summary="s"), "write", None, "c1" if destructive else None)
    assert parse_answer(answer, request) == expected


def test_scripted_approver_declines_when_out_of_answers():
    request = ApprovalRequest("t", {}, Plan(action="a", target="x", summary="s"), "write", None, None)
    approver = ScriptedApprover([])
    assert run(approver.approve(request)).kind == "decline" and approver.requests == [request]


def test_plain_turns_results_into_json_data(client):
    from azure.ai.ml.entities import AmlCompute

    entity = client.compute.begin_create_or_update(AmlCompute(name="c1", max_instances=2)).result()
    data = plain({"entity": entity, "plan": Plan(action="a", target="x", summary="s"), "items": (1, 2)})
    assert json.loads(json.dumps(data))["entity"]["name"] == "c1"
    assert data["plan"]["target"] == "x" and data["items"] == [1, 2]
    assert str(JsonReply({"a": "é"})) == '{"a": "é"}'


def test_errors_are_one_line():
    assert error_line(RuntimeError("disk\n  on fire")) == "Error: RuntimeError: disk on fire"
    from workspace.errors import UserInputError

    assert error_line(UserInputError("name: 'x' is bad")) == "Error: name: 'x' is bad"
    assert len(error_line(ValueError("x" * 2000))) == len("Error: ") + 500
