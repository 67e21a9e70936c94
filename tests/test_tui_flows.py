"""The TUI's main flows, driven with Textual's Pilot against a real workspace and the offline model."""

from __future__ import annotations

import pytest
from test_tui_support import (  # noqa: F401
    SIZE,
    anyio_backend,
    approval_screen,
    cards,
    local_client,
    make_app,
    ready,
    send,
    transcript_text,
    tui_root,
    turn_done,
    until,
)

from workspace.errors import ResourceNotFoundError

pytestmark = pytest.mark.anyio  # Pilot needs an event loop; anyio's plugin runs these on asyncio


def compute_names(root) -> list[str]:
    client = local_client(root)
    try:
        return sorted(c.name for c in client.compute.list())
    finally:
        client.close()


async def test_a_read_request_shows_a_card_with_a_result_table(tui_root):
    local_client(tui_root).close()
    app = make_app(tui_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.status.state == "ready" and app.status.workspace == "ws" and "tester" in app.status.identity
        await send(pilot, "/compute-list")
        await turn_done(pilot)
        [card] = cards(app)
        assert (card.tool, card.effect, card.status) == ("compute-list", "read", "ok")
        assert "you › /compute-list" in transcript_text(app)
        assert not app.query("ApprovalScreen")  # reads run without asking


async def test_approving_a_write_creates_the_cluster_and_refreshes_the_panel(tui_root):
    app = make_app(tui_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "/compute-create name=c1 max_instances=2")
        dialog = await approval_screen(pilot)
        assert dialog.request.tool == "compute-create" and dialog.request.plan.target == "compute/c1"
        assert cards(app)[0].title.endswith("awaiting approval")  # the card shows the plan behind the dialog
        await pilot.click("#approve")  # the mouse works as well as the keys
        await turn_done(pilot)
        assert cards(app)[0].status == "ok"
        await until(pilot, lambda: [i.name for i in app.workspace_view.sections["Computes"]] == ["c1"], "the panel to show c1")
    assert compute_names(tui_root) == ["c1"]


async def test_declining_creates_nothing_and_the_transcript_says_declined(tui_root):
    app = make_app(tui_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "/compute-create name=c1 max_instances=2")
        await approval_screen(pilot)
        await pilot.press("n")
        await turn_done(pilot)
        [card] = cards(app)
        assert card.status == "declined" and "declined" in card.title
        assert "the user declined this change" in transcript_text(app)
    assert compute_names(tui_root) == []


async def test_always_for_this_tool_skips_the_dialog_next_time(tui_root):
    app = make_app(tui_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "/compute-create name=c1 max_instances=1")
        await approval_screen(pilot)
        await pilot.press("a")
        await turn_done(pilot)
        await send(pilot, "/compute-create name=c2 max_instances=1")
        await turn_done(pilot)
        assert [c.status for c in cards(app)] == ["ok", "ok"]
    assert compute_names(tui_root) == ["c1", "c2"]


@pytest.mark.parametrize("typed, deleted", [("c1", True), ("c2", False)])
async def test_a_destructive_action_needs_the_name_typed(tui_root, typed, deleted):
    client = local_client(tui_root)
    from azure.ai.ml.entities import AmlCompute

    client.compute.begin_create_or_update(AmlCompute(name="c1", max_instances=1)).result()
    client.close()
    app = make_app(tui_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "/compute-delete name=c1")
        dialog = await approval_screen(pilot)
        assert dialog.request.destructive and dialog.request.needs_typed_name == "c1"
        await pilot.press("y")  # letters go to the name box; they answer nothing
        assert app.screen is dialog
        await pilot.press("backspace", *typed, "enter")
        await turn_done(pilot)
        assert cards(app)[0].status == ("ok" if deleted else "declined")
    assert compute_names(tui_root) == ([] if deleted else ["c1"])


async def test_escape_on_the_dialog_declines_and_the_app_keeps_going(tui_root):
    app = make_app(tui_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "/compute-create name=c1 max_instances=1")
        await approval_screen(pilot)
        await pilot.press("escape")
        await turn_done(pilot)
        await send(pilot, "/compute-list")
        await turn_done(pilot)
        assert [c.status for c in cards(app)] == ["declined", "ok"]


async def test_read_only_offers_no_writes(tui_root):
    app = make_app(tui_root, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.status.read_only and "READ-ONLY" in str(app.status.render())
        assert "compute-create" not in app.tool_names and "compute-list" in app.tool_names
        await send(pilot, "/compute-create name=c1 max_instances=1")
        await turn_done(pilot)
        assert cards(app) == [] and "There is no tool 'compute-create' here" in transcript_text(app)
    assert compute_names(tui_root) == []


async def test_a_tool_error_shows_on_its_card(tui_root):
    app = make_app(tui_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "/compute-get name=missing")
        await turn_done(pilot)
        [card] = cards(app)
        assert card.status == "error" and card.has_class("status-error")


async def test_a_workspace_that_fails_to_open_shows_an_error_and_the_app_stays_up(tui_root):
    def broken():
        raise ResourceNotFoundError("workspace: this test's client could not be opened")

    app = make_app(tui_root, client_factory=broken)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.status.state == "no session", "the failure to be reported")
        assert "could not be opened" in transcript_text(app)
        assert any(n.severity == "error" for n in app._notifications)
        await send(pilot, "/compute-list")
        await turn_done(pilot)
        assert "no agent session is open" in transcript_text(app)


async def test_resume_replays_the_past_and_continues_the_history(tui_root):
    first = make_app(tui_root, session_id="resume-me")
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "/compute-list")
        await turn_done(pilot)
        turns_before = len(first.bridge.session.history.messages)
    second = make_app(tui_root, resume="resume-me", session_id=None)
    async with second.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(pilot, lambda: cards(second), "the replayed card")
        assert second.session_id == "resume-me" and second.status.session_id == "resume-me"
        assert [c.tool for c in cards(second)] == ["compute-list"] and cards(second)[0].status == "ok"
        assert "resumed session resume-me" in transcript_text(second)
        assert len(second.bridge.session.history.messages) == turns_before
        await send(pilot, "/workspace-summary")
        await turn_done(pilot)
        assert [c.tool for c in cards(second)] == ["compute-list", "workspace-summary"]


