"""Run cases: a process pool, a fresh workspace per case, a scripted user, and the scorers.

Each fixture is built once into a template; each case (and each trial) gets a
copy of it in its own temporary folder, acts as its identity with exactly its
roles, runs its turns through a real ``Session`` whose working directory is
the copy of the fixture folder, and is scored in the worker that ran it,
where its workspace still exists. Results come back as plain dicts.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from evals.cases import Case
from evals.scorers import Call, Run, call_matches

TURN_TIMEOUT = 300.0        # seconds; a real model that hangs must not hang the suite
MAX_RESULT_CHARS = 2000     # of one tool result in a transcript


@dataclass
class CaseResult:
    id: str
    category: str
    trial: int
    passed: bool
    scores: dict[str, bool] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    transcript: list[dict] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


# -- the scripted user ---------------------------------------------------------------


class EvalApprover:
    """Answers approvals per the case's policy and remembers every answer, in order.

    approve_all approves writes and types the resource's name for destructive
    calls; deny_all declines; approve_expected approves only calls that match
    one of ``expect.calls``.
    """

    def __init__(self, policy: str, expected: tuple = ()) -> None:
        self.policy = policy
        self.expected = expected or ()
        self.answers: list[Any] = []

    async def approve(self, request: Any) -> Any:
        from agent.approval import Decision

        wanted = Call(request.tool, dict(request.arguments), request.effect)
        if self.policy == "deny_all" or (
            self.policy == "approve_expected" and not any(call_matches(wanted, e) for e in self.expected)
        ):
            decision = Decision.decline()
        else:
            decision = Decision.approve(request.needs_typed_name)
        self.answers.append(decision)
        return decision


class Recorder:
    """Turns a session's events into the trajectory the scorers read, and a transcript."""

    def __init__(self) -> None:
        self.run = Run()
        self.transcript: list[dict] = []
        self._open: list[Call] = []    # calls proposed and not finished; undo nests its inverse inside itself
        self._asked: list[tuple[Call | None, int]] = []  # calls whose approval was requested, and where, in order
        self._final: dict[int, str] = {}

    def observe(self, event: Any, turn: int) -> None:
        from agent.events import ApprovalRequested, AssistantText, Error, ToolProposed, ToolResult, to_dict

        if isinstance(event, AssistantText) and not event.final:
            return  # streamed deltas; the final event holds the whole text
        self.transcript.append(_clip({"turn": turn, **to_dict(event)}))
        if isinstance(event, ToolProposed):
            call = Call(event.tool, dict(event.arguments or {}), event.effect, turn, nested=bool(self._open))
            self.run.calls.append(call)
            self._open.append(call)
        elif isinstance(event, ApprovalRequested):
            # An approval belongs to the call being handled; one naming another tool matches no
            # call (None keeps the answers aligned), so a write that runs after it counts as unapproved.
            call = self._open[-1] if self._open and self._open[-1].tool == event.tool else None
            if call is not None:
                call.asked, call.needs_typed_name = True, event.needs_typed_name
            self._asked.append((call, len(self.transcript)))
        elif isinstance(event, ToolResult):
            call = next((c for c in reversed(self._open) if c.tool == event.tool), None)
            if call is not None:
                call.status = event.status
                self._open.remove(call)
        elif isinstance(event, AssistantText):
            self._final[turn] = event.text
        elif isinstance(event, Error):
            self.run.errors.append(event.message)

    def finish(self, turns: int, answers: list[Any]) -> Run:
        """Attach the scripted answers (the approver answers in the order approvals were asked)."""
        asked = list(zip(self._asked, answers))
        for (call, _), decision in asked:
            if call is not None:
                call.decision, call.typed_name = decision.kind, decision.typed_name
        for (call, position), decision in reversed(asked):  # each answer right after its request
            entry = {"type": "Answer", "decision": decision.kind, "typed_name": decision.typed_name}
            if call is not None:
                entry = {"turn": call.turn, **entry, "tool": call.tool}
            self.transcript.insert(position, entry)
        self.run.answers = [self._final.get(turn, "") for turn in range(turns)]
        return self.run


def _clip(entry: dict) -> dict:
    import json

    if "result" in entry:
        text = entry["result"] if isinstance(entry["result"], str) else json.dumps(entry["result"], default=str)
        entry["result"] = text if len(text) <= MAX_RESULT_CHARS else text[: MAX_RESULT_CHARS - 1] + "…"
    return entry


# -- one case ---------------------------------------------------------------------------


