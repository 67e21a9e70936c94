"""Checking batch endpoints and deployments, and storing them as plain dicts.

Everything is checked before anything is written: a bad setting is one
``UserInputError`` line naming the field and the value. A deployment's model is
pinned to a registered version and its code is snapshotted, so later edits to
the user's files or a newer model version never change what it scores with.
Azure's defaults apply: mini_batch_size 10, max_concurrency_per_instance 1,
instance_count 1, error_threshold -1, retry_settings 3 retries with a 30 s
timeout, append_row into predictions.csv, logging_level info.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from workspace.errors import UserInputError
from workspace.local.context import WorkspaceContext

# Azure's rule for endpoint and deployment names: 3-32 characters, a letter first, no trailing hyphen.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")
OUTPUT_ACTIONS = ("append_row", "summary_only")
LOGGING_LEVELS = ("debug", "info", "warning", "error", "critical")
DEFAULTS = {
    "mini_batch_size": 10, "max_concurrency_per_instance": 1, "error_threshold": -1,
    "output_action": "append_row", "output_file_name": "predictions.csv", "logging_level": "info",
    "max_retries": 3, "timeout": 30,
}


def check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise UserInputError.missing("name", f"a {what} name")
    if not _NAME.match(name):
        raise UserInputError.invalid(
            "name", name, f"is not a valid {what} name: 3-32 letters, digits and '-', starting with a letter and not ending with '-'"
        )
    return name


def endpoint_spec(endpoint: Any) -> dict:
    from azure.ai.ml.entities import BatchEndpoint

    if not isinstance(endpoint, BatchEndpoint):
        raise UserInputError.invalid("endpoint", type(endpoint).__name__, "is not a BatchEndpoint")
    auth_mode = str(getattr(endpoint, "auth_mode", None) or "aad_token").lower()
    if auth_mode != "aad_token":
        raise UserInputError.invalid("auth_mode", auth_mode, "is not supported by batch endpoints; they use aad_token")
    defaults = getattr(endpoint, "defaults", None) or {}
    default = defaults.get("deployment_name") if isinstance(defaults, dict) else getattr(defaults, "deployment_name", None)
    return {
        "name": check_name(endpoint.name, "batch endpoint"), "description": endpoint.description,
        "tags": dict(endpoint.tags or {}), "properties": dict(endpoint.properties or {}),
        "auth_mode": auth_mode, "default_deployment": default,
    }


# -- deployments --------------------------------------------------------------------------


def deployment_spec(ctx: WorkspaceContext, deployment: Any) -> dict:
    """The stored form of a ModelBatchDeployment / BatchDeployment / PipelineComponentBatchDeployment."""
    from azure.ai.ml.entities import BatchDeployment, PipelineComponentBatchDeployment

    if not isinstance(deployment, BatchDeployment):
        raise UserInputError.invalid("deployment", type(deployment).__name__, "is not a batch deployment")
    spec = {
        "name": check_name(deployment.name, "batch deployment"),
        "endpoint_name": check_name(deployment.endpoint_name, "batch endpoint") if deployment.endpoint_name else None,
        "description": deployment.description, "tags": dict(deployment.tags or {}),
        "properties": {k: v for k, v in (deployment.properties or {}).items() if v is not None},
    }
    if spec["endpoint_name"] is None:
        raise UserInputError.missing("endpoint_name", "the batch endpoint this deployment belongs to")
    base_path = Path(getattr(deployment, "_base_path", None) or getattr(deployment, "base_path", None) or Path.cwd())
    if isinstance(deployment, PipelineComponentBatchDeployment):
        from workspace.local.batch.pipeline import pipeline_spec

        return {**spec, "type": "pipeline", **pipeline_spec(ctx, deployment, base_path)}
    return {**spec, "type": "model", **_model_deployment(ctx, deployment, base_path)}


def _model_deployment(ctx: WorkspaceContext, deployment: Any, base_path: Path) -> dict:
    from workspace.local.controlplane.bindings import resolve_code
    from workspace.local.controlplane.scheduler import check_compute

    settings = _settings(deployment)
    model = _model(ctx, deployment.model)
    code = _code_configuration(ctx, deployment.code_configuration, base_path, resolve_code)
    if code is None and model["type"] != "mlflow_model":
        raise UserInputError.missing(
            "code_configuration", f"model {model['ref']} is a {model['type']}; only MLflow models score without a scoring script"
        )
    if code is not None and deployment.environment is None:
        raise UserInputError.missing("environment", "a deployment with a scoring script names the environment it runs in")
    compute = check_compute(ctx.store, deployment.compute, settings["instance_count"])
    return {
        "model": model, "code_configuration": code, "environment": _environment(ctx, deployment.environment),
        "compute": compute, "compute_given": str(deployment.compute) if deployment.compute else None, "settings": settings,
    }


def _settings(deployment: Any) -> dict:
    given = getattr(deployment, "_settings", None)
    value = lambda name: getattr(given, name, None) if given is not None else None  # noqa: E731
    retry = value("retry_settings")
    resources = getattr(deployment, "resources", None)
    instance_count = getattr(resources, "instance_count", None) or value("instance_count") or 1
    settings = {
        "instance_count": _at_least("instance_count", instance_count, 1),
        "mini_batch_size": _at_least("mini_batch_size", _or(value("mini_batch_size"), "mini_batch_size"), 1),
        "max_concurrency_per_instance": _at_least(
            "max_concurrency_per_instance", _or(value("max_concurrency_per_instance"), "max_concurrency_per_instance"), 1),
        "error_threshold": _at_least("error_threshold", _or(value("error_threshold"), "error_threshold"), -1),
        "max_retries": _at_least("retry_settings.max_retries", _or(getattr(retry, "max_retries", None), "max_retries"), 0),
        "timeout": _at_least("retry_settings.timeout", _or(getattr(retry, "timeout", None), "timeout"), 1),
        "environment_variables": {str(k): str(v) for k, v in (value("environment_variables") or {}).items()},
    }
    action = str(getattr(value("output_action"), "value", value("output_action")) or DEFAULTS["output_action"]).lower()
    if action not in OUTPUT_ACTIONS:
        raise UserInputError.invalid("output_action", action, f"is not one of {', '.join(OUTPUT_ACTIONS)}")
    file_name = value("output_file_name")
    if action == "summary_only" and file_name:
        raise UserInputError.invalid("output_file_name", file_name, "is set, but output_action summary_only writes no file")
    file_name = str(file_name or DEFAULTS["output_file_name"])
    if "/" in file_name or "\\" in file_name or file_name in (".", ".."):
        raise UserInputError.invalid("output_file_name", file_name, "must be a file name, not a path")
    level = str(value("logging_level") or DEFAULTS["logging_level"]).lower()
    if level not in LOGGING_LEVELS:
        raise UserInputError.invalid("logging_level", level, f"is not one of {', '.join(LOGGING_LEVELS)}")
    return {**settings, "output_action": action, "output_file_name": file_name if action == "append_row" else None,
            "logging_level": level}


def _or(value: Any, name: str) -> Any:
    return DEFAULTS[name] if value is None else value


def _at_least(field: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, str) and value.lstrip("-").isdigit()):
        raise UserInputError.invalid(field, value, "is not a whole number")
    if int(value) < low:
        raise UserInputError.invalid(field, value, f"must be {low} or more")
    return int(value)


def _model(ctx: WorkspaceContext, model: Any) -> dict:
    """The registered model version the deployment scores with; an inline model is registered first."""
    from workspace.local.operations.models import ModelOperations

    models = ModelOperations(ctx)
    if model is None:
        raise UserInputError.missing("model", "a registered model (azureml:name:version) or a Model with a local path")
    if isinstance(model, str):
        reference = model if model.startswith("azureml:") else f"azureml:{model}"
        entity = models.resolve(reference, field="model")
    elif getattr(model, "path", None):
        if not getattr(model, "name", None):
            model.name = "azureml_anonymous"  # Azure's name for a model registered by its deployment
        entity = models.create_or_update(model)
    elif getattr(model, "name", None):
        entity = models.get(model.name, version=str(model.version) if model.version else None)
    else:
        raise UserInputError.missing("model", "a Model needs a path, or a name (and version) already registered")
    return {"ref": f"azureml:{entity.name}:{entity.version}", "name": entity.name, "version": str(entity.version),
            "type": entity.type}


def _code_configuration(ctx: WorkspaceContext, code_configuration: Any, base_path: Path, resolve_code) -> dict | None:
    if code_configuration is None:
        return None
    script = getattr(code_configuration, "scoring_script", None)
    if not script:
        raise UserInputError.missing("code_configuration.scoring_script", "the script with init() and run(mini_batch)")
    code = resolve_code(ctx, getattr(code_configuration, "code", None) or ".", base_path)
    if code is None or not (Path(code["local"]) / script).is_file():
        raise UserInputError.invalid("code_configuration.scoring_script", script, "is not a file in the code folder")
    return {"code": code["path"], "local": code["local"], "scoring_script": str(script)}


def _environment(ctx: WorkspaceContext, environment: Any) -> dict:
    """How the workers' Python is chosen; no environment (a no-code MLflow model) is this interpreter."""
    from workspace.local.controlplane.environments import plan_environment

    if environment is None:
        return {"ref": None, "kind": "interpreter", "warnings": []}
    if isinstance(environment, str) and not environment.startswith("azureml:"):
        environment = f"azureml:{environment}"
    return plan_environment(ctx, environment)