async def test_an_unknown_resume_id_is_reported_and_a_new_session_starts(tui_root):
    app = make_app(tui_root, resume="no-such-session", session_id=None)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.session_id != "no-such-session"
        assert "was not found" in transcript_text(app)


async def test_the_guided_start_sends_its_steps_through_approval(tui_root):
    from tui.screens.guided_start import GuidedStartScreen, guided_steps

    expected_data = any(s.line.startswith("/data-create") for s in guided_steps())
    app = make_app(tui_root, guided_start=None)  # None: offered because the workspace is empty
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, GuidedStartScreen), "the guided start")
        await pilot.press("enter")  # Start is focused
        for _ in range(1 + expected_data):
            dialog = await approval_screen(pilot)
            await pilot.press("y")
            await until(pilot, lambda shown=dialog: app.screen is not shown, "the dialog to close")
        await turn_done(pilot)
        assert [c.status for c in cards(app)] == ["ok"] * (2 + expected_data)
    assert compute_names(tui_root) == ["cpu-cluster"]
    if expected_data:
        client = local_client(tui_root)
        assert client.data.get("diabetes-training", version="1").type == "mltable"
        client.close()


async def test_a_non_empty_workspace_offers_no_guided_start(tui_root):
    from azure.ai.ml.entities import AmlCompute

    client = local_client(tui_root)
    client.compute.begin_create_or_update(AmlCompute(name="c1", max_instances=1)).result()
    client.close()
    app = make_app(tui_root, guided_start=None)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.pause(0.2)
        assert not app.screen.is_modal


async def test_the_command_palette_and_the_panel_fill_the_prompt(tui_root):
    from azure.ai.ml.entities import AmlCompute
    from textual.command import CommandPalette

    from tui.widgets.prompt import PromptInput
    from tui.widgets.workspace_tree import WorkspaceTree

    client = local_client(tui_root)
    client.compute.begin_create_or_update(AmlCompute(name="c1", max_instances=1)).result()
    client.close()
    app = make_app(tui_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the command palette")
        await pilot.press(*"tool /compute-cre")
        await until(pilot, lambda: "compute-create" in first_hit(app), "the palette's hit")
        await pilot.press("enter")
        prompt = app.query_one(PromptInput)
        await until(pilot, lambda: prompt.value == "/compute-create ", "the tool line in the prompt")
        tree = app.query_one(WorkspaceTree)
        node = next(n for n in tree.root.children[0].children if n.data is not None)
        tree.focus()
        tree.move_cursor(node)
        await pilot.press("enter")
        assert prompt.value == "/compute-get name=c1" and prompt.has_focus


def first_hit(app) -> str:
    """The command palette's first suggestion, as text ('' while it has none)."""
    lists = app.screen.query("CommandList")
    if not lists or not lists.first().option_count:
        return ""
    return str(lists.first().get_option_at_index(0).prompt)
