"""Approval lives here, in one semantic-kernel auto-function-invocation filter.

For every tool call the model makes, in this order:

1. look up the tool's ``ToolSpec`` (no spec: ``write`` with no known permission);
2. read-only mode refuses anything but reads;
3. RBAC: the acting identity's roles must allow the permission (before any preview);
4. reads run straight away;
5. writes are previewed (an invalid plan goes back as ``Error: ...`` unasked);
6. the ``Approver`` is asked: writes yes / always-for-this-tool / no, destructive
   calls need the resource's name typed; a decline doesn't call ``next`` and
   returns ``{"status": "declined"}``, and the declined target is remembered for
   the rest of the user turn, whatever tool tries it next.

Tool exceptions come back to the model as ``Error: <one line>``, never as a
crash; every call, whatever its fate, is appended to the audit log.
semantic-kernel is imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, Literal, Protocol

from agent.audit import AuditEntry, AuditLog
from agent.events import ApprovalRequested, Error, Event, ToolProposed, ToolResult
from agent.rbac import allowed, denial
from agent.redact import Redactor
from agent.replies import as_reply, error_line, one_line, plain
from tools.base import Plan, ToolPlugin, ToolSpec

log = logging.getLogger(__name__)
REVERTS_KEY = "amlpilot_reverts"  # FunctionCallContent metadata: the audit seq an undo reverts


# -- what the approver is asked and answers ------------------------------------


@dataclass(frozen=True)
class Decision:
    kind: Literal["approve", "always", "decline"]
    typed_name: str | None = None
    by: Literal["user", "auto"] = "user"

    @classmethod
    def approve(cls, typed_name: str | None = None, *, by: Literal["user", "auto"] = "user") -> "Decision":
        return cls("approve", typed_name, by)

    @classmethod
    def always(cls) -> "Decision":
        return cls("always")

    @classmethod
    def decline(cls, *, by: Literal["user", "auto"] = "user") -> "Decision":
        return cls("decline", None, by)


@dataclass(frozen=True)
class ApprovalRequest:
    tool: str
    arguments: dict[str, Any]       # redacted
    plan: Plan                      # redacted too: approvers may show it as it is
    effect: str
    permission: str | None
    needs_typed_name: str | None    # set for destructive calls: what the user must type

    @property
    def destructive(self) -> bool:
        return self.needs_typed_name is not None


class Approver(Protocol):
    async def approve(self, request: ApprovalRequest) -> Decision: ...


class AutoApprover:
    """For ``ask``, bots and tests: ``yes`` approves writes; destructive needs ``yes_destructive`` (which implies ``yes``)."""

    def __init__(self, yes: bool = False, yes_destructive: bool = False) -> None:
        self.yes = yes or yes_destructive
        self.yes_destructive = yes_destructive

    async def approve(self, request: ApprovalRequest) -> Decision:
        if request.destructive:
            return Decision.approve(request.needs_typed_name, by="auto") if self.yes_destructive else Decision.decline(by="auto")
        return Decision.approve(by="auto") if self.yes else Decision.decline(by="auto")


class ScriptedApprover:
    """Replays answers and records what it was asked; runs out by declining.

    An answer is a ``Decision`` or a string: ``y``/``yes``, ``a``/``always``,
    ``n``/``no``; for a destructive request any other string is the typed name.
    """

    def __init__(self, answers: Iterable[Decision | str] = ()) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    async def approve(self, request: ApprovalRequest) -> Decision:
        self.requests.append(request)
        if not self.answers:
            return Decision.decline()
        return parse_answer(self.answers.pop(0), request)


def parse_answer(answer: Decision | str, request: ApprovalRequest) -> Decision:
    if isinstance(answer, Decision):
        return answer
    text = answer.strip()
    if text.lower() in ("", "n", "no"):
        return Decision.decline()
    if request.destructive:
        return Decision.approve(text)
    if text.lower() in ("y", "yes"):
        return Decision.approve()
    if text.lower() in ("a", "always"):
        return Decision.always()
    return Decision.decline()


# -- session state the filter reads and updates ---------------------------------


@dataclass(frozen=True)
class Identity:
    user: str
    roles: tuple[str, ...]


@dataclass
class ApprovalState:
    """``always``: tools approved for the session; ``declined``: plan targets declined this turn."""

    always: set[str] = field(default_factory=set)
    declined: set[str] = field(default_factory=set)

    def new_turn(self) -> None:
        self.declined.clear()


@dataclass
class ToolFailure:
    """A tool's exception, carried as a value from ``catch_tool_errors`` to the approval filter."""

    message: str


@dataclass
class Outcome:
    status: Literal["ok", "error", "declined", "denied"]
    decision: str
    value: Any
    plan: Plan | None = None


