"""PipelineComponentBatchDeployment: each invocation runs the pipeline component as a pipeline job.

The component is stored as azure-ai-ml's dict with every step's code
snapshotted, so it still runs after the user's folder has changed. An
invocation builds a ``PipelineJob`` from it (the invocation's inputs and
outputs become the job's) and submits it through ``client.jobs``: the local
pipeline engine (``controlplane/pipeline*.py``) runs it like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workspace.errors import UserInputError
from workspace.local.context import WorkspaceContext

_SETTINGS = ("default_compute", "default_datastore", "continue_on_step_failure", "force_rerun")


def pipeline_spec(ctx: WorkspaceContext, deployment: Any, base_path: Path) -> dict:
    component = deployment.component
    if isinstance(component, str):
        from workspace.local.operations.components import ComponentOperations

        reference = component if component.startswith("azureml:") else f"azureml:{component}"
        component = ComponentOperations(ctx).resolve(reference, field="component")
    if component is None:
        raise UserInputError.missing("component", "the pipeline component the deployment runs")
    if getattr(component, "type", None) != "pipeline":
        raise UserInputError.invalid("component", getattr(component, "name", None), f"is a {component.type} component; a pipeline deployment runs a pipeline component")
    if not component.jobs:
        raise UserInputError.missing("component.jobs", "a pipeline component needs at least one step")
    data = dict(component._to_dict())
    _snapshot_code(ctx, data, Path(getattr(component, "_base_path", None) or base_path))
    settings = {k: v for k, v in (deployment.settings or {}).items() if v is not None}
    unknown = sorted(set(settings) - set(_SETTINGS))
    if unknown:
        raise UserInputError.invalid(f"settings.{unknown[0]}", settings[unknown[0]], f"is not a pipeline setting ({', '.join(_SETTINGS)})")
    return {"component": data, "pipeline_settings": settings}


def _snapshot_code(ctx: WorkspaceContext, data: dict, base_path: Path) -> None:
    """Replace each step's local code folder (nested pipelines too) by its snapshot.

    azure-ai-ml dumps a step input bound to ``${{parent.inputs.x}}`` as ``{"path": "${{...}}"}``,
    which it reads back as a data path; the binding is put back as the plain string YAML holds.
    """
    from workspace.local.controlplane.bindings import resolve_code

    for step_name, step in (data.get("jobs") or {}).items():
        for input_name, value in list((step.get("inputs") or {}).items() if isinstance(step, dict) else []):
            if isinstance(value, dict) and list(value) == ["path"] and str(value["path"]).startswith("${{"):
                step["inputs"][input_name] = value["path"]
        component = step.get("component") if isinstance(step, dict) else None
        if not isinstance(component, dict):
            continue
        if component.get("type") == "pipeline":
            _snapshot_code(ctx, component, base_path)
        elif component.get("code"):
            try:
                code = resolve_code(ctx, component["code"], base_path)
            except UserInputError as exc:
                raise UserInputError(f"jobs.{step_name}.{exc.message}", field=exc.field, value=exc.value) from None
            component["code"] = code["local"] if code else None


def submit(ctx: WorkspaceContext, spec: dict, inputs: dict, outputs: dict | None, job_name: str | None,
           experiment_name: str, properties: dict) -> str:
    """Submit one run of the deployment's pipeline component; returns the job's name."""
    from azure.ai.ml import Output
    from azure.ai.ml.entities import Component, PipelineJob, PipelineJobSettings

    from workspace.local.operations.jobs import JobOperations

    component = Component._load(data=spec["component"])
    declared = component.inputs or {}
    for name in inputs:
        if name not in declared:
            raise UserInputError.invalid(f"inputs.{name}", name, f"is not an input of the pipeline component ({', '.join(sorted(declared)) or 'none'})")
    job_outputs = {n: Output(type=getattr(o, "type", None) or "uri_folder") for n, o in (component.outputs or {}).items()}
    for name, output in (outputs or {}).items():
        if name not in job_outputs:
            raise UserInputError.invalid(f"outputs.{name}", name, f"is not an output of the pipeline component ({', '.join(sorted(job_outputs)) or 'none'})")
        job_outputs[name] = output
    settings = spec.get("pipeline_settings") or {}
    job = PipelineJob(
        name=job_name, jobs=component.jobs, inputs=inputs, outputs=job_outputs, experiment_name=experiment_name,
        settings=PipelineJobSettings(**{k: v for k, v in settings.items() if k in ("default_compute", "continue_on_step_failure", "force_rerun")}),
        properties=properties, tags=dict(spec.get("tags") or {}), display_name=f"{spec['endpoint_name']}-{spec['name']}",
    )
    return JobOperations(ctx).create_or_update(job).name
