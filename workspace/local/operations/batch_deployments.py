"""``client.batch_deployments``: model and pipeline-component deployments under a batch endpoint.

A deployment is a row of ``resources`` (kind ``batch_deployment``, named
``<endpoint>/<deployment>``) holding the checked spec from
``workspace.local.batch.specs``; nothing runs until the endpoint is invoked.
The first deployment of an endpoint becomes its default, as on Azure ML.
"""

from __future__ import annotations

from typing import Any, Iterable

from workspace.errors import ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.poller import LocalPoller
from workspace.local.store import ResourceRow, creation_context

KIND = "batch_deployment"
ENDPOINT_KIND = "batch_endpoint"


class BatchDeploymentOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store

    def begin_create_or_update(self, deployment: Any, *, skip_script_validation: bool = False, **_: Any) -> LocalPoller:
        from workspace.local.batch.specs import deployment_spec

        spec = deployment_spec(self._ctx, deployment)
        endpoint = self._endpoint_row(spec["endpoint_name"])
        with self._store.transaction() as db:
            self._store.upsert_resource(db, KIND, _key(spec["endpoint_name"], spec["name"]), spec, "Succeeded", self._ctx.user)
            if not endpoint.spec.get("default_deployment"):
                self._store.upsert_resource(db, ENDPOINT_KIND, endpoint.name, {**endpoint.spec, "default_deployment": spec["name"]},
                                            endpoint.state, self._ctx.user)
        return LocalPoller(self.get(spec["name"], spec["endpoint_name"]))

    def get(self, name: str, endpoint_name: str) -> Any:
        return to_entity(self.row(name, endpoint_name))

    def list(self, endpoint_name: str) -> Iterable[Any]:
        self._endpoint_row(endpoint_name)
        return [to_entity(r) for r in self.rows(endpoint_name)]

    def begin_delete(self, name: str, endpoint_name: str) -> LocalPoller:
        row = self.row(name, endpoint_name)
        endpoint = self._endpoint_row(endpoint_name)
        others = [r.spec["name"] for r in self.rows(endpoint_name) if r.spec["name"] != name]
        if endpoint.spec.get("default_deployment") == name and others:
            raise UserInputError.invalid(
                "name", name, f"is the default deployment of batch endpoint {endpoint_name!r}; make another one "
                f"({', '.join(others)}) the default first (endpoint.defaults.deployment_name)"
            )
        with self._store.transaction() as db:
            self._store.delete_resource(db, KIND, row.name)
            if endpoint.spec.get("default_deployment") == name:
                self._store.upsert_resource(db, ENDPOINT_KIND, endpoint.name, {**endpoint.spec, "default_deployment": None},
                                            endpoint.state, self._ctx.user)
        return LocalPoller(None)

    def list_jobs(self, endpoint_name: str, *, name: str | None = None) -> list[Any]:
        from workspace.local.batch.invoke import batch_job, rows_of

        self._endpoint_row(endpoint_name)
        if name is not None:
            self.row(name, endpoint_name)
        return [batch_job(r) for r in rows_of(self._ctx, endpoint_name, name)]

    # -- helpers ------------------------------------------------------------------------------

    def row(self, name: str, endpoint_name: str) -> ResourceRow:
        self._endpoint_row(endpoint_name)
        row = self._store.resource(KIND, _key(endpoint_name, name))
        if row is None:
            known = [r.spec["name"] for r in self.rows(endpoint_name)]
            raise ResourceNotFoundError.of(f"batch deployment (endpoint {endpoint_name})", name, known=known)
        return row

    def rows(self, endpoint_name: str) -> list[ResourceRow]:
        return [r for r in self._store.resources(KIND) if r.spec.get("endpoint_name") == endpoint_name]

    def _endpoint_row(self, endpoint_name: str) -> ResourceRow:
        row = self._store.resource(ENDPOINT_KIND, endpoint_name) if endpoint_name else None
        if row is None:
            known = [r.name for r in self._store.resources(ENDPOINT_KIND)]
            raise ResourceNotFoundError.of("batch endpoint", str(endpoint_name), known=known)
        return row


def _key(endpoint_name: str, name: str) -> str:
    return f"{endpoint_name}/{name}"


def to_entity(row: ResourceRow) -> Any:
    spec = row.spec
    entity = _pipeline_entity(spec) if spec["type"] == "pipeline" else _model_entity(spec)
    entity._creation_context = creation_context(row.created_by, row.created_at, row.updated_at)
    return entity


def _model_entity(spec: dict) -> Any:
    from azure.ai.ml.entities import (
        BatchRetrySettings, CodeConfiguration, ModelBatchDeployment, ModelBatchDeploymentSettings, ResourceConfiguration,
    )

    settings = spec["settings"]
    code = spec.get("code_configuration")
    return ModelBatchDeployment(
        name=spec["name"], endpoint_name=spec["endpoint_name"], description=spec.get("description"),
        tags=spec.get("tags"), properties=spec.get("properties"), model=spec["model"]["ref"],
        code_configuration=CodeConfiguration(code=code["code"], scoring_script=code["scoring_script"]) if code else None,
        environment=_environment(spec.get("environment")), compute=spec.get("compute_given"),
        resources=ResourceConfiguration(instance_count=settings["instance_count"]),
        settings=ModelBatchDeploymentSettings(
            mini_batch_size=settings["mini_batch_size"], max_concurrency_per_instance=settings["max_concurrency_per_instance"],
            output_action=settings["output_action"], output_file_name=settings["output_file_name"],
            error_threshold=settings["error_threshold"], logging_level=settings["logging_level"],
            retry_settings=BatchRetrySettings(max_retries=settings["max_retries"], timeout=settings["timeout"]),
            environment_variables=settings["environment_variables"],
        ),
        provisioning_state="Succeeded",
    )


def _pipeline_entity(spec: dict) -> Any:
    from azure.ai.ml.entities import Component, PipelineComponentBatchDeployment

    entity = PipelineComponentBatchDeployment(
        name=spec["name"], endpoint_name=spec["endpoint_name"], component=Component._load(data=spec["component"]),
        settings=spec.get("pipeline_settings") or None, description=spec.get("description"), tags=spec.get("tags"),
    )
    entity._provisioning_state = "Succeeded"
    return entity


def _environment(plan: dict | None) -> Any:
    if not plan or (plan.get("ref") is None and plan.get("spec") is None):
        return None
    if plan.get("ref"):
        return plan["ref"]
    from azure.ai.ml.entities import Environment

    return Environment._load(data=plan["spec"])
