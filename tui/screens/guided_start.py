"""The guided start offered on the first launch of an empty workspace.

It only chooses requests: the app sends each chosen line to the agent session,
so every step is previewed and approved like anything the user types.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, Static

# The sample data ships next to a source checkout (../shared/data/diabetes); an install may lack it.
SAMPLE_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "diabetes"


@dataclass(frozen=True)
class Step:
    label: str
    line: str   # what is sent to the session


def guided_steps(sample: Path | None = SAMPLE_DATA) -> list[Step]:
    steps = []
    if sample is not None and sample.is_dir():
        kind = "mltable" if (sample / "MLTable").is_file() else "uri_folder"
        steps.append(Step(
            "Register the sample diabetes data as data asset diabetes-training",
            f"/data-create name=diabetes-training path={shlex.quote(str(sample))} type={kind}"
            " 'description=Sample diabetes data (amlpilot guided start)'",
        ))
    steps.append(Step("Create a CPU cluster, cpu-cluster, with up to 2 nodes", "/compute-create name=cpu-cluster max_instances=2"))
    steps.append(Step("Summarise the workspace", "/workspace-summary"))
    return steps


class GuidedStartScreen(ModalScreen[list[str]]):
    DEFAULT_CSS = """
    GuidedStartScreen { align: center middle; background: $background 60%; }
    GuidedStartScreen > #guide {
        width: 80; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    GuidedStartScreen #guide-title { text-style: bold; }
    GuidedStartScreen #guide-text { color: $text-muted; margin-bottom: 1; }
    GuidedStartScreen Checkbox { width: 100%; }
    GuidedStartScreen #guide-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    GuidedStartScreen Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "skip", "Skip", show=False)]

    def __init__(self, steps: list[Step] | None = None) -> None:
        super().__init__()
        self.steps = steps if steps is not None else guided_steps()

    def compose(self) -> ComposeResult:
        with Vertical(id="guide"):
            yield Label("Get started", id="guide-title")
            yield Static(
                "This workspace is empty. Pick what to set up; each step is sent to the agent, "
                "which previews it and asks before changing anything.",
                id="guide-text",
            )
            for index, step in enumerate(self.steps):
                yield Checkbox(step.label, value=True, id=f"step-{index}")
            with Horizontal(id="guide-buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Skip (esc)", id="skip")

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        chosen = [step.line for index, step in enumerate(self.steps) if self.query_one(f"#step-{index}", Checkbox).value]
        self.dismiss(chosen)

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        self.dismiss([])
