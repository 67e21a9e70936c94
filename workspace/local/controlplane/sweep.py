"""Submitting a sweep job: everything is checked and resolved before the parent row exists.

Accepts azure-ai-ml's ``SweepJob`` (``load_job`` of a ``type: sweep`` YAML) and
the ``Sweep`` node that ``command(...)(lr=Uniform(...)).sweep(...)`` builds. The
trial becomes a command-job template (``submit.prepare`` checks compute, code,
inputs, outputs, environment and command), with every search-space parameter
as a literal input; the driver (``sweep_driver``) fills in sampled values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from workspace.errors import UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import children, state
from workspace.local.controlplane.parents import display_inputs
from workspace.local.controlplane.sweep_policy import policy_spec
from workspace.local.controlplane.sweep_space import check_fit, grid_size, sampling_spec, space_spec

SEARCH_SPACE_REF = re.compile(r"\$\{\{\s*search_space\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def prepare_sweep(ctx: WorkspaceContext, job: Any, name: str, base_path: Path) -> dict:
    """The sweep's parent row; its trial template is checked like a command job."""
    from workspace.local.controlplane.submit import prepare

    space = space_spec(job.search_space)
    sampling = sampling_spec(job.sampling_algorithm)
    policy = policy_spec(job.early_termination)
    check_fit(space, sampling, policy)
    objective = _objective(job.objective)
    limits = _limits(job.limits, sampling, space)
    trial_job, defaults, declared = _trial_job(job, space, limits)
    trial = prepare(ctx, trial_job, name, base_path, defaults, declared)
    spec = {
        "sweep": {"search_space": space, "sampling": sampling, "early_termination": policy,
                  "objective": objective, "limits": limits},
        "trial": children.template(trial, declared, job.outputs),
        "inputs": {k: v for k, v in trial["spec"]["inputs"].items() if k not in space},
        "outputs": {}, "entity": _entity_data(job, trial, limits),
        "compute_given": trial["spec"]["compute_given"], "description": job.description,
        "tags": dict(job.tags or {}), "properties": dict(job.properties or {}),
        "mlflow_tracking_uri": trial["spec"]["mlflow_tracking_uri"],
    }
    return {
        "name": name, "type": "sweep", "status": state.NOT_STARTED, "compute": state.DRIVER_POOL, "slots": 1,
        "spec": spec, "experiment_name": trial["experiment_name"], "display_name": job.display_name or name,
        "parent_job_name": None, "created_by": ctx.user,
    }


def _objective(objective: Any) -> dict:
    metric = getattr(objective, "primary_metric", None)
    if not metric:
        raise UserInputError.missing("objective.primary_metric", "the metric each trial logs with mlflow.log_metric")
    goal = str(getattr(objective, "goal", None) or "").lower()
    if goal not in ("maximize", "minimize"):
        raise UserInputError.invalid("objective.goal", goal or None, "is not one of maximize, minimize")
    return {"primary_metric": str(metric), "goal": goal}


def _limits(limits: Any, sampling: dict, space: dict) -> dict:
    values = {k: getattr(limits, k, None) for k in ("max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout")}
    for key, value in values.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise UserInputError.invalid(f"limits.{key}", value, "must be a positive number")
    if sampling["type"] == "grid":
        size = grid_size(space)
        values["max_total_trials"] = min(values["max_total_trials"] or size, size)
    elif not values["max_total_trials"] and not values["timeout"]:
        raise UserInputError.missing("limits.max_total_trials", "or limits.timeout; without either the sweep would never end")
    return values


def _trial_job(job: Any, space: dict, limits: dict) -> tuple[Any, dict, set]:
    """The trial as a CommandJob whose search-space parameters are literal inputs."""
    from azure.ai.ml.entities import CommandJob, CommandJobLimits

    trial = job.trial
    if trial is None or not getattr(trial, "command", None):
        raise UserInputError.missing("trial.command", "the command each trial runs")
    for ref in SEARCH_SPACE_REF.findall(trial.command):
        if ref not in space:
            raise UserInputError.invalid(
                "trial.command", f"${{{{search_space.{ref}}}}}", f"names {ref!r}, which the search_space does not define ({', '.join(space)})"
            )
    defaults, declared = {}, set(job.inputs or {}) | set(space)
    for input_name, declaration in (getattr(trial, "inputs", None) or {}).items():
        declared.add(input_name)
        if getattr(declaration, "default", None) is not None:
            defaults[input_name] = declaration.default
    examples = {n: _example(spec) for n, spec in space.items()}  # replaced by each trial's sampled values
    inputs = {k: v for k, v in (job.inputs or {}).items() if k not in space}
    command = SEARCH_SPACE_REF.sub(lambda m: f"${{{{inputs.{m[1]}}}}}", trial.command)
    trial_job = CommandJob(
        command=command, code=trial.code, environment=trial.environment, inputs={**inputs, **examples},
        outputs=job.outputs, compute=job.compute, environment_variables=dict(trial.environment_variables or {}),
        distribution=trial.distribution, resources=trial.resources or getattr(job, "resources", None),
        limits=CommandJobLimits(timeout=limits["trial_timeout"]) if limits["trial_timeout"] else None,
        experiment_name=job.experiment_name, display_name=job.display_name,
    )
    return trial_job, {k: v for k, v in defaults.items() if k not in space}, declared


def _example(spec: dict) -> Any:
    for key in ("values", "min_value", "mu", "upper"):
        if key in spec:
            return spec[key][0] if key == "values" else spec[key]
    return 0


def _entity_data(job: Any, trial: dict, limits: dict) -> dict:
    """The SweepJob as azure-ai-ml's dict, with the snapshot's code, resolved inputs and limits (for ``jobs.get``)."""
    data = job._to_dict()
    data.pop("name", None)
    data["limits"] = {k: v for k, v in limits.items() if v}  # a grid's trial count is filled in
    data["inputs"] = display_inputs(trial["spec"]["inputs"], exclude=set(data.get("search_space") or {}))
    if trial["spec"].get("code") and isinstance(data.get("trial"), dict):
        data["trial"]["code"] = trial["spec"]["code"]["local"]  # the schema takes no datastore URI here
    return data


# -- reading a sweep back ------------------------------------------------------------


def trials(ctx: WorkspaceContext, name: str) -> list[dict]:
    """One row per trial: name, status, parameters, last primary metric value, intervals logged, reason."""
    parent = state.get_job(ctx.store, name)
    if parent is None or parent.type != "sweep":
        return []
    metric = parent.spec["sweep"]["objective"]["primary_metric"]
    rows = state.list_children(ctx.store, name)
    histories = children.metric_histories(ctx, [r.mlflow_run_id for r in rows if r.mlflow_run_id], metric)
    table = []
    for row in rows:
        values = histories.get(row.mlflow_run_id, [])
        trial = row.spec.get("sweep_trial") or {}
        table.append({
            "name": row.name, "status": row.status, "parameters": trial.get("parameters", {}),
            metric: values[-1] if values else None, "intervals": len(values),
            "reason": (row.spec.get("properties") or {}).get("termination_reason") or row.error,
        })
    return table


def parameters_json(parameters: dict) -> str:
    return json.dumps(parameters, sort_keys=True, default=str)
