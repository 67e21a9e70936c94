"""One conversation: history, identity, workspace, approvals; it emits events.

``Session.send(text)`` runs one user turn and yields ``agent.events`` as they
happen. semantic-kernel's auto-invoke loop runs in a producer task; the
approval filter and the streamed text feed one queue that ``send`` drains.
Before an approval prompt the filter waits until the UI has taken every event
so far, so a terminal shows the tool card before it asks.

Every event, redacted, also goes to ``<workspace>/sessions/<id>.jsonl``;
``Session.resume(id, ...)`` rebuilds the chat history from it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Iterable

from agent.approval import REVERTS_KEY, ApprovalFilter, ApprovalState, Approver, Identity
from agent.audit import AuditLog
from agent.events import AssistantText, Error, Event, to_dict
from agent.kernel import DEFAULT_MAX_ITERATIONS, build_kernel, catalog_plugins, execution_settings
from agent.redact import Redactor, StreamMask, redact_logs
from agent.replies import error_line
from agent.transcript import Transcript, existing_transcript, message_record, new_session_id, record_message, transcript_path
from agent.undo import UndoPlugin
from tools.base import ToolCall, ToolContext, ToolPlugin

log = logging.getLogger(__name__)
_DONE = object()
BRIEF_LIMIT = 20  # names per kind in the system prompt


class Session:
    def __init__(
        self,
        settings: Any,
        client: Any,
        approver: Approver,
        *,
        channel: str = "cli",
        session_id: str | None = None,
        service: Any = None,
        plugins: Iterable[ToolPlugin] | None = None,
        system_prompt_path: str | Path | None = None,
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
        stream: bool = True,
        redactor: Redactor | None = None,
    ) -> None:
        from agent.providers import get_provider

        self.settings, self.client, self.channel, self.stream = settings, client, channel, stream
        self.session_id = session_id or new_session_id()
        self.transcript = Transcript(transcript_path(client.paths.root, self.session_id))
        self.redactor = redactor or Redactor()
        self.redactor.add_settings(settings)
        self.redactor.add_environment()
        redact_logs(self.redactor)
        roles = settings.roles if settings.roles is not None else client.role_assignments.roles_of(settings.user)
        self.identity = Identity(settings.user, tuple(roles))
        self.read_only = bool(settings.read_only)
        self.state = ApprovalState()
        self.audit = AuditLog(client.paths.db)
        self.service = service if service is not None else get_provider(settings.model, settings)
        self.plugins = self._plugins(plugins)
        self.approval = ApprovalFilter(
            plugins=self.plugins, approver=approver, identity=self.identity, state=self.state, audit=self.audit,
            redactor=self.redactor, session_id=self.session_id, channel=channel, read_only=self.read_only, emit=self._emit,
        )
        self.kernel = build_kernel(service=self.service, plugins=self.plugins, approval=self.approval, read_only=self.read_only)
        self.execution_settings = execution_settings(self.service, max_iterations)
        self.max_iterations = max_iterations
        self.history = self._new_history(system_prompt_path)
        self._queue: asyncio.Queue | None = None
        self._start_transcript()

    @classmethod
    def resume(cls, session_id: str, settings: Any, client: Any, approver: Approver, **options: Any) -> "Session":
        """A session continuing a saved one; an unknown id is a one-line ``UserInputError``."""
        path = existing_transcript(client.paths.root, session_id)
        messages = Transcript(path).history_messages()
        session = cls(settings, client, approver, session_id=session_id, **options)
        for record in messages:
            session.history.add_message(record_message(record))
        return session

    # -- setup -------------------------------------------------------------

    def _plugins(self, plugins: Iterable[ToolPlugin] | None) -> list[ToolPlugin]:
        context = ToolContext(user=self.settings.user, channel=self.channel, extras={"session_id": self.session_id})
        chosen = list(plugins) if plugins is not None else catalog_plugins(self.client, context)
        if not self.read_only:
            chosen.append(UndoPlugin(self.client, context, audit=self.audit, session_id=self.session_id, runner=self._run_inverse))
        return chosen

    def _new_history(self, system_prompt_path: str | Path | None) -> Any:
        from semantic_kernel.contents import ChatHistory

        from prompts import system_prompt

        text = system_prompt(
            system_prompt_path,
            user=self.identity.user, roles=", ".join(self.identity.roles) or "none",
            workspace=getattr(self.client, "workspace_name", "workspace"), backend=getattr(self.settings, "backend", "local"),
            brief=workspace_brief(self.client),
        )
        return ChatHistory(system_message=text)

    def _start_transcript(self) -> None:
        header = {
            "type": "session" if not self.transcript.path.exists() else "resumed",
            "session_id": self.session_id, "user": self.identity.user, "roles": list(self.identity.roles),
            "model": self.settings.model, "channel": self.channel, "read_only": self.read_only,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.transcript.write(header)

    # -- one turn ------------------------------------------------------------

    async def send(self, text: str) -> AsyncIterator[Event]:
        """Run one user turn, yielding events as they happen.

        Iterate to the end (or ``aclose()`` the iterator): the turn's tools may be
        waiting for the consumer to take an approval event.
        """
        if self._queue is not None:
            raise RuntimeError("a turn is already running in this session")
        self.state.new_turn()
        start = len(self.history.messages)
        self.history.add_user_message(text)
        self.transcript.write({"type": "user", "text": self.redactor.text(text)})
        queue: asyncio.Queue = asyncio.Queue()
        self._queue = queue
        producer = asyncio.create_task(self._produce(queue))
        try:
            while True:
                event = await queue.get()
                try:
                    if event is _DONE:
                        return
                    self.transcript.write(to_dict(event))
                    yield event
                finally:
                    queue.task_done()
        finally:
            self._queue = None
            if not producer.done():
                producer.cancel()
                await asyncio.gather(producer, return_exceptions=True)
            self._save_history(start)

    async def _emit(self, event: Event, flush: bool = False) -> None:
        queue = self._queue
        if queue is None:  # a tool run outside a turn: nobody to show it to, but keep the record
            self.transcript.write(to_dict(event))
            return
        await queue.put(event)
        if flush:
            await queue.join()

    async def _produce(self, queue: asyncio.Queue) -> None:
        try:
            final = await (self._stream_turn() if self.stream else self._complete_turn())
            if final:
                self.history.add_assistant_message(final)
                await queue.put(AssistantText(self.redactor.text(final), final=True))
        except Exception as exc:  # a provider failure ends the turn, not the session
            log.debug("turn failed", exc_info=True)
            await queue.put(Error(self.redactor.text(error_line(exc).removeprefix("Error: "))))
        finally:
            await queue.put(_DONE)

    async def _stream_turn(self) -> str:
        from semantic_kernel.contents import FunctionCallContent
        from semantic_kernel.contents.utils.author_role import AuthorRole

        texts: dict[int, list[str]] = {}
        calling: set[int] = set()
        mask, current = StreamMask(self.redactor), None
        stream = self.service.get_streaming_chat_message_contents(self.history, self.execution_settings, kernel=self.kernel)
        async for messages in stream:
            for message in messages or []:
                if message is None or message.role != AuthorRole.ASSISTANT:
                    continue
                attempt = message.function_invoke_attempt or 0
                if attempt != current:
                    await self._show(mask.flush())
                    current = attempt
                for item in message.items:
                    if isinstance(item, FunctionCallContent):
                        calling.add(attempt)
                    elif isinstance(getattr(item, "text", None), str) and item.text:
                        texts.setdefault(attempt, []).append(item.text)
                        await self._show(mask.feed(item.text))
        await self._show(mask.flush())
        last = max([*texts, *calling], default=0)
        if last in calling:
            await self._stopped(len(calling))
            return ""
        return "".join(texts.get(last, []))

    async def _complete_turn(self) -> str:
        from semantic_kernel.contents import FunctionCallContent

        replies = await self.service.get_chat_message_contents(self.history, self.execution_settings, kernel=self.kernel)
        reply = replies[0] if replies else None
        if reply is None or any(isinstance(item, FunctionCallContent) for item in reply.items):
            await self._stopped(self.max_iterations)
            return ""
        return reply.content or ""

    async def _show(self, text: str) -> None:
        if text and self._queue is not None:
            await self._queue.put(AssistantText(text, final=False))

    async def _stopped(self, rounds: int) -> None:
        if self._queue is not None:
            message = f"stopped after {rounds} tool-call rounds: the model was still calling tools (max_iterations={self.max_iterations})"
            await self._queue.put(Error(message))

    def _save_history(self, start: int) -> None:
        records = [r for m in self.history.messages[start:] if (r := message_record(m, self.redactor)) is not None]
        if records:
            self.transcript.write({"type": "history", "messages": records})

    # -- undo ------------------------------------------------------------------

    async def _run_inverse(self, call: ToolCall, reverts: int) -> Any:
        """Run an inverse call through the kernel, so the approval filter handles it like any other."""
        import json

        from semantic_kernel.contents import ChatHistory, FunctionCallContent

        scratch = ChatHistory()
        request = FunctionCallContent(
            id=f"undo-{reverts}", name=call.tool, arguments=json.dumps(call.arguments), metadata={REVERTS_KEY: reverts}
        )
        await self.kernel.invoke_function_call(request, scratch)
        results = [item.result for m in scratch.messages for item in m.items if hasattr(item, "result")]
        return results[-1] if results else None


def workspace_brief(client: Any, limit: int = BRIEF_LIMIT) -> str:
    """Names of computes, data assets and models, for the system prompt (not everything)."""
    lines = []
    for label, group in (("computes", "compute"), ("data assets", "data"), ("models", "models")):
        try:
            names = sorted({e.name for e in getattr(client, group).list() if getattr(e, "name", None)})
        except Exception:  # a brief is a courtesy; a broken group must not stop the session
            log.debug("brief: listing %s failed", group, exc_info=True)
            lines.append(f"- {label}: (unavailable)")
            continue
        shown = ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit else "")
        lines.append(f"- {label}: {shown or 'none'}")
    return "\n".join(lines)
