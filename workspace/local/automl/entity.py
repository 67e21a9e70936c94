"""A stored AutoML job row -> the azure-ai-ml entity ``client.jobs.get`` returns (ClassificationJob, ...)."""

from __future__ import annotations

from typing import Any


def to_entity(row: Any, properties: dict, created: Any) -> Any:
    from azure.ai.ml import Output
    from azure.ai.ml.entities import Job

    spec = row.spec
    job = Job._load(data=dict(spec["automl_job"]))  # the settings as submitted, data pinned to what ran
    job.name, job.display_name, job.experiment_name = row.name, row.display_name, row.experiment_name
    job.description = spec.get("description")
    job.tags = {**spec.get("tags", {}), "mlflow.runId": row.mlflow_run_id}
    job.properties = properties
    job.compute = row.compute if spec.get("compute_given") else None
    job.outputs = {n: Output(type=o["type"], path=o["path"], name=o.get("name"), version=o.get("version"))
                   for n, o in (spec.get("outputs") or {}).items()}
    job._status = row.status
    job._creation_context = created
    return job