# -- the filter ----------------------------------------------------------------


class ApprovalFilter:
    """The auto-function-invocation filter; ``install(kernel)`` registers it.

    ``emit(event, flush)`` hands events to the session; ``flush`` asks it to wait
    until the UI has shown everything so far (before an approval prompt).
    """

    def __init__(
        self,
        *,
        plugins: Iterable[ToolPlugin],
        approver: Approver,
        identity: Identity,
        state: ApprovalState | None = None,
        audit: AuditLog | None = None,
        redactor: Redactor | None = None,
        session_id: str = "",
        channel: str = "cli",
        read_only: bool = False,
        emit: Callable[[Event, bool], Awaitable[None] | None] | None = None,
    ) -> None:
        plugins = list(plugins)
        self.plugins = {p.plugin_name: p for p in plugins}
        self.specs = {spec.full_name: spec for p in plugins for spec in p.tool_specs().values()}
        self.approver = approver
        self.identity = identity
        self.state = state or ApprovalState()
        self.audit = audit
        self.redactor = redactor or Redactor()
        self.session_id = session_id
        self.channel = channel
        self.read_only = read_only
        self.emit = emit
        self._lock: tuple[Any, asyncio.Lock] | None = None
        self._owner: asyncio.Task | None = None

    def install(self, kernel: Any) -> None:
        from semantic_kernel.filters import FilterTypes

        kernel.add_filter(FilterTypes.FUNCTION_INVOCATION, catch_tool_errors)
        kernel.add_filter(FilterTypes.AUTO_FUNCTION_INVOCATION, self)

    async def __call__(self, context: Any, next: Callable[[Any], Awaitable[None]]) -> None:
        # Parallel tool calls are handled one at a time, so approvals never interleave
        # and a decline is remembered before the next call is looked at. An undo
        # re-enters from inside its own call (same task), so it must not wait.
        if self._owner is not None and self._owner is asyncio.current_task():
            return await self._handle(context, next)
        async with self._loop_lock():
            self._owner = asyncio.current_task()
            try:
                await self._handle(context, next)
            finally:
                self._owner = None

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]

    async def _handle(self, context: Any, next: Callable[[Any], Awaitable[None]]) -> None:
        from semantic_kernel.functions import FunctionResult

        name = context.function.fully_qualified_name
        spec = self.specs.get(name) or ToolSpec(function=context.function.name, plugin=context.function.plugin_name or "")
        arguments = dict(context.arguments or {})
        self.redactor.learn(arguments)
        for secret in getattr(spec, "secret_args", ()):  # declared SecretStr parameters, whatever their names
            self.redactor.add(arguments.get(secret))
        shown = self.redactor(plain(arguments))
        await self._emit(ToolProposed(name, shown, spec.effect, spec.permission))
        started = time.monotonic()
        try:
            outcome = await self._decide_and_run(context, next, spec, arguments, shown)
        except Exception as exc:  # a bug in a previewer or approver must not end the conversation
            log.exception("approval of %s failed", name)
            outcome = Outcome("error", "error", error_line(exc))
        duration_ms = int((time.monotonic() - started) * 1000)
        value = self.redactor(plain(outcome.value))
        context.function_result = FunctionResult(function=context.function.metadata, value=as_reply(value))
        await self._emit(ToolResult(name, outcome.status, value, duration_ms))
        await self._record(context, spec, shown, outcome, value, duration_ms)

    async def _decide_and_run(self, context: Any, next: Any, spec: ToolSpec, arguments: dict, shown: dict) -> Outcome:
        name = spec.full_name
        if self.read_only and spec.effect != "read":
            return Outcome("denied", "denied-read-only", f"Refused: {name} changes the workspace and this session is read-only.")
        if not allowed(self.identity.roles, spec.permission):
            return Outcome("denied", "denied-rbac", denial(self.identity.user, self.identity.roles, spec.permission, name))
        if spec.effect == "read":
            return await self._run(context, next, "not-needed", None)
        try:
            plan = self._preview(context, spec, arguments)
        except Exception as exc:
            return Outcome("error", "invalid-plan", error_line(exc))
        decision, approved = await self._approval(spec, arguments, shown, plan)
        if not approved:
            self.state.declined.add(plan.target)
            reply = {"status": "declined", "tool": name, "target": plan.target, "reason": decline_reason(decision, spec.effect)}
            return Outcome("declined", decision, reply, plan)
        return await self._run(context, next, decision, plan)

    def _preview(self, context: Any, spec: ToolSpec, arguments: dict) -> Plan:
        plugin = self.plugins.get(context.function.plugin_name or "")
        if plugin is None or getattr(plugin, f"preview_{spec.function}", None) is None:
            # Not one of ours, or a write without a previewer: the arguments are all we can show.
            return Plan(
                action=f"run {spec.full_name}", target=spec.full_name,
                summary=f"{spec.full_name} {json.dumps(self.redactor(plain(arguments)), default=str)}",
                warnings=["this tool has no preview: only its arguments are known"],
            )
        plan = plugin.preview(spec.function, arguments)
        return plan if isinstance(plan, Plan) else Plan.model_validate(plan)

    async def _approval(self, spec: ToolSpec, arguments: dict, shown: dict, plan: Plan) -> tuple[str, bool]:
        name = spec.full_name
        typed = needs_typed_name(spec, arguments, plan)
        if plan.target in self.state.declined:
            return "declined-earlier", False
        if typed is None and name in self.state.always:
            return "approved-always", True
        plan_shown = self.redactor(plain(plan.model_dump(mode="json")))
        await self._emit(ApprovalRequested(name, plan_shown, spec.effect, spec.permission, typed), flush=True)
        request = ApprovalRequest(name, shown, Plan.model_validate(plan_shown), spec.effect, spec.permission, typed)
        answer = await self.approver.approve(request)
        if answer.kind == "decline":
            return ("declined-auto" if answer.by == "auto" else "declined"), False
        if typed is not None and answer.typed_name != typed:
            return "declined-wrong-name", False
        if answer.kind == "always" and typed is None:
            self.state.always.add(name)
            return "approved-always", True
        return ("approved-auto" if answer.by == "auto" else "approved"), True

    async def _run(self, context: Any, next: Any, decision: str, plan: Plan | None) -> Outcome:
        await next(context)
        value = context.function_result.value if context.function_result is not None else None
        if isinstance(value, ToolFailure):
            return Outcome("error", decision, f"Error: {value.message}", plan)
        return Outcome("ok", decision, value, plan)

    async def _emit(self, event: Event, flush: bool = False) -> None:
        if self.emit is None:
            return
        sent = self.emit(event, flush)
        if inspect.isawaitable(sent):
            await sent

    async def _record(self, context: Any, spec: ToolSpec, shown: dict, outcome: Outcome, value: Any, duration_ms: int) -> None:
        if self.audit is None:
            return
        plan = outcome.plan
        call = getattr(context, "function_call_content", None)
        reverts = (getattr(call, "metadata", None) or {}).get(REVERTS_KEY)
        entry = AuditEntry(
            identity=self.identity.user, channel=self.channel, session_id=self.session_id,
            tool=spec.full_name, effect=spec.effect, arguments=shown,
            plan=self.redactor(plain(plan.model_dump(mode="json"))) if plan else None,
            inverse=self.redactor(plain(plan.inverse.model_dump(mode="json"))) if plan and plan.inverse else None,
            reverts=int(reverts) if reverts is not None else None,
            decision=outcome.decision, status=outcome.status, result=value, duration_ms=duration_ms,
        )
        try:
            await asyncio.to_thread(self.audit.append, entry)
        except Exception as exc:  # the change has happened; say so rather than lose the turn
            log.exception("audit append failed")
            await self._emit(Error(f"audit log: could not record {spec.full_name}: {error_line(exc)}"))


