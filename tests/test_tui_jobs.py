"""The job view: open a job from the side panel and watch it finish; cancel a running job.

Jobs run for real on the workspace's control plane; the ``jobs_root`` fixture
stops it and any job process afterwards.
"""

from __future__ import annotations

import contextlib

import pytest
from test_tui_support import (  # noqa: F401
    SIZE,
    anyio_backend,
    approval_screen,
    jobs_root,
    local_client,
    make_app,
    mlflow_template,
    ready,
    submit_job,
    tui_root,
    until,
)

pytestmark = pytest.mark.anyio

# It waits for the test's go-ahead, so the screen is sure to see it running.
TRAIN = """
import pathlib, sys, time
import mlflow
print("waiting for the go file", flush=True)
while not pathlib.Path(sys.argv[1]).exists():
    time.sleep(0.1)
for step in range(4):
    mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    print("step", step, flush=True)
    time.sleep(0.3)
print("done training", flush=True)
"""

SLEEP = """
import time
print("sleeping now", flush=True)
time.sleep(120)
"""


async def open_from_panel(pilot, name: str):
    """Move the panel's cursor to the job and press Enter, as a user would."""
    from tui.screens.job import JobScreen
    from tui.widgets.workspace_tree import WorkspaceTree

    app = pilot.app
    tree = app.query_one(WorkspaceTree)
    for _ in range(3):  # the panel may rebuild between finding the node and pressing Enter
        node = await until(pilot, lambda: _job_node(tree, name), f"job {name} in the side panel")
        tree.focus()
        tree.move_cursor(node)
        await pilot.pause()
        await pilot.press("enter")
        with contextlib.suppress(AssertionError):
            return await until(pilot, lambda: app.screen if isinstance(app.screen, JobScreen) else None, "the job screen", timeout=15)
    raise AssertionError(f"job {name}: Enter on its panel node never opened the job screen")


def _job_node(tree, name: str):
    stack = [tree.root]
    while stack:
        node = stack.pop()
        if node.data is not None and node.data.kind == "job" and node.data.name == name:
            return node
        stack.extend(node.children)
    return None


async def test_a_job_opened_from_the_panel_is_watched_until_it_completes(jobs_root, tmp_path):
    from tui.widgets.job_progress import JobProgress

    go = tmp_path / "go"
    name = submit_job(jobs_root, tmp_path, TRAIN, command=f"python job.py {go}")
    app = make_app(jobs_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_from_panel(pilot, name)
        progress = screen.query_one(JobProgress)
        await until(pilot, lambda: "waiting for the go file" in progress.log_text, "the job's first log line", timeout=90)
        assert screen.state.status == "Running" and not screen.state.terminal
        go.write_text("go")
        await until(pilot, lambda: screen.state.terminal, f"job {name} to end", timeout=90)
        assert screen.state.status == "Completed", progress.log_text
        # The screen shows a job as ended only after its whole log, its metrics and its children.
        assert "done training" in progress.log_text and "step 3" in progress.log_text
        assert [v for _, v in progress.query_one("MetricsChart").metrics["loss"]] == [1.0, 0.5, 1 / 3, 0.25]
        await pilot.press("escape")
        jobs = lambda: {i.name: i.status for i in app.workspace_view.sections["Jobs"]}  # noqa: E731
        await until(pilot, lambda: jobs().get(name) == "Completed", "the panel to show the job Completed")


async def test_cancelling_a_running_job_asks_first_and_a_decline_leaves_it_running(jobs_root, tmp_path):
    from tui.widgets.job_progress import JobProgress

    name = submit_job(jobs_root, tmp_path, SLEEP)
    app = make_app(jobs_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_from_panel(pilot, name)
        progress = screen.query_one(JobProgress)
        await until(pilot, lambda: "sleeping now" in progress.log_text, "the job to start", timeout=90)
        await pilot.press("c")
        dialog = await approval_screen(pilot)
        assert dialog.request.plan.target == f"job/{name}"
        await pilot.press("n")
        await pilot.pause(1.0)  # a few polls: had the decline cancelled it, the status would have moved
        assert screen.state.status == "Running"
        await pilot.press("c")
        await approval_screen(pilot)
        await pilot.press("y")
        await until(pilot, lambda: screen.state.status == "Canceled", "the job to be canceled", timeout=60)
    client = local_client(jobs_root)
    try:
        assert client.jobs.get(name).status == "Canceled"
    finally:
        client.close()
