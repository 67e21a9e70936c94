"""The pipeline driver: submits each step once the steps it reads from have completed.

Runs in the parent's runner process (``drivers.run``). Independent steps are
submitted together; the compute queues run as many at once as their slots
allow. A step whose inputs, code, environment and command hash match an
earlier successful run of a deterministic step is *reused*: its child row is
inserted Completed at once, with ``reused_from`` naming the original and that
run's outputs as its own (Azure ML's reuse, also across pipelines). A failed
step fails the pipeline, naming the step, and cancels the steps still running
(unless ``settings.continue_on_step_failure``: then independent steps go on).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Callable

from workspace.errors import AmlPilotError
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import children, state

POLL = 0.2


def drive(ctx: WorkspaceContext, parent: state.JobRow, log: Callable[[str], None]) -> None:
    PipelineDriver(ctx, parent, log).run()


class PipelineDriver:
    def __init__(self, ctx: WorkspaceContext, parent: state.JobRow, log: Callable[[str], None]) -> None:
        self.ctx, self.parent, self.log = ctx, parent, log
        self.plan = parent.spec["pipeline"]
        self.steps: dict[str, dict] = self.plan["steps"]
        self.failed: list[str] = []

    def run(self) -> None:
        self.log(f"pipeline: {len(self.steps)} steps")
        while True:
            rows = self._rows()
            self._watch_failures(rows)
            for step_id in self._ready(rows):
                rows[step_id] = state.get_job(self.ctx.store, self._submit(step_id, rows))
            if all(r.status in state.TERMINAL for r in rows.values()) and not self._ready(rows):
                break
            time.sleep(POLL)
        self._conclude(rows)

    def _rows(self) -> dict[str, state.JobRow]:
        """Step id -> its child job (steps not yet submitted are absent)."""
        return {r.spec["pipeline_step"]: r for r in state.list_children(self.ctx.store, self.parent.name) if r.spec.get("pipeline_step")}

    def _ready(self, rows: dict[str, state.JobRow]) -> list[str]:
        if self.failed and not self.plan["continue_on_step_failure"]:
            return []
        if children.is_ending(self.ctx.store, self.parent.name):  # cancelled: the daemon is about to stop this driver
            return []
        done = {s for s, r in rows.items() if r.status == state.COMPLETED}
        return [s for s, step in self.steps.items() if s not in rows and set(step["deps"]) <= done]

    def _watch_failures(self, rows: dict[str, state.JobRow]) -> None:
        for step_id, row in rows.items():
            if row.status in (state.FAILED, state.CANCELED) and step_id not in self.failed:
                self.failed.append(step_id)
                self.log(f"step {step_id!r} (job {row.name}) {row.status.lower()}: {row.error or 'see its log'}")
                if not self.plan["continue_on_step_failure"] and children.cancel_children(self.ctx, self.parent.name):
                    self.log("cancelling the steps still running")

    # -- one step ----------------------------------------------------------------------------

    def _submit(self, step_id: str, rows: dict[str, state.JobRow]) -> str:
        step = self.steps[step_id]
        inputs = {name: _upstream(rows[source], output) for name, (source, output) in step["refs"].items()}
        row = children.make_child(
            self.ctx, self.parent, step["template"], f"{self.parent.name}-{step_id.replace('/', '-')}",
            inputs=inputs, display_name=step["display_name"], extra={"pipeline_step": step_id},
        )
        row["spec"]["reuse_key"] = reuse_key(row["spec"])
        original = None if self.plan["force_rerun"] or not step["deterministic"] else find_reusable(self.ctx, row["spec"]["reuse_key"])
        if original is None:
            name = children.submit_child(self.ctx, self.parent, row)
            self.log(f"step {step_id!r}: submitted as job {name}")
            return name
        row["spec"]["outputs"] = original.spec["outputs"]
        row["spec"]["properties"]["reused_from"] = (original.spec.get("properties") or {}).get("reused_from") or original.name
        name = children.submit_child(self.ctx, self.parent, row, status=state.COMPLETED)
        self.log(f"step {step_id!r}: reused the outputs of job {row['spec']['properties']['reused_from']} (job {name})")
        return name

    def _conclude(self, rows: dict[str, state.JobRow]) -> None:
        reused = sum(1 for r in rows.values() if (r.spec.get("properties") or {}).get("reused_from"))
        summary = {"steps": str(len(self.steps)), "steps_reused": str(reused)}
        if self.failed:
            children.update_spec(self.ctx.store, self.parent.name, lambda spec: spec.setdefault("properties", {}).update(summary))
            first = rows[self.failed[0]]
            raise AmlPilotError(f"step {self.failed[0]!r} (job {first.name}) {first.status.lower()}: {first.error or 'see its log'}")
        outputs = {name: _upstream(rows[source], output) for name, (source, output) in self.plan["outputs"].items()}

        def change(spec: dict) -> None:
            spec.setdefault("properties", {}).update(summary)
            spec["outputs"] = outputs

        children.update_spec(self.ctx.store, self.parent.name, change)
        self.log(f"pipeline completed: {len(self.steps)} steps, {reused} reused")


def _upstream(row: state.JobRow, output: str) -> dict:
    """A step's output as the binding of the input that reads it."""
    written = row.spec["outputs"][output]
    return {"type": written["type"], "path": written["path"], "local": written["local"], "mode": None}


def reuse_key(spec: dict) -> str:
    """What makes two runs of a step interchangeable: command, code, environment, settings and input identities.

    Code and local inputs are content-addressed snapshots, and an upstream output's
    path is that of the run that wrote it, so a changed upstream changes the key.
    """
    inputs = {n: b["value"] if b["type"] == "literal" else {"type": b["type"], "path": b["path"]} for n, b in spec["inputs"].items()}
    outputs = {n: {"type": o["type"], "mode": o.get("mode")} for n, o in spec["outputs"].items()}
    identity = {
        "command": spec["command"], "code": (spec.get("code") or {}).get("path"), "environment": spec["environment"],
        "environment_variables": spec.get("environment_variables"), "distribution": spec.get("distribution"),
        "resources": spec.get("resources"), "inputs": inputs, "outputs": outputs,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def find_reusable(ctx: WorkspaceContext, key: str) -> state.JobRow | None:
    """The newest completed step run with this key whose outputs are still there."""
    found = ctx.store.read().execute(
        "SELECT name FROM jobs WHERE status=? AND json_extract(spec, '$.reuse_key')=? ORDER BY seq DESC LIMIT 5",
        (state.COMPLETED, key),
    ).fetchall()
    for (name,) in found:
        row = state.get_job(ctx.store, name)
        if all(Path(o["local"]).exists() for o in row.spec["outputs"].values()):
            return row
    return None
