"""A lost control plane: killed with SIGKILL under a running job, the TUI restarts it, says so and keeps going.

The job and the first control plane are started by the test (through the
client); the test kills that control plane by its recorded pid, and the
``jobs_root`` fixture stops the restarted one and the job by theirs.
"""

from __future__ import annotations

import os
import signal

import pytest
from test_tui_jobs import SLEEP
from test_tui_support import (  # noqa: F401
    SIZE,
    anyio_backend,
    cards,
    jobs_root,
    local_client,
    make_app,
    mlflow_template,
    ready,
    send,
    submit_job,
    transcript_text,
    tui_root,
    turn_done,
    until,
)

from tui.controlplane import CHECK_SECONDS

pytestmark = pytest.mark.anyio


def log_path(root):
    from workspace.local.controlplane.lifecycle import log_path

    return log_path(root)


def controlplane_pid(root):
    from workspace.local.controlplane import controlplane_status

    status = controlplane_status(root)
    return status["pid"] if status["running"] else None


def job_status(root, name: str) -> str:
    client = local_client(root)
    try:
        return str(client.jobs.get(name).status)
    finally:
        client.close()


async def test_a_killed_control_plane_is_restarted_and_the_app_keeps_running(jobs_root, tmp_path):
    name = submit_job(jobs_root, tmp_path, SLEEP)
    app = make_app(jobs_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(pilot, lambda: job_status(jobs_root, name) == "Running", "the job to run", timeout=90)
        await until(pilot, lambda: app.controlplane.last_pid is not None, "the app to see the control plane")
        old = controlplane_pid(jobs_root)
        assert old == app.controlplane.last_pid
        os.kill(old, signal.SIGKILL)
        restarted = f"the workspace's control plane (pid {old}) had stopped; restarted it as pid"
        await until(pilot, lambda: restarted in transcript_text(app), "the restart to be reported", timeout=60)
        new = controlplane_pid(jobs_root)
        assert new is not None and new != old and app.controlplane.last_pid == new
        assert any(restarted in str(n.message) and n.severity == "warning" for n in app._notifications)
        await send(pilot, "/compute-list")  # the app still answers
        await turn_done(pilot)
        assert cards(app)[-1].status == "ok"
    assert job_status(jobs_root, name) == "Running"  # the new control plane adopted the job that kept running


async def test_a_control_plane_that_cannot_start_is_reported_once(jobs_root, tmp_path):
    """Nothing to restart it with: the error is a notification and a card, not a crash, and not one per check."""
    submit_job(jobs_root, tmp_path, SLEEP)
    app = make_app(jobs_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(pilot, lambda: app.controlplane.last_pid is not None, "the app to see the control plane")
        # A folder where the daemon's log file goes: starting another daemon fails (even for root) while
        # the running one keeps its open log; then it is killed.
        log = log_path(jobs_root)
        log.unlink()
        log.mkdir()
        os.kill(controlplane_pid(jobs_root), signal.SIGKILL)
        await until(pilot, lambda: "could not be restarted" in transcript_text(app), "the failure to be reported", timeout=60)
        assert "Is a directory" in transcript_text(app)
        assert any("could not be restarted" in str(n.message) and n.severity == "error" for n in app._notifications)
        await pilot.pause(CHECK_SECONDS + 1)  # another check: still one report, since a retry waits a minute
        assert transcript_text(app).count("could not be restarted") == 1
        assert app.is_running
