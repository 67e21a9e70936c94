"""The approval dialog: the plan (current → desired), the effect and the permission.

Writes: Approve (y), Always for this tool (a), Decline (n or Escape).
Destructive calls: type the resource's name and press Enter; Escape declines.
A typed name is passed on as it is: the approval filter is the one place that
compares it, so a wrong name comes back as ``declined``.

It returns an ``agent.approval.Decision`` rather than a bool: "always" and the
typed name are part of the answer.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from agent.approval import ApprovalRequest, Decision
from tui.tables import arguments_table, plan_table


class ApprovalScreen(ModalScreen[Decision]):
    DEFAULT_CSS = """
    ApprovalScreen {
        align: center middle;
        background: $background 60%;
    }
    ApprovalScreen > #dialog {
        width: 90;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    ApprovalScreen.destructive > #dialog { border: thick $error; }
    ApprovalScreen #title { text-style: bold; width: 100%; }
    ApprovalScreen #meta { color: $text-muted; margin-bottom: 1; width: 100%; }
    ApprovalScreen #plan { height: auto; max-height: 20; margin-bottom: 1; }
    ApprovalScreen #typed-hint { color: $text-muted; }
    ApprovalScreen #typed-hint.mismatch { color: $warning; }
    ApprovalScreen #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    ApprovalScreen Button { margin-left: 1; }
    """

    BINDINGS = [
        Binding("y", "answer('approve')", "Approve", show=False),
        Binding("a", "answer('always')", "Always", show=False),
        Binding("n", "answer('decline')", "Decline", show=False),
        Binding("escape", "answer('decline')", "Decline", show=False),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__(classes="destructive" if request.destructive else "")
        self.request = request

    def compose(self) -> ComposeResult:
        request, plan = self.request, self.request.plan
        with Vertical(id="dialog"):
            # Text, not markup: names come from the model and may hold brackets.
            yield Label(Text(f"{plan.action} {plan.target}?"), id="title")
            meta = f"tool {request.tool} · effect {request.effect} · permission {request.permission or 'unknown'}"
            yield Label(Text(meta), id="meta")
            with VerticalScroll(id="plan"):
                yield Static(self._plan_body(), id="plan-body")
            if request.destructive:
                hint = Text.assemble("Type ", (str(request.needs_typed_name), "bold"), " to confirm, then Enter.")
                yield Label(hint, id="typed-hint")
                yield Input(placeholder=request.needs_typed_name, id="typed-name")
            with Horizontal(id="buttons"):
                if request.destructive:
                    yield Button("Delete", variant="error", id="approve")
                else:
                    yield Button("Approve (y)", variant="primary", id="approve")
                    yield Button("Always for this tool (a)", id="always")
                yield Button("Cancel (esc)" if request.destructive else "Decline (n)", id="decline")

    def _plan_body(self) -> Group:
        plan = self.request.plan.model_dump(mode="json")
        parts = [Text(plan.get("summary", ""), style="bold"), plan_table(plan)]
        parts += [Text(f"warning: {w}", style="yellow") for w in plan.get("warnings") or []]
        parts += [Text("\narguments", style="dim"), arguments_table(self.request.arguments)]
        return Group(*parts)

    def on_mount(self) -> None:
        self.query_one("#typed-name" if self.request.destructive else "#approve").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Letters go to the name box on a destructive dialog; only Escape answers there.
        if self.request.destructive and action == "answer" and parameters[0] != "decline":
            return False
        return True

    @on(Input.Changed, "#typed-name")
    def _typed(self, event: Input.Changed) -> None:
        matches = event.value == self.request.needs_typed_name
        self.query_one("#typed-hint").set_class(bool(event.value) and not matches, "mismatch")

    @on(Input.Submitted, "#typed-name")
    def _typed_submitted(self) -> None:
        self.action_answer("approve")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id or "decline")

    def action_answer(self, kind: str) -> None:
        if kind == "decline":
            self.dismiss(Decision.decline())
        elif self.request.destructive:
            typed = self.query_one("#typed-name", Input).value.strip()
            self.dismiss(Decision.approve(typed) if typed else Decision.decline())
        elif kind == "always":
            self.dismiss(Decision.always())
        else:
            self.dismiss(Decision.approve())
