"""An invocation of a model deployment becomes a ``batch_scoring`` job row, checked before it exists.

The job runs on the deployment's compute and holds ``instance_count`` of its
slots while it scores, as the job holds that many nodes on Azure ML. Its
input is snapshotted like any job input; its output is ``score``, a folder in
the workspace blobstore. The job reads back as the ``PipelineJob`` Azure ML
shows for a batch invocation (``entity``), with the endpoint and deployment in
its properties, which ``list_jobs`` selects on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workspace.errors import UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import state

JOB_TYPE = "batch_scoring"
ENDPOINT_PROPERTY = "azureml.batchEndpoint"
DEPLOYMENT_PROPERTY = "azureml.batchDeployment"
SCORE = "score"


def model_job_row(ctx: WorkspaceContext, deployment: dict, data_input: Any, outputs: dict | None, name: str, experiment: str) -> dict:
    from azure.ai.ml import Output

    from workspace.local.controlplane.bindings import resolve_inputs, resolve_outputs
    from workspace.local.controlplane.parents import display_inputs
    from workspace.local.operations.models import ModelOperations

    binding = resolve_inputs(ctx, {"input_data": data_input}, {}, Path.cwd())["input_data"]
    if binding["type"] not in ("uri_folder", "uri_file"):
        raise UserInputError.invalid("input.type", binding["type"], "is not supported by model deployments; use uri_folder or uri_file")
    extra = sorted(set(outputs or {}) - {SCORE})
    if extra:
        raise UserInputError.invalid(f"outputs.{extra[0]}", extra[0], f"is not an output of a model deployment (its only output is {SCORE!r})")
    score = (outputs or {}).get(SCORE) or Output(type="uri_folder")
    resolved_outputs = resolve_outputs(ctx, name, {SCORE: score})
    model = dict(deployment["model"])
    model["local"] = str(ModelOperations(ctx).local_path(model["name"], model["version"]))
    properties = {ENDPOINT_PROPERTY: deployment["endpoint_name"], DEPLOYMENT_PROPERTY: deployment["name"]}
    inputs = {"input_data": binding}
    spec = {
        "batch": {
            "endpoint": deployment["endpoint_name"], "deployment": deployment["name"], "settings": deployment["settings"],
            "model": model, "code_configuration": deployment.get("code_configuration"), "environment": deployment["environment"],
        },
        "inputs": inputs, "outputs": resolved_outputs, "compute_given": deployment.get("compute_given"),
        "entity": _entity(inputs, deployment.get("compute_given"), display_inputs),
        "description": None, "tags": {}, "properties": properties,
    }
    return {
        "name": name, "type": JOB_TYPE, "status": state.NOT_STARTED, "compute": deployment["compute"],
        "slots": deployment["settings"]["instance_count"], "spec": spec, "experiment_name": experiment,
        "display_name": f"{deployment['endpoint_name']}-{deployment['name']}", "parent_job_name": None,
        "created_by": ctx.user,
    }


def _entity(inputs: dict, compute: str | None, display_inputs) -> dict:
    entity = {"type": "pipeline", "jobs": {}, "inputs": display_inputs(inputs)}
    if compute:
        entity["compute"] = compute
    return entity


def batch_job(row: state.JobRow) -> Any:
    """azure-ai-ml's ``BatchJob`` (what ``invoke`` and ``list_jobs`` return) for a job row."""
    from azure.ai.ml.entities import BatchJob

    endpoint = (row.spec.get("properties") or {}).get(ENDPOINT_PROPERTY)
    return BatchJob(id=f"azureml:/batchEndpoints/{endpoint}/jobs/{row.name}", name=row.name,
                    type="Microsoft.MachineLearningServices/workspaces/batchEndpoints/jobs", status=row.status)


def rows_of(ctx: WorkspaceContext, endpoint: str, deployment: str | None = None) -> list[state.JobRow]:
    """The jobs an endpoint's (or one deployment's) invocations made, newest first."""
    sql = "SELECT name FROM jobs WHERE json_extract(spec, '$.properties.\"azureml.batchEndpoint\"')=?"
    args: tuple = (endpoint,)
    if deployment is not None:
        sql += " AND json_extract(spec, '$.properties.\"azureml.batchDeployment\"')=?"
        args += (deployment,)
    names = [r[0] for r in ctx.store.read().execute(sql + " ORDER BY seq DESC", args).fetchall()]
    return [state.get_job(ctx.store, n) for n in names]
