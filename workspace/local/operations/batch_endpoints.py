"""``client.batch_endpoints``: batch endpoints, and invoking them.

``invoke`` routes to ``deployment_name`` or the endpoint's default deployment.
A model deployment's invocation is a ``batch_scoring`` job run by the control
plane (``workspace.local.batch``); a pipeline-component deployment's is a
pipeline job. Either way ``client.jobs`` shows, streams and downloads it, and
``invoke`` returns azure-ai-ml's ``BatchJob`` naming it.
"""

from __future__ import annotations

from typing import Any, Iterable

from workspace.errors import ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.operations.batch_deployments import ENDPOINT_KIND, BatchDeploymentOperations
from workspace.local.poller import LocalPoller
from workspace.local.store import ResourceRow, creation_context


class BatchEndpointOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store
        self._deployments = BatchDeploymentOperations(ctx)

    def begin_create_or_update(self, endpoint: Any, **_: Any) -> LocalPoller:
        from workspace.local.batch.specs import endpoint_spec

        spec = endpoint_spec(endpoint)
        current = self._store.resource(ENDPOINT_KIND, spec["name"])
        deployments = [r.spec["name"] for r in self._deployments.rows(spec["name"])] if current else []
        default = spec["default_deployment"]
        if default is None and current is not None:
            spec["default_deployment"] = current.spec.get("default_deployment")  # an update without defaults keeps it
        elif default is not None and default not in deployments:
            known = f"its deployments: {', '.join(deployments)}" if deployments else "it has no deployments yet; the first one becomes the default"
            raise UserInputError.invalid("defaults.deployment_name", default, f"is not a deployment of this endpoint ({known})")
        with self._store.transaction() as db:
            self._store.upsert_resource(db, ENDPOINT_KIND, spec["name"], spec, "Succeeded", self._ctx.user)
        return LocalPoller(self.get(spec["name"]))

    def get(self, name: str) -> Any:
        return _to_entity(self._row(name))

    def list(self) -> Iterable[Any]:
        return [_to_entity(r) for r in self._store.resources(ENDPOINT_KIND)]

    def begin_delete(self, name: str) -> LocalPoller:
        """Deletes the endpoint and its deployments; their jobs stay, as on Azure ML."""
        from workspace.local.operations.batch_deployments import KIND

        self._row(name)
        with self._store.transaction() as db:
            for row in self._deployments.rows(name):
                self._store.delete_resource(db, KIND, row.name)
            self._store.delete_resource(db, ENDPOINT_KIND, name)
        return LocalPoller(None)

    def invoke(
        self, endpoint_name: str, *, deployment_name: str | None = None, inputs: dict | None = None,
        input: Any = None, outputs: dict | None = None, job_name: str | None = None,  # noqa: A002 (azure-ai-ml's name)
        experiment_name: str | None = None, **_: Any,
    ) -> Any:
        from workspace.local.batch.invoke import DEPLOYMENT_PROPERTY, ENDPOINT_PROPERTY, batch_job

        endpoint = self._row(endpoint_name)
        deployment = self._deployment(endpoint, deployment_name)
        data_inputs = _inputs(input, inputs)
        experiment = experiment_name or endpoint_name
        if deployment["type"] == "pipeline":
            from workspace.local.batch import pipeline

            properties = {ENDPOINT_PROPERTY: endpoint_name, DEPLOYMENT_PROPERTY: deployment["name"]}
            name = pipeline.submit(self._ctx, deployment, data_inputs, outputs, job_name, experiment, properties)
        else:
            name = self._submit_model_job(deployment, data_inputs, outputs, job_name, experiment)
        from workspace.local.controlplane import state

        return batch_job(state.get_job(self._store, name))

    def list_jobs(self, endpoint_name: str) -> list[Any]:
        return self._deployments.list_jobs(endpoint_name)

    # -- helpers ------------------------------------------------------------------------------

    def _row(self, name: str) -> ResourceRow:
        row = self._store.resource(ENDPOINT_KIND, name) if name else None
        if row is None:
            known = [r.name for r in self._store.resources(ENDPOINT_KIND)]
            raise ResourceNotFoundError.of("batch endpoint", str(name), known=known)
        return row

    def _deployment(self, endpoint: ResourceRow, deployment_name: str | None) -> dict:
        name = deployment_name or endpoint.spec.get("default_deployment")
        if name is None:
            raise UserInputError.invalid("endpoint_name", endpoint.name, "has no deployments; create one with client.batch_deployments first")
        field = "deployment_name" if deployment_name else "defaults.deployment_name"
        try:
            return self._deployments.row(name, endpoint.name).spec
        except ResourceNotFoundError as exc:
            raise UserInputError(f"{field}: {exc.message.split(': ', 1)[1]}", field=field, value=name) from None

    def _submit_model_job(self, deployment: dict, data_inputs: dict, outputs: dict | None, job_name: str | None, experiment: str) -> str:
        import sqlite3

        from workspace.local.batch.invoke import model_job_row
        from workspace.local.controlplane import ensure_controlplane, state, submit
        from workspace.local.controlplane.finish import end_mlflow_run

        if len(data_inputs) != 1:
            raise UserInputError.invalid("inputs", ", ".join(sorted(data_inputs)) or "none", "a model deployment takes exactly one input: the files to score")
        name = submit.check_job_name(job_name) if job_name else submit.new_job_name()
        if state.get_job(self._store, name) is not None:
            raise UserInputError.invalid("job_name", name, "is already the name of another job")
        with self._ctx.blobstore.removing_new_uploads_on_error(self._is_referenced):
            row = model_job_row(self._ctx, deployment, next(iter(data_inputs.values())), outputs, name, experiment)
            row["mlflow_run_id"] = submit.create_mlflow_run(self._ctx, row)
            try:
                state.insert_job(self._store, row)
            except sqlite3.IntegrityError:  # another client took this name a moment ago
                end_mlflow_run(self._ctx, row["mlflow_run_id"], state.FAILED)
                raise UserInputError.invalid("job_name", name, "is already the name of another job") from None
        ensure_controlplane(self._ctx.root)
        return name

    def _is_referenced(self, relpath: str) -> bool:
        from workspace.local.controlplane import state

        return self._store.references_path(relpath) or state.jobs_reference_path(self._store, relpath)


def _inputs(single: Any, many: dict | None) -> dict:
    if single is not None and many:
        raise UserInputError.invalid("input", getattr(single, "path", single), "and inputs are both given; pass one of them")
    if single is not None:
        return {"input_data": single}
    return dict(many or {})


def _to_entity(row: ResourceRow) -> Any:
    from azure.ai.ml.entities import BatchEndpoint

    spec = row.spec
    defaults = {"deployment_name": spec["default_deployment"]} if spec.get("default_deployment") else None
    entity = BatchEndpoint(
        name=spec["name"], description=spec.get("description"), tags=spec.get("tags"), properties=spec.get("properties"),
        auth_mode=spec.get("auth_mode") or "aad_token", defaults=defaults, provisioning_state="Succeeded",
    )
    entity._creation_context = creation_context(row.created_by, row.created_at, row.updated_at)
    return entity
