"""Sweep and pipeline jobs read back as azure-ai-ml entities (``SweepJob``, ``PipelineJob``).

The submitted entity is stored as azure-ai-ml's own dict (``spec["entity"]``)
with local paths replaced by their snapshots; reading it back loads that dict
and adds what the run made of it: status, properties (best trial, errors,
times), outputs and the creation context.
"""

from __future__ import annotations

import copy
from typing import Any

from workspace.local.controlplane import state


def to_entity(row: state.JobRow, properties: dict, creation_context: Any) -> Any:
    from azure.ai.ml.entities._job.job import Job

    spec = row.spec
    data = copy.deepcopy(spec["entity"])
    data.update(
        name=row.name, display_name=row.display_name, experiment_name=row.experiment_name,
        tags={**spec.get("tags", {}), "mlflow.runId": row.mlflow_run_id}, properties=properties,
    )
    if spec.get("description") is not None:
        data["description"] = spec["description"]
    outputs = {n: {"type": o["type"], "path": o["path"]} for n, o in (spec.get("outputs") or {}).items() if o.get("path")}
    if outputs:
        data["outputs"] = {**(data.get("outputs") or {}), **outputs}
    try:
        job = Job._load(data=data)
    except Exception:  # a stored form azure-ai-ml no longer reads: show the job without its steps or trial
        job = Job._load(data={k: v for k, v in data.items() if k not in ("jobs", "trial", "inputs", "outputs")})
    job._status = row.status
    job._creation_context = creation_context
    return job


def display_inputs(bindings: dict, exclude: set = frozenset()) -> dict:
    """Resolved input bindings as azure-ai-ml's input dicts."""
    shown = {}
    for input_name, binding in bindings.items():
        if input_name in exclude:
            continue
        shown[input_name] = binding["value"] if binding["type"] == "literal" else {"type": binding["type"], "path": binding["path"]}
    return shown
