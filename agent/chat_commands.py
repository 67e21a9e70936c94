"""The conversational commands: ``chat``, ``ask``, ``audit verify``, ``audit list``.

``register(app)`` adds them to the main typer app. They read the app's global
options from the typer context: ``ctx.obj["settings"]`` (a ``Settings``) and
``ctx.obj["client"]`` (a zero-argument factory returning the workspace
client); without those they load the settings themselves.

Exit codes: 0 done; 1 an error (the model failed, the audit chain is broken);
2 bad input; 3 ``ask`` needed an approval it was not given (rerun with --yes);
4 a role or read-only mode refused a call.
"""

from __future__ import annotations

import asyncio
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Optional

import typer

from agent.approval import ApprovalRequest, Decision
from agent.events import AssistantText, ApprovalRequested, Error, Event, ToolProposed, ToolResult, to_dict
from workspace.errors import AmlPilotError, UserInputError

EXIT_ERROR, EXIT_NEEDS_APPROVAL = 1, 3
EXIT_DENIED = 4  # a role or read-only mode refused the call
MAX_SHOWN = 200  # characters of a tool result a card shows

ModelOption = Annotated[Optional[str], typer.Option(
    "--model", "-m", help="Chat model, e.g. offline, openai:gpt-4o (overrides AMLPILOT_MODEL).", show_default=False)]
WorkspaceOption = Annotated[Optional[Path], typer.Option(
    "--workspace", "-w", help="Workspace folder (same as the global option).", show_default=False)]
UserOption = Annotated[Optional[str], typer.Option("--as", help="Act as this identity (same as the global option).", show_default=False)]
ReadOnlyOption = Annotated[bool, typer.Option("--read-only", help="Offer and allow only tools that change nothing.")]
IterationsOption = Annotated[int, typer.Option("--max-iterations", min=1, max=50, help="Most model round trips per request.")]
PromptOption = Annotated[Optional[Path], typer.Option(
    "--system-prompt", help="Use this system prompt template instead of prompts/system.md.", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("chat", help="Talk to the agent; it previews every change and asks before making it.")(chat)
    app.command("ask", help="Send one request and print the answer; writes need --yes. Exit 3: approval needed; 4: not permitted.")(ask)
    audit_app = typer.Typer(help="The hash-chained log of every tool call.", no_args_is_help=True)
    audit_app.command("verify", help="Check that no audit entry was changed or removed.")(audit_verify)
    audit_app.command("list", help="Show the newest audit entries.")(audit_list)
    app.add_typer(audit_app, name="audit")


# -- commands -----------------------------------------------------------------


def chat(
    ctx: typer.Context,
    model: ModelOption = None,
    read_only: ReadOnlyOption = False,
    resume: Annotated[Optional[str], typer.Option("--resume", help="Continue a saved session by id.", show_default=False)] = None,
    max_iterations: IterationsOption = 8,
    system_prompt: PromptOption = None,
    workspace: WorkspaceOption = None,
    user: UserOption = None,
) -> None:
    with _guard(), _client(ctx, model, read_only, workspace, user) as (settings, client):
        options = {"max_iterations": max_iterations, "system_prompt_path": system_prompt, "channel": "chat"}
        session = _open_session(settings, client, TerminalApprover(), resume, options)
        mode = " (read-only)" if settings.read_only else ""
        typer.echo(f"amlpilot chat: session {session.session_id}, model {settings.model}{mode}. Type /exit to leave.")
        asyncio.run(_repl(session, TextRenderer()))


def ask(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The request, in plain words.", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve writes without asking (not deletions).")] = False,
    yes_destructive: Annotated[bool, typer.Option("--yes-destructive", help="Also approve deletions and other destructive calls.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the events as JSON lines.")] = False,
    model: ModelOption = None,
    read_only: ReadOnlyOption = False,
    max_iterations: IterationsOption = 8,
    system_prompt: PromptOption = None,
    workspace: WorkspaceOption = None,
    user: UserOption = None,
) -> None:
    from agent.approval import AutoApprover

    with _guard():
        if not text.strip():
            raise UserInputError.missing("text", "say what you want done")
        with _client(ctx, model, read_only, workspace, user) as (settings, client):
            options = {"max_iterations": max_iterations, "system_prompt_path": system_prompt, "channel": "ask"}
            session = _open_session(settings, client, AutoApprover(yes, yes_destructive), None, options)
            show = _print_json if json_output else TextRenderer().show
            events = asyncio.run(_one_turn(session, text, show))
    raise typer.Exit(exit_code(events))


def audit_verify(ctx: typer.Context) -> None:
    from agent.audit import AuditLog

    with _guard(), _client(ctx) as (_, client):
        ok, _seq, reason = AuditLog(client.paths.db).verify()
    if not ok:
        typer.echo(f"audit log damaged: {reason}", err=True)
        raise typer.Exit(EXIT_ERROR)
    typer.echo(f"audit log ok: {reason}")


def audit_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many of the newest entries to show.")] = 20,
    json_output: Annotated[bool, typer.Option("--json", help="Print the entries as JSON lines.")] = False,
) -> None:
    from agent.audit import AuditLog

    with _guard(), _client(ctx) as (_, client):
        rows = AuditLog(client.paths.db).rows(limit=limit)
    if json_output:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        typer.echo("The audit log is empty.")
        return
    for row in rows:
        typer.echo(f"{row['seq']:>5}  {row['time'][:19]}  {row['identity']:<12} {row['tool']:<24} {row['decision']:<20} {row['status']}")


# -- plumbing -------------------------------------------------------------------


