"""Property: whatever the model asks and the user answers, no write runs without a matching approval,
and the audit log records every call."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_agent_toolkit import ComputeTools, collect, offline_session, run

from agent.approval import ApprovalRequest, Decision, parse_answer
from workspace.local import LocalMLClient

NAMES = ("a1", "b2")
WRITES = ("compute-create", "compute-scale", "compute-delete")


@dataclass
class StepApprover:
    """Answers with the answer drawn for the current step and remembers who asked what when."""

    answers: list[str]
    step: int = 0
    asked: list[tuple[int, ApprovalRequest, Decision]] = field(default_factory=list)

    async def approve(self, request: ApprovalRequest) -> Decision:
        decision = parse_answer(self.answers[self.step], request)
        self.asked.append((self.step, request, decision))
        return decision


step = st.tuples(
    st.sampled_from(("compute-list", *WRITES)),
    st.sampled_from(NAMES),
    st.integers(min_value=1, max_value=3),
    st.sampled_from(("y", "a", "n", "a1", "b2", "wrong")),
)


def line(tool: str, name: str, instances: int) -> str:
    if tool == "compute-list":
        return "/compute-list"
    if tool == "compute-delete":
        return f"/compute-delete name={name}"
    return f"/{tool} name={name} max_instances={instances}"


def approved(decision: Decision, request: ApprovalRequest) -> bool:
    if decision.kind == "decline":
        return False
    return not request.destructive or decision.typed_name == request.needs_typed_name


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=6))
def test_no_write_runs_without_approval_and_every_call_is_audited(steps):
    with tempfile.TemporaryDirectory() as folder:
        client = LocalMLClient(Path(folder) / "ws", user="tester", secrets_backend="file")
        try:
            check(client, steps)
        finally:
            client.close()


def check(client, steps) -> None:
    tools = ComputeTools(client)
    for name in NAMES:  # existing computes, so scale and delete have something to act on
        ComputeTools(client).create(name=name, max_instances=1)
    approver = StepApprover([answer for *_, answer in steps])
    session = offline_session(client, approver, plugins=[tools])

    async def drive() -> list[int]:
        executed_at = []
        for index, (tool, name, instances, _answer) in enumerate(steps):
            approver.step = index
            before = len(tools.executed)
            await collect(session, line(tool, name, instances))
            executed_at.extend([index] * (len(tools.executed) - before))
        return executed_at

    executed_at = run(drive())
    asked = {index: (request, decision) for index, request, decision in approver.asked}
    always_from = {}
    for index, request, decision in approver.asked:
        if decision.kind == "always" and not request.destructive:
            always_from.setdefault(request.tool, index)

    expected_state = {name: 1 for name in NAMES}
    for index, (tool, arguments) in zip(executed_at, tools.executed):
        if tool in WRITES:
            if index in asked:
                request, decision = asked[index]
                assert request.tool == tool and approved(decision, request), f"step {index}: {tool} ran without approval"
            else:
                assert tool != "compute-delete", "a destructive call ran without being asked"
                assert always_from.get(tool, len(steps)) < index, f"step {index}: {tool} ran unasked without 'always'"
        if tool in ("compute-create", "compute-scale"):
            expected_state[arguments["name"]] = arguments["max_instances"]
        elif tool == "compute-delete":
            expected_state.pop(arguments["name"], None)

    assert {c.name: c.max_instances for c in client.compute.list()} == expected_state
    rows = session.audit.rows()
    assert [r["tool"] for r in rows] == [tool for tool, *_ in steps]
    ran_writes = sum(1 for r in rows if r["tool"] in WRITES and r["status"] == "ok")
    assert ran_writes == sum(1 for tool, _ in tools.executed if tool in WRITES)
    assert session.audit.verify()[0]
