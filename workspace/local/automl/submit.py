"""An AutoML job entity -> the job row the control plane queues; everything is checked first.

The row is a command-like job: its command runs ``workspace.local.automl.run``
in the current interpreter, it takes one slot of its compute, and the
runner's ``limits.timeout`` backs up ``timeout_minutes`` should a trial hang.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from workspace.errors import NotSupportedLocallyError, UserInputError
from workspace.local import mlflow_store
from workspace.local.automl.settings import translate
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import state
from workspace.local.controlplane.bindings import resolve_inputs, resolve_outputs
from workspace.local.controlplane.environments import plan_environment
from workspace.local.controlplane.scheduler import check_compute

DATA_INPUTS = ("training_data", "validation_data", "test_data")
ENVIRONMENT = "azureml:AzureML-AutoML@latest"  # curated: the interpreter amlpilot runs in
KILL_GRACE = 0.25  # the runner stops a job that overruns timeout_minutes by this share (at least a minute)
HEAD_ROWS = 200


def is_automl(job: Any) -> bool:
    from azure.ai.ml.entities._job.automl.automl_job import AutoMLJob

    return isinstance(job, AutoMLJob)


def base_path(job: Any) -> Path:
    """Relative data paths resolve against the YAML's folder (azure-ai-ml sets _base_path to the cwd for AutoML)."""
    source = getattr(job, "_source_path", None)
    return Path(source).parent if source else Path(getattr(job, "_base_path", None) or Path.cwd())


def prepare_automl(ctx: WorkspaceContext, job: Any, name: str, base: Path) -> dict:
    """The row to insert; refuses bad settings, unknown compute or data and a missing target column."""
    settings = translate(job)
    compute = check_compute(ctx.store, job.compute, 1)
    inputs = _inputs(ctx, job, base, settings)
    _check_columns(inputs, settings)
    outputs = resolve_outputs(ctx, name, _outputs(job))
    environment = plan_environment(ctx, ENVIRONMENT)
    timeout = settings["limits"]["timeout_minutes"] * 60
    command = f"python -m workspace.local.automl.run --root {shlex.quote(str(ctx.root))} --job {shlex.quote(name)}"
    spec = {
        "command": command, "bound_command": command, "code": None, "inputs": inputs, "outputs": outputs,
        "environment": environment, "environment_variables": dict(getattr(job, "environment_variables", None) or {}),
        "distribution": None, "resources": {}, "limits": {"timeout": int(timeout + max(60, KILL_GRACE * timeout))},
        "instance_count": 1, "process_count_per_instance": 1,
        "compute_given": str(job.compute) if job.compute else None, "description": job.description,
        "tags": dict(job.tags or {}), "properties": dict(job.properties or {}),
        "mlflow_tracking_uri": mlflow_store.tracking_uri(ctx), "automl": settings, "automl_job": _as_submitted(job, inputs),
    }
    return {
        "name": name, "type": "automl", "status": state.NOT_STARTED, "compute": compute, "slots": 1, "spec": spec,
        "experiment_name": job.experiment_name or Path.cwd().resolve().stem.replace(" ", "") or "Default",
        "display_name": job.display_name or name, "parent_job_name": None, "created_by": ctx.user,
    }


def _inputs(ctx: WorkspaceContext, job: Any, base: Path, settings: dict) -> dict:
    given = {n: getattr(job, n, None) for n in DATA_INPUTS if getattr(job, n, None) is not None}
    if "training_data" not in given:
        raise UserInputError.missing("training_data", "an mltable input, e.g. Input(type='mltable', path='azureml:diabetes@latest')")
    if settings["task"] == "forecasting" and len(given) > 1:
        extra = next(n for n in given if n != "training_data")
        raise NotSupportedLocallyError.field(extra, "given", "local forecasting validates on the latest periods of training_data; use n_cross_validations")
    for name, value in given.items():
        kind = str(getattr(value, "type", None) or "mltable")
        if kind != "mltable":
            raise UserInputError.invalid(f"{name}.type", kind, "must be mltable: AutoML reads tabular data from MLTable")
    try:
        return resolve_inputs(ctx, given, {}, base)
    except UserInputError as exc:  # AutoML's data settings are fields of their own, not inputs.<name>
        renamed = type(exc)(str(exc).removeprefix("inputs."), field=(exc.field or "").removeprefix("inputs."), value=exc.value)
        raise renamed from None


def _outputs(job: Any) -> dict:
    from azure.ai.ml import Output

    outputs = dict(job.outputs or {})
    outputs.setdefault("best_model", Output(type="mlflow_model"))
    return outputs


def _check_columns(inputs: dict, settings: dict) -> None:
    """The columns the settings name exist: the target, the weight, the time and series columns."""
    import mltable

    for name, binding in inputs.items():
        columns = list(mltable.load(binding["local"]).take(HEAD_ROWS).to_pandas_dataframe().columns)
        wanted = [("target_column_name", settings["target"])]
        if name == "training_data":
            if settings.get("weight_column"):
                wanted.append(("weight_column_name", settings["weight_column"]))
            forecast = settings.get("forecasting") or {}
            if forecast:
                wanted.append(("forecasting_settings.time_column_name", forecast["time_column"]))
                wanted += [("forecasting_settings.time_series_id_column_names", c) for c in forecast["id_columns"]]
            featurization = settings["featurization"]
            wanted += [("featurization", c) for c in [*featurization["column_purposes"], *featurization["imputers"]]]
        for field, column in wanted:
            if column not in columns:
                shown = ", ".join(map(str, columns[:8])) + (", ..." if len(columns) > 8 else "")
                raise UserInputError.invalid(field, column, f"is not a column of {name} (columns: {shown})")


def _as_submitted(job: Any, inputs: dict) -> dict:
    """The entity as a dict, with data paths pinned to what the job reads: to show the job again later."""
    data = dict(job._to_dict())
    for name, binding in inputs.items():
        data[name] = {"type": "mltable", "path": binding["path"]}
    for field in ("name", "display_name", "status", "outputs", "properties", "tags", "creation_context"):
        data.pop(field, None)
    return data