@contextmanager
def _guard() -> Iterator[None]:
    """An AmlPilotError becomes one line on stderr and its exit code (2 for bad input)."""
    try:
        yield
    except AmlPilotError as exc:
        typer.echo("error: " + " ".join(exc.message.split()), err=True)
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def _client(
    ctx: typer.Context, model: str | None = None, read_only: bool = False,
    workspace: Path | None = None, user: str | None = None,
) -> Iterator[tuple[Any, Any]]:
    settings, factory = _from_context(ctx, workspace, user)
    updates = {key: value for key, value in (("model", model), ("read_only", True if read_only else None)) if value is not None}
    if updates:
        settings = settings.model_copy(update=updates)
    client = factory()
    try:
        yield settings, client
    finally:
        client.close()


def _from_context(ctx: typer.Context, workspace: Path | None = None, user: str | None = None) -> tuple[Any, Callable[[], Any]]:
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    settings = obj.get("settings")
    if settings is None or workspace or user:
        from agent.config import load_settings

        # The command's own --workspace/--as win over the global ones (kept as attributes on ctx.obj).
        settings = load_settings(
            workspace=workspace or getattr(ctx.obj, "workspace", None) or (settings.workspace if settings else None),
            user=user or getattr(ctx.obj, "user", None) or (settings.user if settings else None),
        )
    factory = obj.get("client")
    if factory is None:
        def factory() -> Any:
            from workspace.local import LocalMLClient

            return LocalMLClient(settings.workspace_root, user=settings.user, secrets_backend=settings.secrets_backend)
    return settings, factory


def _open_session(settings: Any, client: Any, approver: Any, resume: str | None, options: dict[str, Any]) -> Any:
    from agent.session import Session

    if resume:
        return Session.resume(resume, settings, client, approver, **options)
    return Session(settings, client, approver, **options)


async def _repl(session: Any, renderer: "TextRenderer") -> None:
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if line.strip() in ("/exit", "/quit"):
            return
        if line.strip():
            await _one_turn(session, line, renderer.show)


async def _one_turn(session: Any, text: str, show: Callable[[Event], None]) -> list[Event]:
    events = []
    async for event in session.send(text):
        show(event)
        events.append(event)
    return events


def exit_code(events: list[Event]) -> int:
    if any(isinstance(e, ToolResult) and e.status == "declined" for e in events):
        return EXIT_NEEDS_APPROVAL
    if any(isinstance(e, ToolResult) and e.status == "denied" for e in events):
        return EXIT_DENIED
    if any(isinstance(e, Error) for e in events):
        return EXIT_ERROR
    return 0


def _print_json(event: Event) -> None:
    typer.echo(json.dumps(to_dict(event), ensure_ascii=False, default=str))


# -- the terminal front end -----------------------------------------------------------


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


class TextRenderer:
    """Prints events as plain lines: streamed text, tool cards, plans, results."""

    MARKS = {"ok": "✓", "error": "✗", "declined": "–", "denied": "⊘"}

    def __init__(self) -> None:
        self.streaming = False

    def show(self, event: Event) -> None:
        if isinstance(event, AssistantText):
            return self._text(event)
        self._end_stream()
        if isinstance(event, ToolProposed):
            arguments = " ".join(f"{k}={_short(v)}" for k, v in event.arguments.items())
            typer.echo(f"→ {event.tool} {arguments}".rstrip())
        elif isinstance(event, ApprovalRequested):
            self._plan(event)
        elif isinstance(event, ToolResult):
            detail = "" if event.status == "ok" else f": {_short(event.result)}"
            typer.echo(f"  {self.MARKS.get(event.status, '?')} {event.tool} {event.status} ({event.duration_ms} ms){detail}")
        elif isinstance(event, Error):
            typer.echo(f"error: {event.message}", err=True)

    def _text(self, event: AssistantText) -> None:
        if not event.final:
            typer.echo(event.text, nl=False)
            sys.stdout.flush()
            self.streaming = True
        elif self.streaming:
            self._end_stream()
        else:
            typer.echo(event.text)

    def _end_stream(self) -> None:
        if self.streaming:
            typer.echo("")
            self.streaming = False

    def _plan(self, event: ApprovalRequested) -> None:
        plan = event.plan
        typer.echo(f"  plan: {plan.get('action')} {plan.get('target')} [{event.effect}]")
        typer.echo(f"  {plan.get('summary')}")
        if plan.get("current") is not None or plan.get("desired") is not None:
            typer.echo(f"  {_short(plan.get('current'))} -> {_short(plan.get('desired'))}")
        for warning in plan.get("warnings") or []:
            typer.echo(f"  warning: {warning}")


class TerminalApprover:
    """Asks on the terminal: [y]es / [a]lways / [n]o; destructive calls need the name typed."""

    def __init__(self, read_line: Callable[[str], str] = input) -> None:
        self.read_line = read_line

    async def approve(self, request: ApprovalRequest) -> Decision:
        try:
            if request.destructive:
                typed = self.read_line(f"  Type {request.needs_typed_name!r} to confirm, or press Enter to cancel: ").strip()
                return Decision.approve(typed) if typed else Decision.decline()
            while True:
                answer = self.read_line("  Apply? [y]es / [a]lways for this tool / [n]o: ").strip().lower()
                if answer in ("y", "yes"):
                    return Decision.approve()
                if answer in ("a", "always"):
                    return Decision.always()
                if answer in ("", "n", "no"):
                    return Decision.decline()
        except (EOFError, KeyboardInterrupt):
            return Decision.decline()
