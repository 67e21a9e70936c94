"""The agent side of the TUI: one thread with its own asyncio loop that owns the session.

Why a separate loop: tools are synchronous SDK calls that semantic-kernel runs
inside the loop (an upload, a job submission that imports MLflow for seconds).
On the UI's loop they would freeze the screen; here they block only this
thread. The UI awaits a turn from an ``@work(exclusive=True)`` worker through
``run_turn``, and everything the session emits comes back as ``tui.messages``
via the thread-safe ``App.post_message``.

Heavy imports (semantic-kernel, azure-ai-ml, pydantic-settings) happen in this
thread, after the first paint.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any, Callable

from tui.messages import Agent, event_message

log = logging.getLogger(__name__)
STOP_TIMEOUT = 3.0  # seconds to wait for the agent thread at exit before leaving it (it is a daemon)


class ModalApprover:
    """The session's ``Approver``: asks the app for a decision and waits for the modal's answer."""

    def __init__(self, post: Callable[[Any], Any]) -> None:
        self._post = post

    async def approve(self, request: Any) -> Any:
        answer: concurrent.futures.Future = concurrent.futures.Future()
        self._post(Agent.ApprovalNeeded(request, answer))
        # Cancelling the turn cancels this wait, and wrap_future cancels `answer` with it.
        return await asyncio.wrap_future(answer)


class AgentBridge:
    """Opens the client and the session in the agent thread and runs turns there."""

    def __init__(
        self,
        post: Callable[[Any], Any],
        settings: Any,
        client_factory: Callable[[], Any] | None,
        *,
        overrides: dict[str, Any] | None = None,
        resume: str | None = None,
        session_options: dict[str, Any] | None = None,
    ) -> None:
        self._post = post
        self._settings = settings
        self._factory = client_factory
        self._overrides = overrides or {}
        self._resume = resume
        self._options = dict(session_options or {})
        self.client: Any = None
        self.session: Any = None
        self._loop = asyncio.new_event_loop()
        self._opened: concurrent.futures.Future = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._serve, name="amlpilot-agent", daemon=True)

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self._loop)

    def stop(self) -> None:
        """Cancel whatever runs, stop the loop and close the client (from this thread, which opened it)."""
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        self._thread.join(STOP_TIMEOUT)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _shutdown(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.client is not None and hasattr(self.client, "close"):
            try:
                self.client.close()
            except Exception:  # closing at exit must never stop the exit
                log.debug("closing the client failed", exc_info=True)
        self._loop.stop()

    # -- opening -------------------------------------------------------------

    async def _open(self) -> None:
        # Blocking work, but in the agent's own thread: the UI is already painted and live.
        try:
            settings = self._resolve_settings()
            self.client = self._make_client(settings)
            self._post(client_ready(self.client, settings, first_launch=not self._resume and is_first_launch(self.client)))
            self.session, past = self._make_session(settings)
            self._post(session_ready(self.session, resumed=bool(self._resume) and past is not None, past=past or []))
        except Exception as exc:
            log.debug("opening the session failed", exc_info=True)
            self._post(Agent.SessionFailed(describe(exc)))
        finally:
            self._opened.set_result(self.session)

    def _resolve_settings(self) -> Any:
        settings = self._settings
        if settings is None:
            from agent.config import load_settings

            settings = load_settings(workspace=self._overrides.get("workspace"), user=self._overrides.get("user"))
        updates = {k: v for k, v in self._overrides.items() if k in ("model", "read_only", "user") and v is not None}
        return settings.model_copy(update=updates) if updates else settings

    def _make_client(self, settings: Any) -> Any:
        if self._factory is not None:
            return self._factory()
        if getattr(settings, "backend", "local") != "local":
            from workspace.errors import UserInputError

            raise UserInputError("backend: only the local workspace is available in the TUI for now (AMLPILOT_BACKEND=local)")
        from workspace.local import LocalMLClient

        return LocalMLClient(settings.workspace_root, user=settings.user, secrets_backend=settings.secrets_backend)

    def _make_session(self, settings: Any) -> tuple[Any, list[dict] | None]:
        from agent.session import Session

        approver = ModalApprover(self._post)
        options = {"channel": "tui", **self._options}
        if not self._resume:
            return Session(settings, self.client, approver, **options), None
        options.pop("session_id", None)  # a resumed session keeps its own id
        try:
            session = Session.resume(self._resume, settings, self.client, approver, **options)
        except Exception as exc:  # an unknown id must not leave the user without a session
            self._post(Agent.SessionFailed(f"{describe(exc)}; started a new session instead"))
            return Session(settings, self.client, approver, **options), None
        return session, past_records(session)

    # -- turns -----------------------------------------------------------------

    async def run_turn(self, text: str) -> None:
        """Run one turn in the agent thread; awaited from the UI's loop (cancel it to stop the turn)."""
        future = asyncio.run_coroutine_threadsafe(self._turn(text), self._loop)
        await asyncio.wrap_future(future)

    async def _turn(self, text: str) -> None:
        session = await asyncio.wrap_future(self._opened)
        if session is None:
            self._post(Agent.TurnFailed("no agent session is open, so nothing was sent (see the error above)"))
            return
        try:
            async for event in session.send(text):
                self._post(event_message(event))
        except Exception as exc:
            log.debug("turn failed", exc_info=True)
            self._post(Agent.TurnFailed(describe(exc)))


# -- what the messages carry -------------------------------------------------------


def describe(exc: BaseException) -> str:
    """One line for the user: our own errors carry a message; others get their type."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = " ".join(str(message).split())
    return text if getattr(exc, "message", None) else f"{type(exc).__name__}: {text}"


def client_ready(client: Any, settings: Any, *, first_launch: bool) -> Agent.ClientReady:
    name = getattr(client, "workspace_name", None) or getattr(settings.workspace_root, "name", "workspace")
    return Agent.ClientReady(client, name, getattr(settings, "backend", "local"), first_launch)


def session_ready(session: Any, *, resumed: bool, past: list[dict]) -> Agent.SessionReady:
    tools = offered_tools(session)
    return Agent.SessionReady(
        session.session_id, session.settings.model, session.identity.user, tuple(session.identity.roles),
        session.read_only, tools, resumed, past,
    )


def offered_tools(session: Any) -> tuple[str, ...]:
    """What the kernel offers the model (read-only sessions offer reads only), as ``plugin-function``."""
    plugins = getattr(getattr(session, "kernel", None), "plugins", None) or {}
    return tuple(sorted(f"{name}-{function}" for name, plugin in plugins.items() for function in plugin.functions))


def past_records(session: Any) -> list[dict]:
    """The resumed transcript's user lines and events (headers and stored history left out)."""
    shown = ("user", "AssistantText", "ToolProposed", "ApprovalRequested", "ToolResult", "Error")
    return [r for r in session.transcript.records() if r.get("type") in shown]


def is_first_launch(client: Any) -> bool:
    """An empty workspace nobody has talked to yet: offer the guided start."""
    from agent.transcript import sessions_dir

    root = getattr(client, "root", None)
    if root is not None and any(sessions_dir(root).glob("*.jsonl")):
        return False
    for group in ("compute", "data", "models", "jobs"):
        operations = getattr(client, group, None)
        try:
            if operations is not None and any(True for _ in operations.list()):
                return False
        except Exception:  # a group that can't list doesn't make the workspace look used
            continue
    return True
