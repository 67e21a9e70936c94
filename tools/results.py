"""Compact, JSON-able summaries of workspace entities: what tools return and plans show.

The model reads these, so they hold the fields a person asks about and no
more. Secrets never appear: a datastore's credentials are summarised by their
kind ("account_key"), never by value.
"""

from __future__ import annotations

from typing import Any

CLUSTER, INSTANCE = "cluster", "instance"
_COMPUTE_TYPES = {"amlcompute": CLUSTER, "computeinstance": INSTANCE}


def _enum_text(value: Any) -> Any:
    return getattr(value, "value", value)


def _drop_empty(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if v not in (None, {}, [], "")}


# -- compute -----------------------------------------------------------------


def compute_summary(compute: Any) -> dict:
    kind = _COMPUTE_TYPES.get(str(_enum_text(compute.type)).lower(), str(_enum_text(compute.type)))
    summary: dict[str, Any] = {"name": compute.name, "type": kind, "size": compute.size}
    if kind == CLUSTER:
        summary.update(
            min_instances=compute.min_instances, max_instances=compute.max_instances,
            tier=_enum_text(compute.tier) or "dedicated",
            idle_time_before_scale_down=compute.idle_time_before_scale_down,
        )
    elif kind == INSTANCE:
        summary["state"] = getattr(compute, "state", None)
    return summary


def compute_line(summary: dict | None) -> str:
    """'STANDARD_DS3_v2 x 0..4, low priority' or 'STANDARD_DS11_v2 instance, Running'."""
    if summary is None:
        return "absent"
    if summary["type"] == CLUSTER:
        tier = str(summary.get("tier") or "dedicated").replace("_", " ")
        return f"{summary['size']} x {summary['min_instances']}..{summary['max_instances']}, {tier}"
    return f"{summary['size']} {summary['type']}, {summary.get('state') or 'unknown state'}"


# -- datastores ----------------------------------------------------------------

_CREDENTIAL_KINDS = {
    "AccountKeyConfiguration": "account_key",
    "SasTokenConfiguration": "sas_token",
    "ServicePrincipalConfiguration": "service_principal",
    "CertificateConfiguration": "certificate",
    "NoneCredentialConfiguration": "none",
}


def _datastore_type(value: Any) -> str:
    """DatastoreType.AZURE_BLOB -> 'azure_blob', the word YAML and the CLI use."""
    return str(getattr(value, "name", value)).lower()


def credential_kind(credentials: Any) -> str:
    if credentials is None:
        return "none"
    return _CREDENTIAL_KINDS.get(type(credentials).__name__, "identity")


def datastore_summary(datastore: Any) -> dict:
    tags = dict(datastore.tags or {})
    return _drop_empty({
        "name": datastore.name,
        "type": _datastore_type(datastore.type),
        "account_name": getattr(datastore, "account_name", None),
        "container_name": getattr(datastore, "container_name", None) or getattr(datastore, "filesystem", None),
        "credentials": credential_kind(getattr(datastore, "credentials", None)),
        "default": tags.get("is_default") == "true" or None,
        "local_path": tags.get("local_path"),
        "description": datastore.description,
    })


# -- versioned assets ----------------------------------------------------------


def _created(entity: Any) -> dict:
    context = getattr(entity, "creation_context", None)
    if context is None:
        return {}
    created_at = getattr(context, "created_at", None)
    return {"created_by": getattr(context, "created_by", None), "created_at": str(created_at) if created_at else None}


def asset_summary(entity: Any) -> dict:
    """Data assets and models: name, version, type, path, description, tags."""
    return _drop_empty({
        "name": entity.name, "version": entity.version, "type": str(_enum_text(entity.type)),
        "path": str(entity.path) if entity.path else None, "description": entity.description,
        "tags": dict(entity.tags or {}), **_created(entity),
    })


def environment_summary(environment: Any) -> dict:
    conda = environment.conda_file if isinstance(environment.conda_file, dict) else None
    return _drop_empty({
        "name": environment.name, "version": environment.version, "image": environment.image,
        "conda_dependencies": _conda_dependencies(conda),
        "curated": (environment.tags or {}).get("curated") == "true" or None,
        "description": environment.description,
        "tags": {k: v for k, v in (environment.tags or {}).items() if k not in ("curated", "local_interpreter")},
        **_created(environment),
    })


def _conda_dependencies(conda: dict | None) -> list[str]:
    """The conda file's dependencies, pip ones flattened in: ['python=3.11', 'scikit-learn==1.5.0']."""
    flat: list[str] = []
    for dependency in (conda or {}).get("dependencies") or []:
        if isinstance(dependency, dict):
            flat.extend(str(d) for d in dependency.get("pip") or [])
        else:
            flat.append(str(dependency))
    return flat


def component_summary(component: Any) -> dict:
    environment = component.environment if isinstance(getattr(component, "environment", None), str) else None
    return _drop_empty({
        "name": component.name, "version": component.version, "type": str(_enum_text(component.type)),
        "display_name": component.display_name, "description": component.description,
        "inputs": sorted(component.inputs or {}), "outputs": sorted(component.outputs or {}),
        "environment": environment, "command": getattr(component, "command", None),
        **_created(component),
    })


def asset_line(summary: dict) -> str:
    """'diabetes:3 (uri_folder)' for plan summaries."""
    kind = summary.get("type")
    return f"{summary['name']}:{summary.get('version')}" + (f" ({kind})" if kind else "")