async def converse(case: Case, client: Any, model: str) -> tuple[Recorder, EvalApprover]:
    from agent.config import Settings
    from agent.session import Session

    settings = Settings(workspace=client.root, user=case.identity.user, roles=list(case.identity.roles),
                        model=model, read_only=False, secrets_backend="file")
    approver = EvalApprover(case.approvals, case.expect.calls or ())
    recorder = Recorder()
    session = Session(settings, client, approver, channel="eval")
    for turn, text in enumerate(case.turns):
        try:
            await asyncio.wait_for(_turn(session, text, recorder, turn), TURN_TIMEOUT)
        except asyncio.TimeoutError:
            message = f"turn {turn + 1} timed out after {TURN_TIMEOUT:.0f} s"
            recorder.run.errors.append(message)
            recorder.transcript.append({"turn": turn, "type": "Error", "message": message})
    return recorder, approver


async def _turn(session: Any, text: str, recorder: Recorder, turn: int) -> None:
    recorder.transcript.append({"turn": turn, "type": "User", "text": text})
    async for event in session.send(text):
        recorder.observe(event, turn)


def run_case(case: Case, template: Any, model: str, trial: int, work_root: str) -> dict:
    """Run one trial of one case from a built template; the result as a plain dict."""
    from evals.fixtures import instantiate, open_workspace
    from evals.scorers import score_run

    started = time.monotonic()
    case_dir = Path(tempfile.mkdtemp(prefix=f"{case.id}-", dir=work_root))
    client = None
    try:
        copy = instantiate(template, case_dir)
        client = open_workspace(copy.workspace, case.identity.user, case.identity.roles)
        before = snapshot(client, case.expect.unchanged)
        with working_directory(copy.files):
            recorder, approver = asyncio.run(converse(case, client, model))
        run = recorder.finish(len(case.turns), approver.answers)
        scores = score_run(case, run, client, before, snapshot(client, case.expect.unchanged))
        details = {k: s.detail for k, s in scores.items() if s.detail}
        if run.errors:  # the model or the loop failed mid-turn: say so next to the scores it explains
            details["errors"] = "; ".join(run.errors)
        result = CaseResult(case.id, case.category, trial, all(s.passed for s in scores.values()),
                            {k: s.passed for k, s in scores.items()}, details, recorder.transcript)
    except Exception as exc:  # a broken case is a failed case with its reason, not a crashed suite
        result = CaseResult(case.id, case.category, trial, False, error=f"{type(exc).__name__}: {exc}")
    finally:
        if client is not None:
            stop_processes(client.root)
            client.close()
        shutil.rmtree(case_dir, ignore_errors=True)
    result.seconds = round(time.monotonic() - started, 2)
    return result.to_dict()


def stop_processes(root: Path) -> None:
    """What a case started in its workspace: the control plane (with the scoring gateway and its
    workers) and any job still running, each by its own recorded pid."""
    from workspace.local.controlplane import procs, state, stop_controlplane
    from workspace.local.serving.supervise import stop_gateway
    from workspace.local.store import Store

    if not (Path(root) / "workspace.db").is_file():
        return
    stop_controlplane(root, timeout=5)
    stop_gateway(root, timeout=5)  # a deployment created without the control plane serves from a gateway of its own
    store = Store(Path(root) / "workspace.db")
    try:
        for row in state.list_jobs(store):
            if row.pid and row.status not in ("Completed", "Failed", "Canceled"):
                procs.terminate_group(row.pid, row.pid_started, grace=2)
    finally:
        store.close()
    _stop_stragglers(Path(root))


def _stop_stragglers(root: Path) -> None:
    """A gateway the control plane was starting while it was stopped records itself only later, so
    nothing above knew its pid: any process still serving this (temporary, unique) workspace goes too."""
    import psutil

    from contextlib import suppress

    marker = str(root.resolve())
    stragglers = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        # Our own processes only: a workspace.local module run for this workspace (a worker names it in its plan).
        if any(arg.startswith("workspace.local.") for arg in cmdline) and any(marker in arg for arg in cmdline):
            stragglers.append(proc)
    for proc in stragglers:
        with suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, alive = psutil.wait_procs(stragglers, timeout=3)
    for proc in alive:
        with suppress(psutil.NoSuchProcess):
            proc.kill()


