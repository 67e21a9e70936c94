"""Helpers shared by the tests/test_tui_*.py files (this module holds no tests).

The TUI runs against a real workspace in a temporary folder with the offline
model; only the terminal is headless. Waits poll a condition with a deadline,
so a broken flow fails with a message instead of hanging.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pytest

SESSION_ID = "tui-test-session"
WAIT = 45.0  # seconds; generous for a loaded CI machine
SIZE = (120, 40)


async def until(pilot: Any, predicate: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.05)


async def ready(pilot: Any) -> None:
    """The session is open and the side panel has been read once."""
    app = pilot.app
    await until(pilot, lambda: app.session_id is not None, "the agent session to open")
    await until(pilot, lambda: app.workspace_view is not None, "the workspace panel to load")


async def send(pilot: Any, text: str) -> None:
    """Type a request into the prompt and press Enter (the real Input.Submitted path)."""
    from tui.widgets.prompt import PromptInput

    prompt = pilot.app.query_one(PromptInput)
    prompt.focus()
    prompt.value = text
    await pilot.press("enter")


async def turn_done(pilot: Any) -> None:
    app = pilot.app
    await until(pilot, lambda: not app.busy and not app._pending, "the turn to finish")
    await pilot.pause()


async def approval_screen(pilot: Any) -> Any:
    from tui.screens.approval import ApprovalScreen

    return await until(pilot, lambda: pilot.app.screen if isinstance(pilot.app.screen, ApprovalScreen) else None,
                       "the approval dialog")


def cards(app: Any) -> list[Any]:
    from tui.widgets.tool_card import ToolCard

    return list(app.query(ToolCard))


def transcript_text(app: Any) -> str:
    """Everything the transcript shows, as plain text (statics, markdown sources and card titles)."""
    from textual.widgets import Markdown, Static

    parts = []
    for widget in app.transcript.query("*"):
        if isinstance(widget, Markdown):
            parts.append(widget.source)
        elif isinstance(widget, Static) and widget.display:
            parts.append(plain(widget.content))
    parts += [card.title for card in cards(app)]
    return "\n".join(parts)


def plain(renderable: Any) -> str:
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def make_app(root: Path, **options: Any) -> Any:
    from tui.app import create_app

    options.setdefault("session_id", SESSION_ID)
    options.setdefault("guided_start", False)
    return create_app(workspace=root, user="tester", **options)


def local_client(root: Path) -> Any:
    from workspace.local import LocalMLClient

    return LocalMLClient(root, user="tester", secrets_backend="file")


@pytest.fixture
def tui_root(tmp_path) -> Path:
    """A fixed folder name: the status bar shows it, and snapshots must not change run to run."""
    return tmp_path / "ws"


# -- jobs ------------------------------------------------------------------------------

_mlflow_templates: list[Path] = []


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory) -> Path:
    """An MLflow database with its schema migrated once per worker (migrating costs seconds per workspace)."""
    if not _mlflow_templates:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        folder = tmp_path_factory.mktemp("tui-mlflow")
        SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}", (folder / "artifacts").as_uri())
        _mlflow_templates.append(folder / "mlflow.db")
    return _mlflow_templates[0]


@pytest.fixture
def jobs_root(tui_root, mlflow_template):
    """A workspace whose client has ``jobs``; its control plane and job processes are stopped afterwards."""
    import shutil

    client = local_client(tui_root)
    client.paths.mlflow_db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, client.paths.mlflow_db)
    client.close()
    yield tui_root
    stop_jobs(tui_root)


def stop_jobs(root: Path) -> None:
    """Stop the control plane (by its recorded pid) and any job process group it left."""
    from test_jobs_support import stop_all

    stop_all(root)


def submit_job(root: Path, tmp_path: Path, script: str, command: str = "python job.py") -> str:
    from azure.ai.ml import command as command_job

    code = tmp_path / "job-src"
    code.mkdir(exist_ok=True)
    (code / "job.py").write_text(script)
    client = local_client(root)
    try:
        job = command_job(code=str(code), command=command, environment="azureml:AzureML-sklearn-1.5@latest")
        return client.jobs.create_or_update(job).name
    finally:
        client.close()


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio only (Textual's loop)."""
    return "asyncio"
