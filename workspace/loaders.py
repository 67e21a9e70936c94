"""Azure ML CLI v2 YAML → azure-ai-ml entities, and entities → the right operation group.

``load_entity`` reads any file that ``az ml ... create -f`` accepts with
azure-ai-ml's own loaders, so the local workspace and Azure ML agree on what a
file means. It picks the loader from the ``$schema`` file name, then from
``type``, then from the file's shape. Every failure becomes one
``UserInputError`` line naming the file, the field and the value.

azure.ai.ml is imported inside functions only: it costs a second at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workspace.errors import NotSupportedLocallyError, UserInputError

JOB_ENGINE = "the local job engine"
# What `apply` can create today, in the order a person usually writes them.
SUPPORTED_KINDS = ("compute", "datastore", "data", "environment", "component", "model", "job", "schedule",
                   "batch endpoint", "batch deployment", "online endpoint", "online deployment")
# Job types `apply` submits (client.jobs.create_or_update); others are refused before anything is written.
JOB_TYPES = ("command", "sweep", "pipeline", "automl")

# Kinds that load and validate today but are created by a later issue.
LATER_KINDS = {
    "pipeline component": "a later change; meanwhile a pipeline job can use its YAML file (component: ./prep.yml)",
}

_PUBLIC = "azure.ai.ml"
# The private module is the only home of these loaders; this is the one place that imports it.
_PRIVATE = "azure.ai.ml.entities._load_functions"
_LOADERS = {
    "compute": (_PUBLIC, "load_compute"),
    "datastore": (_PUBLIC, "load_datastore"),
    "data": (_PUBLIC, "load_data"),
    "environment": (_PUBLIC, "load_environment"),
    "component": (_PUBLIC, "load_component"),
    "model": (_PUBLIC, "load_model"),
    "job": (_PUBLIC, "load_job"),
    "online endpoint": (_PUBLIC, "load_online_endpoint"),
    "online deployment": (_PUBLIC, "load_online_deployment"),
    "batch endpoint": (_PUBLIC, "load_batch_endpoint"),
    "batch deployment": (_PUBLIC, "load_batch_deployment"),
    "model batch deployment": (_PRIVATE, "load_model_batch_deployment"),
    "pipeline component batch deployment": (_PRIVATE, "load_pipeline_component_batch_deployment"),
    "schedule": (_PRIVATE, "load_schedule"),
}

# `$schema` file names (lower-cased, without .schema.json) that the suffix rules below don't cover.
_SCHEMA_KINDS = {
    "computeinstance": "compute",
    "azureblob": "datastore",
    "azuredatalakegen1": "datastore",
    "azuredatalakegen2": "datastore",
    "azurefile": "datastore",
    "onelake": "datastore",
    "data": "data",
    "environment": "environment",
    "model": "model",
    "managedonlineendpoint": "online endpoint",
    "kubernetesonlineendpoint": "online endpoint",
    "managedonlinedeployment": "online deployment",
    "kubernetesonlinedeployment": "online deployment",
    "batchendpoint": "batch endpoint",
    "batchdeployment": "batch deployment",
    "modelbatchdeployment": "model batch deployment",
    "pipelinecomponentbatchdeployment": "pipeline component batch deployment",
    "schedule": "schedule",
}
_SCHEMA_SUFFIXES = (("compute", "compute"), ("component", "component"), ("job", "job"))

_TYPE_KINDS = {
    **dict.fromkeys(("amlcompute", "computeinstance", "kubernetes", "virtualmachine", "synapsespark"), "compute"),
    **dict.fromkeys(("azure_blob", "azure_data_lake_gen1", "azure_data_lake_gen2", "azure_file", "one_lake"), "datastore"),
    **dict.fromkeys(("uri_file", "uri_folder", "mltable"), "data"),
    **dict.fromkeys(("mlflow_model", "custom_model", "triton_model"), "model"),
    **dict.fromkeys(("sweep", "automl"), "job"),
}
# `type: command` (and friends) names both a component and a job; only components carry these.
_AMBIGUOUS_TYPES = ("command", "pipeline", "parallel", "spark")
_COMPONENT_ONLY_FIELDS = ("version", "is_deterministic")
_BATCH_DEPLOYMENT_FIELDS = ("mini_batch_size", "output_action", "output_file_name", "error_threshold",
                            "retry_settings", "max_concurrency_per_instance", "logging_level")


# -- loading ------------------------------------------------------------------


def load_entity(path: str | Path) -> Any:
    """Load one Azure ML CLI v2 YAML file into its azure-ai-ml entity."""
    path = Path(path).expanduser()
    document = read_yaml(path)
    kind = detect_kind(document, path)
    if kind == "compute" and not document.get("type"):
        # azure-ai-ml's own message here is "Unknown compute type: None".
        raise UserInputError(f"{path.name}: type: a value is required (amlcompute or computeinstance)", field="type")
    module_name, loader_name = _LOADERS[kind]
    import importlib

    loader = getattr(importlib.import_module(module_name), loader_name)
    try:
        return loader(source=str(path))
    except Exception as exc:
        error = _as_user_error(exc, path, document)
        if error is exc:
            raise
        raise error from None


def read_yaml(path: Path) -> dict:
    """The file as a mapping; a missing file or bad YAML is one line with the line number."""
    import yaml

    if not path.is_file():
        raise UserInputError.missing_path("file", path)
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "an unknown line"
        reason = exc.problem or exc.context or "malformed"
        raise UserInputError(f"{path.name}: is not valid YAML at {where}: {reason}", field="file", value=str(path)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UserInputError(f"{path.name}: is not valid YAML: {_first_line(exc)}", field="file", value=str(path)) from None
    if not isinstance(document, dict):
        raise UserInputError(
            f"{path.name}: holds {type(document).__name__}, but an Azure ML YAML file is a mapping of fields",
            field="file", value=str(path),
        )
    return document


def detect_kind(document: dict, path: Path) -> str:
    """The loader's kind, from ``$schema``, then ``type``, then the document's shape."""
    kind = _kind_from_schema(document.get("$schema")) or _kind_from_shape(document)
    if kind is not None:
        return kind
    supported = f"Supported kinds: {', '.join(SUPPORTED_KINDS)}"
    if document.get("$schema"):
        raise UserInputError.invalid("$schema", document["$schema"], f"in {path.name} is not a kind amlpilot knows. {supported}")
    shown = f" (type {document['type']!r})" if "type" in document else ""
    raise UserInputError(
        f"{path.name}: can't tell what this file defines{shown}; add a $schema line. {supported}", field="$schema"
    )


def _kind_from_schema(schema: Any) -> str | None:
    if not isinstance(schema, str) or not schema.strip():
        return None
    stem = schema.rstrip("/").rsplit("/", 1)[-1].lower()
    for suffix in (".schema.json", ".schema.yml", ".schema.yaml", ".json"):
        stem = stem.removesuffix(suffix)
    if stem in _SCHEMA_KINDS:
        return _SCHEMA_KINDS[stem]
    return next((kind for suffix, kind in _SCHEMA_SUFFIXES if stem.endswith(suffix)), None)


def _kind_from_shape(doc: dict) -> str | None:
    kind_type = str(doc.get("type") or "").lower()
    if "trigger" in doc and ("create_job" in doc or "create_monitor" in doc):
        return "schedule"
    if "endpoint_name" in doc:
        if kind_type in ("model", "pipeline"):  # the typed forms keep their settings under `settings:`
            return "model batch deployment" if kind_type == "model" else "pipeline component batch deployment"
        return "batch deployment" if any(f in doc for f in _BATCH_DEPLOYMENT_FIELDS) else "online deployment"
    if kind_type in _TYPE_KINDS:
        return _TYPE_KINDS[kind_type]
    if kind_type in _AMBIGUOUS_TYPES:
        return "component" if any(f in doc for f in _COMPONENT_ONLY_FIELDS) else "job"
    if not kind_type and any(doc.get(f) for f in ("image", "conda_file", "build")):
        return "environment"
    if not kind_type and "auth_mode" in doc:
        return "batch endpoint" if "defaults" in doc else "online endpoint"
    return None


# -- errors -------------------------------------------------------------------


def _as_user_error(exc: Exception, path: Path, document: dict) -> Exception:
    """A loader's failure as one line; anything unexpected goes on as itself (a bug to report)."""
    from azure.ai.ml.exceptions import MlException
    from marshmallow.exceptions import ValidationError

    raw = _marshmallow_messages(exc)
    if raw is not None:
        field, value, reason = first_schema_error(raw, document)
        return _schema_error(path, field, value, reason)
    if isinstance(exc, (ValidationError, MlException)):
        return UserInputError(f"{path.name}: {_first_line(exc)}", field="file", value=str(path))
    return exc


