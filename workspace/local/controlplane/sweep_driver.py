"""The sweep driver: samples trials with Optuna, submits them as child jobs, stops the hopeless ones.

Runs in the parent's runner process (``drivers.run``). Every ``POLL`` seconds
it reads the trials' rows and their primary-metric histories (straight from
MLflow's database), applies the early-termination policy to running trials,
tells Optuna how ended trials did, and submits new trials while the limits
allow. Trials are named ``<sweep>_<n>`` as on Azure ML. The best trial so far
is kept in the parent's properties, so ``jobs.get`` shows it while the sweep runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from workspace.errors import AmlPilotError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import children, state
from workspace.local.controlplane.sweep import parameters_json
from workspace.local.controlplane.sweep_policy import due, verdict
from workspace.local.controlplane.sweep_space import Sampler

POLL = 0.2


@dataclass
class Trial:
    number: int
    parameters: dict[str, Any]
    run_id: str
    told: bool = False
    evaluated: set[int] = field(default_factory=set)  # intervals the policy has compared with other trials
    history: list[float] = field(default_factory=list)


def drive(ctx: WorkspaceContext, parent: state.JobRow, log: Callable[[str], None]) -> None:
    SweepDriver(ctx, parent, log).run()


def _early_terminated(row: state.JobRow) -> bool:
    reason = (row.spec.get("properties") or {}).get("termination_reason") or ""
    return row.status == state.CANCELED and reason.startswith("early-terminated")


class SweepDriver:
    def __init__(self, ctx: WorkspaceContext, parent: state.JobRow, log: Callable[[str], None]) -> None:
        config = parent.spec["sweep"]
        self.ctx, self.parent, self.log = ctx, parent, log
        self.metric, self.goal = config["objective"]["primary_metric"], config["objective"]["goal"]
        self.policy, self.limits = config["early_termination"], config["limits"]
        self.sampler = Sampler(config["search_space"], config["sampling"], self.goal)
        self.trials: dict[str, Trial] = {}
        self.best: tuple[str, float] | None = None
        self.stopping: str | None = None  # why no more trials start
        self.started_at = time.monotonic()

    def run(self) -> None:
        total = self.limits["max_total_trials"]
        self.log(f"sweep: {total or 'unlimited'} trials, {self.metric} to {self.goal}, "
                 f"policy {self.policy['type'] if self.policy else 'none'}")
        while True:
            rows = {r.name: r for r in state.list_children(self.ctx.store, self.parent.name)}
            self._read_histories(rows)
            self._apply_policy(rows)
            self._collect(rows)
            self._check_timeout(rows)
            while self._can_start(rows):
                name = self._start()
                rows[name] = state.get_job(self.ctx.store, name)
            if self._finished(rows):
                break
            time.sleep(POLL)
        self._conclude(rows)

    # -- one poll -------------------------------------------------------------------

    def _read_histories(self, rows: dict[str, state.JobRow]) -> None:
        fresh = [t for t in self.trials.values() if not t.told]
        histories = children.metric_histories(self.ctx, [t.run_id for t in fresh], self.metric)
        for trial in fresh:
            trial.history = histories[trial.run_id]

    def _apply_policy(self, rows: dict[str, state.JobRow]) -> None:
        if not self.policy:
            return
        histories = {name: t.history for name, t in self.trials.items()}
        for name, trial in self.trials.items():
            if rows[name].status != state.RUNNING:
                continue
            for interval in range(1, len(trial.history) + 1):
                # An interval no other trial has reached yet waits: a trial running ahead is compared later.
                if interval in trial.evaluated or not due(self.policy, interval) or not self._reached(name, interval):
                    continue
                trial.evaluated.add(interval)
                reason = verdict(self.policy, self.goal, name, histories, interval)
                if reason and children.cancel(self.ctx, name, reason):
                    self.log(f"trial {name}: {reason}")
                    break

    def _reached(self, name: str, interval: int) -> bool:
        return any(len(t.history) >= interval for other, t in self.trials.items() if other != name)

    def _collect(self, rows: dict[str, state.JobRow]) -> None:
        for name, trial in self.trials.items():
            row = rows[name]
            if trial.told or row.status not in state.TERMINAL:
                continue
            trial.told = True
            value = trial.history[-1] if trial.history else None
            early = _early_terminated(row)
            outcome = "complete" if row.status == state.COMPLETED else ("pruned" if early else "fail")
            self.sampler.tell(trial.number, value, outcome)
            shown = f"{self.metric}={value:.4g}" if value is not None else f"no {self.metric} logged"
            self.log(f"trial {name}: {row.status}{' (early-terminated)' if early else ''}, {shown}, {parameters_json(trial.parameters)}")
            if row.status == state.COMPLETED:
                self._completed(name, value)

    def _completed(self, name: str, value: float | None) -> None:
        if value is None and not any(t.history for t in self.trials.values()):
            children.cancel_children(self.ctx, self.parent.name)
            logged = children.metric_keys(self.ctx, self.trials[name].run_id)
            raise UserInputError.invalid(
                "objective.primary_metric", self.metric,
                f"was not logged by trial {name} (it logged: {', '.join(logged) or 'no metrics'}); "
                f"log it with mlflow.log_metric({self.metric!r}, value)",
            )
        if value is not None and (self.best is None or (value > self.best[1]) == (self.goal == "maximize")):
            self.best = (name, value)
            self.log(f"best so far: {name} with {self.metric}={value:.4g}")
            self._publish()

    def _check_timeout(self, rows: dict[str, state.JobRow]) -> None:
        timeout = self.limits.get("timeout")
        if self.stopping or not timeout or time.monotonic() - self.started_at < timeout:
            return
        self.stopping = f"limits.timeout: the sweep reached {timeout} seconds"
        self.log(f"{self.stopping}; cancelling the trials still running")
        for name, row in rows.items():
            if row.status not in state.TERMINAL:
                children.cancel(self.ctx, name, "limits.timeout of the sweep")

    def _can_start(self, rows: dict[str, state.JobRow]) -> bool:
        total, concurrent = self.limits["max_total_trials"], self.limits.get("max_concurrent_trials")
        live = sum(1 for r in rows.values() if r.status not in state.TERMINAL)
        if self.stopping or self.sampler.exhausted() or (total and len(self.trials) >= total):
            return False
        if children.is_ending(self.ctx.store, self.parent.name):  # cancelled: the daemon is about to stop this driver
            return False
        return not concurrent or live < concurrent

    def _finished(self, rows: dict[str, state.JobRow]) -> bool:
        return not self._can_start(rows) and all(r.status in state.TERMINAL for r in rows.values()) and all(
            t.told for t in self.trials.values()
        )

    # -- starting and concluding ----------------------------------------------------------

    def _start(self) -> str:
        number, parameters = self.sampler.ask()
        inputs = {k: {"type": "literal", "value": v} for k, v in parameters.items()}
        row = children.make_child(
            self.ctx, self.parent, self.parent.spec["trial"], f"{self.parent.name}_{number}", inputs=inputs,
            properties={"hyperparameters": parameters_json(parameters)},
            extra={"sweep_trial": {"number": number, "parameters": parameters}},
        )
        name = children.submit_child(self.ctx, self.parent, row)
        self.trials[name] = Trial(number, parameters, row["mlflow_run_id"])
        self.log(f"trial {name} submitted: {parameters_json(parameters)}")
        return name

    def _publish(self) -> None:
        """The best trial so far into the parent's properties (and its outputs, as Azure ML's sweep shows them)."""
        name, value = self.best
        best_row = state.get_job(self.ctx.store, name)
        properties = {"best_child_run_id": name, "best_child_mlflow_run_id": best_row.mlflow_run_id,
                      "score": str(value), "primary_metric": self.metric}

        def change(spec: dict) -> None:
            spec.setdefault("properties", {}).update(properties)
            spec["outputs"] = {n: {k: o[k] for k in ("type", "path", "local")} for n, o in (best_row.spec.get("outputs") or {}).items()}

        children.update_spec(self.ctx.store, self.parent.name, change)

    def _conclude(self, rows: dict[str, state.JobRow]) -> None:
        counts: dict[str, int] = {}
        for row in rows.values():
            early = _early_terminated(row)
            key = "early-terminated" if early else row.status
            counts[key] = counts.get(key, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        children.update_spec(self.ctx.store, self.parent.name, lambda spec: spec.setdefault("properties", {}).update(
            trials=str(len(rows)), trial_summary=summary, **({"termination_reason": self.stopping} if self.stopping else {})))
        self.log(f"sweep ended: {len(rows)} trials ({summary})")
        if self.best is None:
            first_error = next((r.error for r in rows.values() if r.error), None)
            why = f"; {self.stopping}" if self.stopping else (f"; the first error: {first_error}" if first_error else "")
            raise AmlPilotError(f"sweep: no trial completed with {self.metric} logged ({summary}){why}")
        self._log_best_to_mlflow()
        self.log(f"best trial: {self.best[0]} with {self.metric}={self.best[1]:.4g}")

    def _log_best_to_mlflow(self) -> None:
        from workspace.local import mlflow_store

        if self.parent.mlflow_run_id:
            client = mlflow_store.mlflow_client(self.ctx)
            client.log_metric(self.parent.mlflow_run_id, self.metric, self.best[1])
            client.set_tag(self.parent.mlflow_run_id, "best_child_run_id", self.best[0])