DECLINE_REASONS = {
    "declined": "the user declined this change",
    "declined-auto": "this change needs approval (run with --yes to approve writes)",
    "declined-auto-destructive": "this deletion needs approval (run with --yes --yes-destructive)",
    "declined-wrong-name": "the typed name did not match, so the change was not made",
    "declined-earlier": "the user already declined this change in this turn",
}


def decline_reason(decision: str, effect: str) -> str:
    if decision == "declined-auto" and effect == "destructive":
        return DECLINE_REASONS["declined-auto-destructive"]
    return DECLINE_REASONS[decision]


async def catch_tool_errors(context: Any, next: Callable[[Any], Awaitable[None]]) -> None:
    """Function-invocation filter: a tool's exception becomes a ``ToolFailure`` value.

    semantic-kernel would otherwise word the error itself; this way the approval
    filter reports ``Error: <one line>`` with status ``error``.
    """
    from semantic_kernel.functions import FunctionResult

    try:
        await next(context)
    except Exception as exc:
        log.debug("tool %s failed", context.function.fully_qualified_name, exc_info=True)
        context.result = FunctionResult(function=context.function.metadata, value=ToolFailure(one_line(exc)))


# -- helpers -------------------------------------------------------------------


def needs_typed_name(spec: ToolSpec, arguments: dict, plan: Plan) -> str | None:
    if spec.effect != "destructive":
        return None
    name = plan.resource_name or (arguments.get(spec.resource_arg) if spec.resource_arg else None)
    return str(name) if name not in (None, "") else plan.target
