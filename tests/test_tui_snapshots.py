"""Screens at 120×40 compared with accepted SVGs (pytest-textual-snapshot).

Deterministic by construction: the workspace folder is always ``ws``, the
session id is fixed, durations live in tooltips, and the cursor does not blink.
Update with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at
the SVGs in tests/__snapshots__/ before accepting them.
"""

from __future__ import annotations

import pytest
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