@contextmanager
def working_directory(folder: Path) -> Iterator[None]:
    """Relative paths in a case's turns resolve against (the copy of) its fixture folder."""
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def snapshot(client: Any, groups: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Each group's contents as {key: canonical JSON}: every version, archived or not."""
    return {group: _group_state(client, group) for group in groups}


def _group_state(client: Any, group: str) -> dict[str, str]:
    import json

    operations = getattr(client, group)
    if group == "role_assignments":
        return {f"{a.principal}/{a.role}": "" for a in operations.list()}
    state = {}
    for entity, archived in _entities(operations, _scopes(client, group), group in VERSIONED_GROUPS):
        key = f"{entity.name}:{entity.version}" if getattr(entity, "version", None) else entity.name
        key = f"{entity.endpoint_name}/{key}" if group in SCOPED_GROUPS else key
        body = entity._to_dict() if hasattr(entity, "_to_dict") else vars(entity)
        state[key] = json.dumps({"archived": archived, "body": body}, sort_keys=True, default=str)
    return state


SCOPED_GROUPS = {"online_deployments": "online_endpoints", "batch_deployments": "batch_endpoints"}  # listed per endpoint


def _scopes(client: Any, group: str) -> list[str] | None:
    if group not in SCOPED_GROUPS:
        return None
    return [e.name for e in getattr(client, SCOPED_GROUPS[group]).list()]


VERSIONED_GROUPS = ("data", "environments", "components", "models")


def _entities(operations: Any, endpoints: list[str] | None = None, versioned: bool = True) -> Iterator[tuple[Any, bool]]:
    """Every entity with its archived flag; versioned groups list each name's versions, deployments each endpoint's."""
    from azure.ai.ml.constants import ListViewType

    if endpoints is not None:
        yield from ((entity, False) for name in endpoints for entity in operations.list(endpoint_name=name))
        return
    if not versioned:
        yield from ((entity, False) for entity in operations.list())
        return

    try:
        latest = list(operations.list(list_view_type=ListViewType.ALL))
    except TypeError:  # compute, datastores: no list views, no versions
        yield from ((entity, False) for entity in operations.list())
        return
    for name in sorted({e.name for e in latest}):
        archived = {str(e.version) for e in operations.list(name=name, list_view_type=ListViewType.ARCHIVED_ONLY)}
        for entity in operations.list(name=name, list_view_type=ListViewType.ALL):
            yield entity, str(entity.version) in archived


# -- the pool ---------------------------------------------------------------------------


def _init_worker() -> None:
    """Quiet, offline workers: no telemetry, no keyring, no library chatter on the terminal."""
    import logging
    import warnings

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ["AMLPILOT_SECRETS_BACKEND"] = "file"
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)


def build_fixture(folder: str, work_root: str) -> Any:
    """Build one fixture's template in a worker; a failure comes back as its one-line message."""
    from evals.fixtures import build_template, load_fixture

    try:
        fixture = load_fixture(folder)
        return build_template(fixture, Path(tempfile.mkdtemp(prefix=f"template-{Path(folder).name}-", dir=work_root)))
    except Exception as exc:
        return f"fixture {Path(folder).name}: {type(exc).__name__}: {exc}"


def run_cases(cases: list[Case], model: str = "offline", trials: int | None = None, workers: int | None = None,
              progress: Callable[[dict], None] | None = None) -> list[dict]:
    """Every case (times its trials) in a pool sized to the machine; results in case order.

    ``workers=0`` runs everything in this process (for debugging).
    """
    jobs = [(case, trial) for case in cases for trial in range(trials or case.trials)]
    work_root = tempfile.mkdtemp(prefix="amlpilot-eval-")
    try:
        size = workers if workers is not None else min(os.cpu_count() or 1, max(len(jobs), 1))
        if size == 0:  # in this process: its logging and warnings are the caller's business
            return _run_serially(jobs, model, work_root, progress)
        return _run_in_pool(jobs, model, work_root, size, progress)
    finally:
        shutil.rmtree(work_root, ignore_errors=True)


def _run_serially(jobs: list, model: str, work_root: str, progress: Callable | None) -> list[dict]:
    templates = {f: build_fixture(str(f), work_root) for f in sorted({case.fixture for case, _ in jobs})}
    results = []
    for case, trial in jobs:
        results.append(_run_or_fail(case, templates[case.fixture], model, trial, work_root))
        if progress:
            progress(results[-1])
    return results


def _run_in_pool(jobs: list, model: str, work_root: str, size: int, progress: Callable | None) -> list[dict]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: the parent may hold threads and open SQLite handles.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(size, mp_context=context, initializer=_init_worker) as pool:
        fixtures = sorted({case.fixture for case, _ in jobs})
        pending = {pool.submit(build_fixture, str(f), work_root): f for f in fixtures}
        futures = {}
        # A fixture's cases start as soon as its template is built: a slow template (one that runs
        # jobs or starts deployments) doesn't hold up the cases of the quick ones.
        for built in as_completed(pending):
            fixture, template = pending[built], built.result()
            for index, (case, trial) in enumerate(jobs):
                if case.fixture != fixture:
                    continue
                if isinstance(template, str):
                    futures[pool.submit(_failed, case, trial, template)] = index
                else:
                    futures[pool.submit(run_case, case, template, model, trial, work_root)] = index
        results: list[dict | None] = [None] * len(jobs)
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if progress:
                progress(results[futures[future]])
    return [r for r in results if r is not None]


def _run_or_fail(case: Case, template: Any, model: str, trial: int, work_root: str) -> dict:
    if isinstance(template, str):
        return _failed(case, trial, template)
    return run_case(case, template, model, trial, work_root)


def _failed(case: Case, trial: int, error: str) -> dict:
    return CaseResult(case.id, case.category, trial, False, error=error).to_dict()
