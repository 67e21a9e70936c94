"""The TUI's plain parts: tables, traffic bars, the side panel's reading, job helpers, start-up imports."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_tui_support import SIZE, anyio_backend, plain  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.anyio  # only the async tests use it; anyio_backend keeps them on asyncio


def test_importing_the_app_loads_no_heavy_library():
    """The first paint must not wait for semantic-kernel, azure-ai-ml, MLflow or pydantic-settings."""
    code = (
        "import sys, tui.app, tui.__main__\n"
        "heavy = ('semantic_kernel', 'azure.ai.ml', 'mlflow', 'pydantic_settings', 'agent.session', 'textual_plotext')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_agent_event_has_a_message():
    from agent.events import EVENT_TYPES, AssistantText
    from tui.messages import Agent, event_message

    assert {type(event_message(cls.__new__(cls))).__name__ for cls in EVENT_TYPES.values()} == {
        "Text", "ToolProposed", "ApprovalRequested", "ToolResult", "Error"}
    message = event_message(AssistantText("hi", final=True))
    assert isinstance(message, Agent.Text) and message.event.text == "hi"


def test_a_list_result_becomes_one_row_per_item():
    from tui.tables import result_table

    text = plain(result_table([{"name": "c1", "max_instances": 2}, {"name": "c2", "max_instances": 4}]))
    assert "name" in text and "max_instances" in text
    assert [line.split()[0] for line in text.splitlines() if line.strip()[:2] in ("c1", "c2")] == ["c1", "c2"]


def test_a_dict_result_is_flattened_one_level():
    from tui.tables import result_table

    text = plain(result_table({"status": "created", "compute": {"name": "c1"}}))
    assert "compute.name" in text and "created" in text


def test_a_plan_highlights_what_changes():
    from rich.text import Text

    from tui.tables import CHANGED, plan_table

    table = plan_table({"target": "compute/c1", "current": {"max_instances": 2, "size": "S"},
                        "desired": {"max_instances": 4, "size": "S"}})
    desired = {row: cell for row, cell in zip(table.columns[0]._cells, table.columns[3]._cells, strict=True)}
    assert isinstance(desired["max_instances"], Text) and desired["max_instances"].style == CHANGED
    assert desired["size"].style == ""


@pytest.mark.parametrize("percent, bar", [(0, "░" * 10), (70, "█" * 7 + "░" * 3), (100, "█" * 10), (130, "█" * 10)])
def test_traffic_bars(percent, bar):
    from tui.widgets.workspace_tree import traffic_bar

    assert traffic_bar(percent) == bar


class _Group:
    def __init__(self, items=(), error: Exception | None = None):
        self.items, self.error = list(items), error

    def list(self, **_):
        if self.error:
            raise self.error
        return self.items


def fake_client(**groups):
    defaults = {"compute": _Group(), "data": _Group(), "models": _Group()}
    return SimpleNamespace(**{**defaults, **groups})


def test_the_panel_reads_endpoints_with_traffic_and_tolerates_missing_groups():
    from tui.workspace_view import read_workspace

    endpoint = SimpleNamespace(name="scoring", traffic={"blue": 90, "green": 10}, scoring_uri="http://x", provisioning_state="Succeeded")
    view = read_workspace(fake_client(online_endpoints=_Group([endpoint]), models=_Group(error=RuntimeError("db locked"))))
    [item] = view.sections["Endpoints"]
    assert item.traffic == (("blue", 90), ("green", 10))
    assert "Jobs" in view.absent and "Jobs" not in view.sections and "Jobs" not in view.errors  # no jobs group: no section
    assert view.errors == {"Models": "db locked"}
    assert not view.active_jobs


def test_active_jobs_keep_the_panel_refreshing():
    from tui.workspace_view import read_workspace

    jobs = _Group([SimpleNamespace(name="j1", display_name="", status="Running")])
    assert read_workspace(fake_client(jobs=jobs)).active_jobs


async def test_the_tree_draws_traffic_bars_and_empty_sections():
    from textual.app import App

    from tui.widgets.workspace_tree import WorkspaceTree
    from tui.workspace_view import read_workspace

    endpoint = SimpleNamespace(name="scoring", traffic={"blue": 70, "green": 30})

    class Host(App):
        def compose(self):
            yield WorkspaceTree()

    async with Host().run_test(size=SIZE) as pilot:
        tree = pilot.app.query_one(WorkspaceTree)
        tree.show(read_workspace(fake_client(online_endpoints=_Group([endpoint]))))
        await pilot.pause()
        labels = [str(node.label) for node in _walk(tree.root)]
        assert "blue " + "█" * 7 + "░" * 3 + " 70%" in labels and "green " + "█" * 3 + "░" * 7 + " 30%" in labels
        assert labels.count("none yet") == 3  # computes, data, models; the client has no jobs group
        assert not any(label.startswith("Jobs") for label in labels)


def _walk(node):
    for child in node.children:
        yield child
        yield from _walk(child)


async def test_prompt_history_walks_back_and_forth():
    from textual.app import App

    from tui.widgets.prompt import PromptInput

    class Host(App):
        def compose(self):
            yield PromptInput()

    async with Host().run_test() as pilot:
        prompt = pilot.app.query_one(PromptInput)
        for line in ("/compute-list", "/data-list"):
            prompt.remember(line)
        prompt.focus()
        prompt.value = "draft"
        await pilot.press("up")
        assert prompt.value == "/data-list"
        await pilot.press("up", "up")
        assert prompt.value == "/compute-list"
        await pilot.press("down", "down")
        assert prompt.value == "draft"


def test_guided_steps_use_the_sample_data_only_when_it_exists(tmp_path):
    from tui.screens.guided_start import guided_steps

    assert [s.line.split()[0] for s in guided_steps(tmp_path / "absent")] == ["/compute-create", "/workspace-summary"]
    (tmp_path / "sample").mkdir()
    (tmp_path / "sample" / "MLTable").write_text("paths: []\n")
    first = guided_steps(tmp_path / "sample")[0].line
    assert first.startswith("/data-create name=diabetes-training") and "type=mltable" in first


def test_elapsed_and_log_tail(tmp_path):
    from tui.jobs import JobState, elapsed, read_log

    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    state = JobState("j", "Running", started=start)
    assert elapsed(state, now=start + timedelta(seconds=75)) == "1:15"
    assert elapsed(JobState("j", "Queued")) == "not started"
    state.ended = start + timedelta(hours=1, seconds=5)
    assert elapsed(state) == "1:00:05"
    log = tmp_path / "std_log.txt"
    assert read_log(log, 0) == ("", 0)
    log.write_text("one\n")
    text, offset = read_log(log, 0)
    with log.open("a") as fh:
        fh.write("two\n")
    assert (text, read_log(log, offset)) == ("one\n", ("two\n", 8))


def test_first_launch_means_empty_and_never_talked_to(tmp_path):
    from tui.bridge import is_first_launch

    root = tmp_path / "ws"
    assert is_first_launch(fake_client(root=root))
    assert not is_first_launch(fake_client(root=root, compute=_Group([SimpleNamespace(name="c1")])))
    (root / "sessions").mkdir(parents=True)
    (root / "sessions" / "earlier.jsonl").write_text("{}\n")
    assert not is_first_launch(fake_client(root=root))


@pytest.mark.parametrize("goal, best", [("maximize", "s_1"), ("minimize", "s_0")])
def test_the_best_trial_is_a_completed_one_by_the_goal(goal, best):
    from tui.trials import SweepTrials, TrialRow

    rows = (
        TrialRow("s_0", "Completed", (("lr", 0.1),), 0.2),
        TrialRow("s_1", "Completed", (("lr", 0.2),), 0.8),
        TrialRow("s_2", "Canceled", (("lr", 0.3),), 0.9 if goal == "maximize" else 0.1),  # stopped early: never the best
        TrialRow("s_3", "Completed", (("lr", 0.4),), float("nan")),
        TrialRow("s_4", "Running", (("lr", 0.5), ("depth", 3)), None),
    )
    trials = SweepTrials("acc", goal, rows)
    assert trials.best.name == best
    assert trials.parameter_names == ("lr", "depth")
    assert SweepTrials("acc", goal, rows[2:]).best is None


def test_numbers_in_the_tables():
    from tui.trials import duration_text, metric_text, parameter_text

    assert [metric_text(v) for v in (0.987654, 1234.5678, None, float("nan"))] == ["0.9877", "1235", "—", "—"]
    assert [duration_text(v) for v in (2.44, 75.0, None)] == ["2.4 s", "1:15", "—"]
    assert [parameter_text(v) for v in (0.0123456, 4, "adam")] == ["0.01235", "4", "adam"]


@pytest.mark.anyio
async def test_panel_refresh_keeps_the_cursor_on_the_same_object():
    from textual.app import App

    from tui.widgets.workspace_tree import WorkspaceTree
    from tui.workspace_view import Item, WorkspaceView

    def view(status: str, *newer: str) -> WorkspaceView:
        return WorkspaceView(sections={
            "Computes": (Item("compute", "cpu"),),
            "Jobs": (*(Item("job", n, status="Queued") for n in newer), Item("job", "a", status="Completed"),
                     Item("job", "b", status=status)),
        })

    class PanelApp(App):
        def compose(self):
            yield WorkspaceTree()

    app = PanelApp()
    async with app.run_test() as pilot:
        tree = app.query_one(WorkspaceTree)
        tree.show(view("Queued"))
        await pilot.pause()
        target = next(n for section in tree.root.children for n in section.children if n.data and n.data.name == "b")
        tree.move_cursor(target)
        await pilot.pause()
        tree.show(view("Running", "c"))  # a new job above it, and its status changed: the panel rebuilds
        await pilot.pause()
        assert (tree.cursor_node.data.kind, tree.cursor_node.data.name) == ("job", "b")
        assert tree.cursor_node is not target  # a rebuilt node, found again by kind and name
