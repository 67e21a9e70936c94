"""Screens at 120×40 compared with accepted SVGs (pytest-textual-snapshot).

Deterministic by construction: the workspace folder is always ``ws``, the
session id is fixed, durations live in tooltips, and the cursor does not blink.
Update with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at
the SVGs in tests/__snapshots__/ before accepting them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from textual.app import App
from test_tui_support import (  # noqa: F401
    SIZE,
    approval_screen,
    local_client,
    make_app,
    ready,
    send,
    tui_root,
    turn_done,
    until,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def populated(tui_root, diabetes_dir):
    from azure.ai.ml.entities import AmlCompute, Data

    client = local_client(tui_root)
    client.compute.begin_create_or_update(AmlCompute(name="cpu-cluster", size="STANDARD_DS3_v2", max_instances=4)).result()
    client.data.create_or_update(Data(name="diabetes-training", path=str(diabetes_dir), type="mltable"))
    client.close()
    return tui_root


def steady(pilot) -> None:
    """No blinking cursor in a screenshot."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


async def _main_screen(pilot) -> None:
    await ready(pilot)
    await send(pilot, "/compute-list")
    await turn_done(pilot)
    await until(pilot, lambda: len(pilot.app.workspace_view.sections["Data"]) == 1, "the panel")
    steady(pilot)


def test_main_screen_with_a_populated_workspace(snap_compare, populated):
    assert snap_compare(make_app(populated), terminal_size=SIZE, run_before=_main_screen)


async def _approval(pilot) -> None:
    await ready(pilot)
    await send(pilot, "/compute-create name=gpu-cluster size=STANDARD_NC6s_v3 max_instances=2 tier=low_priority")
    await approval_screen(pilot)
    steady(pilot)


def test_approval_dialog(snap_compare, populated):
    assert snap_compare(make_app(populated), terminal_size=SIZE, run_before=_approval)


async def _destructive(pilot) -> None:
    await ready(pilot)
    await send(pilot, "/compute-delete name=cpu-cluster")
    await approval_screen(pilot)
    await pilot.press(*"cpu")  # half typed: the hint says it doesn't match yet
    steady(pilot)


def test_destructive_dialog_asks_for_the_name(snap_compare, populated):
    assert snap_compare(make_app(populated), terminal_size=SIZE, run_before=_destructive)


# -- the job and endpoint views -----------------------------------------------------------
# Their live readings (elapsed times, durations, latencies) differ run to run, so these screens are
# the real ones with their poller swapped for one fixed reading; test_tui_trials.py and
# test_tui_endpoints.py check the readings themselves against real jobs and a real endpoint.

STARTED = datetime(2026, 1, 5, 9, 30, 0, tzinfo=timezone.utc)


class ScreenHost(App):
    """The app's stylesheet and one pushed screen: what the TUI shows once a job or endpoint is opened."""

    CSS_PATH = ROOT / "tui" / "app.tcss"

    def __init__(self, screen) -> None:
        super().__init__()
        self.shown = screen

    def on_mount(self) -> None:
        self.push_screen(self.shown)


def fixed_job_screen(state, log: str, metrics: dict, table):
    from tui.screens.job import JobScreen

    class FixedJobScreen(JobScreen):
        def watch_job(self) -> None:
            self._show(state, log, (metrics, table))

    return FixedJobScreen(None, state.name)


def test_sweep_trial_table(snap_compare):
    from tui.jobs import JobState
    from tui.trials import SweepTrials, TrialRow

    state = JobState("tidy_sweep_7", "Completed", started=STARTED, ended=STARTED + timedelta(minutes=1, seconds=12), type="sweep")
    rows = (
        TrialRow("tidy_sweep_7_0", "Completed", (("lr", 0.01), ("depth", 2)), 0.12),
        TrialRow("tidy_sweep_7_1", "Completed", (("lr", 0.05), ("depth", 2)), 0.52),
        TrialRow("tidy_sweep_7_2", "Canceled", (("lr", 0.001), ("depth", 4)), 0.02, "early-terminated by BanditPolicy at interval 2"),
        TrialRow("tidy_sweep_7_3", "Completed", (("lr", 0.05), ("depth", 4)), 0.54),
        TrialRow("tidy_sweep_7_4", "Failed", (("lr", 0.1), ("depth", 8)), None, "exit code 1"),
    )
    log = "sweep: 5 trials, acc to maximize, policy bandit\nbest so far: tidy_sweep_7_3 with acc=0.54\nsweep ended: 5 trials\n"
    histories = {f"trial {i}": [(step, row.value * (step + 1) / 4) for step in range(4 if row.status == "Completed" else 2)]
                 for i, row in enumerate(rows) if row.value is not None}
    screen = fixed_job_screen(state, log, histories, SweepTrials("acc", "maximize", rows))
    assert snap_compare(ScreenHost(screen), terminal_size=SIZE)


def test_automl_leaderboard(snap_compare):
    from tui.jobs import JobState
    from tui.trials import Leaderboard, LeaderRow

    # A running job with an end time: elapsed is measured to it, so the snapshot's clock stands still.
    state = JobState("bright_owl_42", "Running", started=STARTED, ended=STARTED + timedelta(minutes=2, seconds=5), type="automl")
    board = Leaderboard("AUC_weighted", (
        LeaderRow(1, 3, "LightGBM", 0.9871, 2.4), LeaderRow(2, 0, "LightGBM", 0.9790, 1.1),
        LeaderRow(3, 4, "ExtremeRandomTrees", 0.9702, 3.8), LeaderRow(4, 1, "LogisticRegression", 0.8612, 0.6),
        LeaderRow(5, 2, "RandomForest", 0.8504, 75.0),
    ))
    log = "trial   0  LightGBM   AUC_weighted=0.9790  best=0.9790 (trial 0, LightGBM)\n"
    metrics = {"AUC_weighted": [(0, 0.979), (1, 0.979), (2, 0.979), (3, 0.9871), (4, 0.9871)]}
    assert snap_compare(ScreenHost(fixed_job_screen(state, log, metrics, board)), terminal_size=SIZE)


def test_endpoint_view(snap_compare, tui_root):
    from tui.endpoints import DeploymentReading, EndpointReading
    from tui.screens.endpoint import EndpointScreen

    def reading(second: int, blue_rate: float, green_rate: float) -> EndpointReading:
        return EndpointReading(
            "diabetes-ep", "http://127.0.0.1:8123/score", "key", "Succeeded", (
                DeploymentReading("blue", 90, 0, "Succeeded", 1234 + second * 9, 3, 4.2, 9.8, 15.1, blue_rate),
                DeploymentReading("green", 10, 20, "Succeeded", 137 + second, 0, 5.0, 11.3, 19.7, green_rate),
            ), taken_at=float(second))

    class FixedEndpointScreen(EndpointScreen):
        def watch_endpoint(self) -> None:
            for second, (blue, green) in enumerate([(8.0, 1.0), (9.0, 1.0), (10.0, 1.5), (9.5, 1.0), (9.0, 0.5)]):
                self._show(reading(second, blue, green))

    client = local_client(tui_root)  # the screen checks the backend has endpoints; the fixed poller reads nothing
    try:
        assert snap_compare(ScreenHost(FixedEndpointScreen(client, "diabetes-ep")), terminal_size=SIZE)
    finally:
        client.close()