def _marshmallow_messages(exc: BaseException) -> Any:
    """The original marshmallow message structure, found along the exception chain.

    azure-ai-ml re-raises schema errors with a pretty-printed text; the structure
    (field → messages) survives only on the exception it was raised from.
    """
    from marshmallow.exceptions import ValidationError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ValidationError) and isinstance(current.messages, dict):
            return current.messages
        current = current.__cause__ or current.__context__
    return None


_MISSING = object()


def first_schema_error(messages: Any, document: Any) -> tuple[str, Any, str]:
    """(dotted field, value as written, reason) of the first error in marshmallow's messages.

    Keys the YAML doesn't have are wrappers the schema adds (a union's 'value',
    '_schema'), except at a leaf, where they name a missing required field.
    """
    path: list[str] = []
    node, data = messages, document
    while True:
        if isinstance(node, dict) and node:
            key, child = next(iter(node.items()))
            if _has_key(data, key):
                path.append(str(key))
                data = data[key]
            elif _is_leaf(child) and key != "_schema":
                path.append(str(key))
                data = _MISSING
            node = child
        elif isinstance(node, list) and node and isinstance(node[0], (dict, list)):
            node = node[0]  # a union's alternatives: the first one explains enough
        else:
            reason = "; ".join(str(m) for m in node) if isinstance(node, list) else str(node or "")
            return ".".join(path) or "file", data, reason or "is invalid"


