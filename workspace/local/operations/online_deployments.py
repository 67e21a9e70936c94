"""``client.online_deployments``: deployments of an online endpoint, served as worker processes.

A deployment is an MLflow model (no-code) or any model plus
``code_configuration.scoring_script``. Everything a worker needs (model folder,
code snapshot, environment plan) is resolved here, when the deployment is
created, and stored with it as ``local_launch``; so a bad reference fails now,
in one line, and nothing is written. ``begin_create_or_update`` returns once
every instance answered ready, or raises with the reason if one did not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from workspace.errors import AmlPilotError, NotSupportedLocallyError, ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.operations.online_endpoints import check_endpoint_name
from workspace.local.poller import LocalPoller
from workspace.local.serving import state, waits
from workspace.local.serving.state import deployment_log
from workspace.local.store import creation_context

DEFAULT_INSTANCE_TYPE = "Standard_DS3_v2"  # Azure requires one; locally it is only shown
MAX_INSTANCES = 16
_POSITIVE = {
    "request_settings": ("request_timeout_ms", "max_concurrent_requests_per_instance", "max_queue_wait_ms"),
    "liveness_probe": ("initial_delay", "period", "timeout", "success_threshold", "failure_threshold"),
    "readiness_probe": ("initial_delay", "period", "timeout", "success_threshold", "failure_threshold"),
}


class OnlineDeploymentOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store

    def begin_create_or_update(self, deployment: Any, **_: Any) -> LocalPoller:
        state.ensure_schema(self._store)
        spec = dict(deployment._to_dict())
        name = check_endpoint_name(spec.get("name"))
        endpoint = spec.get("endpoint_name")
        self._endpoint(endpoint)
        _check_numbers(spec)
        spec.update(self._resolve(deployment, endpoint, name))
        spec = json.loads(json.dumps(spec, default=str))
        key = state.deployment_key(endpoint, name)
        with self._store.transaction() as db:
            current = self._store.resource(state.DEPLOYMENT, key)
            self._store.upsert_resource(db, state.DEPLOYMENT, key, spec, "Updating" if current else "Creating", self._ctx.user)
            generation = state.bump_generation(db)
        waits.ensure_serving(self._ctx.root, self._store, generation)
        status = waits.wait_deployment(self._store, endpoint, name, state.spec_hash(spec))
        if status["state"] == "Failed":
            raise AmlPilotError(
                f"deployment: {name!r} of endpoint {endpoint!r} failed: {status['error']}; "
                f"see amlpilot endpoint logs {endpoint} --deployment {name}"
            )
        return LocalPoller(self.get(name, endpoint))

    def get(self, name: str, endpoint_name: str, **_: Any) -> Any:
        return self._to_entity(self._row(name, endpoint_name))

    def list(self, endpoint_name: str, **_: Any) -> Iterable[Any]:
        self._endpoint(endpoint_name)
        prefix = f"{endpoint_name}/"
        return [self._to_entity(r) for r in self._store.resources(state.DEPLOYMENT) if r.name.startswith(prefix)]

    def begin_delete(self, name: str, endpoint_name: str, **_: Any) -> LocalPoller:
        self._row(name, endpoint_name)
        endpoint = self._endpoint(endpoint_name)
        for field in ("traffic", "mirror_traffic"):
            share = (endpoint.spec.get(field) or {}).get(name, 0)
            if share:
                raise UserInputError.invalid(
                    "name", name, f"carries {share}% of endpoint {endpoint_name!r}'s {field.replace('_', ' ')}; "
                    f"move it first (amlpilot endpoint traffic {endpoint_name} ...)"
                )
        state.ensure_schema(self._store)
        with self._store.transaction() as db:
            self._store.delete_resource(db, state.DEPLOYMENT, state.deployment_key(endpoint_name, name))
            state.forget_deployment_status(db, endpoint_name, name)
            generation = state.bump_generation(db)
        waits.wait_applied(self._store, generation)
        return LocalPoller(None)

    def get_logs(self, name: str, endpoint_name: str, lines: int = 100, *, container_type: str | None = None, **_: Any) -> str:
        """The last ``lines`` lines its instances wrote (model load, prints, tracebacks)."""
        self._row(name, endpoint_name)
        if isinstance(lines, bool) or not isinstance(lines, int) or lines < 1:
            raise UserInputError.invalid("lines", lines, "must be a whole number of 1 or more")
        if container_type not in (None, "inference-server"):
            raise NotSupportedLocallyError.field("container_type", container_type, "local deployments have one container, the inference server")
        path = deployment_log(self._ctx.root, endpoint_name, name)
        if not path.is_file():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- resolution -------------------------------------------------------

    def _resolve(self, deployment: Any, endpoint: str, name: str) -> dict:
        """The stored references (model, code, environment) and the worker's launch plan."""
        model = self._model(deployment.model, endpoint, name)
        model_dir = self._ctx_models().local_path(model.name, model.version)
        launch: dict[str, Any] = {"azureml_model_dir": str(model_dir.parent),  # $AZUREML_MODEL_DIR/<folder or file>, as on Azure
                                  "env_vars": {k: str(v) for k, v in (deployment.environment_variables or {}).items()}}
        resolved: dict[str, Any] = {"model": f"azureml:{model.name}:{model.version}"}
        code_config = deployment.code_configuration
        if code_config is None:
            if model.type != "mlflow_model":
                raise UserInputError.missing("code_configuration", f"model {model.name}:{model.version} is a {model.type}; "
                                             "only an mlflow_model deploys without a scoring script")
            launch.update(kind="mlflow", model_dir=str(model_dir), **_flavor(model_dir))
        else:
            code_dir, relpath = self._code(deployment, code_config)
            launch.update(kind="script", code_dir=str(code_dir), scoring_script=code_config.scoring_script)
            resolved["code_configuration"] = {"code": self._ctx.blobstore.uri(relpath), "scoring_script": code_config.scoring_script}
        environment = deployment.environment
        if environment is not None:
            from workspace.local.controlplane.environments import plan_environment

            plan = plan_environment(self._ctx, environment)
            launch["environment"] = plan
            resolved["environment"] = plan.get("ref") or resolved.get("environment")
            if resolved["environment"] is None:
                resolved.pop("environment")
        resolved["local_launch"] = launch
        return resolved

    def _model(self, model: Any, endpoint: str, name: str) -> Any:
        models = self._ctx_models()
        if model is None:
            raise UserInputError.missing("model", "e.g. azureml:diabetes-model:1 or azureml:diabetes-model@latest")
        if isinstance(model, str):
            return models.resolve(model, field="model")
        if getattr(model, "path", None):  # an inline model is registered first, as Azure does
            if not model.name:
                model.name = f"{endpoint}-{name}-model"
            return models.create_or_update(model)
        return models.get(model.name, version=model.version)

    def _code(self, deployment: Any, code_config: Any) -> tuple[Path, str]:
        code = code_config.code
        if not isinstance(code, (str, Path)) or str(code).startswith("azureml:"):
            raise NotSupportedLocallyError.field("code_configuration.code", str(code), "give a local folder")
        base = Path(getattr(deployment, "_base_path", None) or Path.cwd())
        folder = (base / str(code)).expanduser().resolve()
        if not folder.is_dir():
            raise UserInputError.missing_path("code_configuration.code", folder)
        script = code_config.scoring_script
        if not script or not (folder / script).is_file():
            raise UserInputError.missing_path("code_configuration.scoring_script", folder / str(script or ""))
        relpath, _ = self._ctx.blobstore.snapshot(folder, field="code_configuration.code")
        return self._ctx.blobstore.local_path(relpath), relpath

    def _ctx_models(self):
        from workspace.local.operations.models import ModelOperations

        return ModelOperations(self._ctx)

    # -- rows and entities ------------------------------------------------

    def _endpoint(self, name: Any):
        row = self._store.resource(state.ENDPOINT, name) if isinstance(name, str) else None
        if row is None:
            raise ResourceNotFoundError.of("online endpoint", str(name), known=[r.name for r in self._store.resources(state.ENDPOINT)])
        return row

    def _row(self, name: str, endpoint_name: str):
        self._endpoint(endpoint_name)
        row = self._store.resource(state.DEPLOYMENT, state.deployment_key(endpoint_name, name))
        if row is None:
            prefix = f"{endpoint_name}/"
            known = [r.name[len(prefix):] for r in self._store.resources(state.DEPLOYMENT) if r.name.startswith(prefix)]
            raise ResourceNotFoundError.of("online deployment", name, known=known)
        return row

    def _to_entity(self, row) -> Any:
        from azure.ai.ml.entities import OnlineDeployment

        data = {k: v for k, v in row.spec.items() if k != "local_launch"}
        data.setdefault("instance_type", DEFAULT_INSTANCE_TYPE)
        entity = OnlineDeployment._load(data=data)
        endpoint, name = row.name.split("/", 1)
        status = state.deployment_status(self._store, endpoint, name)
        current = status and status["spec_hash"] == state.spec_hash(row.spec)
        entity._provisioning_state = status["state"] if current else row.state
        entity._creation_context = creation_context(row.created_by, row.created_at, row.updated_at)
        return entity


def _check_numbers(spec: dict) -> None:
    count = spec.get("instance_count")
    if count is None:
        spec["instance_count"] = count = 1
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INSTANCES:
        raise UserInputError.invalid("instance_count", count, f"must be a whole number from 1 to {MAX_INSTANCES} (each instance is a process)")
    for group, fields in _POSITIVE.items():
        for field in fields:
            value = (spec.get(group) or {}).get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise UserInputError.invalid(f"{group}.{field}", value, "must be a whole number of 1 or more")


def _flavor(model_dir: Path) -> dict:
    import yaml

    meta = yaml.safe_load((model_dir / "MLmodel").read_text())
    flavors = meta.get("flavors") or {}
    return {"sklearn": "sklearn" in flavors, "predict_fn": (flavors.get("python_function") or {}).get("predict_fn", "predict")}