def _has_key(data: Any, key: Any) -> bool:
    if isinstance(data, dict):
        return key in data
    return isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data)


def _is_leaf(node: Any) -> bool:
    return isinstance(node, str) or (isinstance(node, list) and all(isinstance(m, str) for m in node))


def _schema_error(path: Path, field: str, value: Any, reason: str) -> UserInputError:
    if value is _MISSING:
        return UserInputError(f"{path.name}: {field}: {reason}", field=field)
    shown = value if isinstance(value, (str, int, float, bool, type(None))) else _first_line(value)
    return UserInputError(f"{path.name}: {field}: {shown!r} is invalid: {reason}", field=field, value=value)


def _first_line(obj: Any) -> str:
    lines = [line.strip() for line in str(obj).splitlines() if line.strip()]
    return lines[0] if lines else type(obj).__name__


# -- applying -----------------------------------------------------------------


def entity_kind(entity: Any) -> str:
    """The kind of a loaded entity, as `apply` and the CLI name it."""
    from azure.ai.ml import entities as e

    checks = (
        (e.Compute, "compute"), (e.Datastore, "datastore"), (e.Data, "data"), (e.Environment, "environment"),
        (e.PipelineComponent, "pipeline component"), (e.Component, "component"), (e.Model, "model"),
        (e.Job, "job"), (e.Schedule, "schedule"),
        (e.OnlineEndpoint, "online endpoint"), (e.OnlineDeployment, "online deployment"),
        (e.BatchEndpoint, "batch endpoint"), (e.BatchDeployment, "batch deployment"),
    )
    for cls, kind in checks:
        if isinstance(entity, cls):
            return kind
    raise UserInputError(
        f"{type(entity).__name__}: is not something the local workspace stores; supported kinds: {', '.join(SUPPORTED_KINDS)}"
    )


def check_supported(entity: Any) -> str:
    """The entity's kind, or ``NotSupportedLocallyError`` for kinds a later issue brings."""
    kind = entity_kind(entity)
    if kind in LATER_KINDS:
        raise NotSupportedLocallyError.kind(kind, LATER_KINDS[kind])
    job_type = str(getattr(entity, "type", None) or "")
    if kind == "job" and job_type not in JOB_TYPES:
        raise NotSupportedLocallyError.field("type", job_type, f"local jobs are {', '.join(JOB_TYPES)} jobs; use Azure ML for this one")
    return kind


def apply_entity(client: Any, entity: Any) -> Any:
    """Create or update ``entity`` through its operation group; returns the stored entity."""
    kind = check_supported(entity)
    if kind == "compute":
        return client.compute.begin_create_or_update(entity).result()
    if kind == "job":
        return client.jobs.create_or_update(entity)
    if kind == "schedule":
        return client.schedules.begin_create_or_update(entity).result()
    if kind == "online endpoint":
        return client.online_endpoints.begin_create_or_update(entity).result()
    if kind == "online deployment":
        return client.online_deployments.begin_create_or_update(entity).result()
    if kind == "batch endpoint":
        return client.batch_endpoints.begin_create_or_update(entity).result()
    if kind == "batch deployment":
        return client.batch_deployments.begin_create_or_update(entity).result()
    group = {
        "datastore": client.datastores,
        "data": client.data,
        "environment": client.environments,
        "component": client.components,
        "model": client.models,
    }[kind]
    return group.create_or_update(entity)
