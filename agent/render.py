"""How workspace entities look on a terminal: tables, YAML, JSON and one-line summaries.

Everything goes through ``entity_dict``, which scrubs secret fields, so no
output path can print a datastore key even if a backend forgot to hide it.
"""

from __future__ import annotations

import json
import re
from enum import Enum
from typing import Any, Callable, Iterable

from rich.table import Table
from rich.text import Text

# Credential fields of datastores (and, later, endpoint keys): hidden wherever they appear.
SECRET_KEYS = ("account_key", "sas_token", "client_secret", "certificate", "password", "primary_key", "secondary_key")
HIDDEN = "<hidden>"


# -- plain data ---------------------------------------------------------------


def entity_dict(entity: Any) -> dict:
    """The entity as plain JSON-able data (``entity._to_dict()``), secrets hidden."""
    raw = entity._to_dict()
    plain = json.loads(json.dumps(raw, default=str))
    return scrub(plain)


def scrub(value: Any) -> Any:
    """A copy with every secret-looking field's value replaced by ``<hidden>``."""
    if isinstance(value, dict):
        return {k: HIDDEN if _is_secret(k, v) else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _is_secret(key: Any, value: Any) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_KEYS and value not in (None, "", {})


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)


def to_yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# -- one-line summaries ---------------------------------------------------------


def applied_line(kind: str, entity: Any, existed: bool) -> str:
    """'compute cpu-cluster created', 'data diabetes version 1 registered', ..."""
    version = getattr(entity, "version", None)
    if version is not None and kind not in ("compute", "datastore"):
        return f"{kind} {entity.name} version {version} registered"
    return f"{kind} {entity.name} {'updated' if existed else 'created'}"


# -- tables ---------------------------------------------------------------------


def entity_table(kind: str, entities: Iterable[Any]) -> Table:
    headers, row = _COLUMNS[kind]
    table = Table(*headers, header_style="bold", show_lines=False)
    for entity in entities:
        # Text cells: values such as '[x]' must not be read as rich markup.
        table.add_row(*(Text(_cell(v)) for v in row(entity)))
    return table


def key_value_table(rows: Iterable[tuple[str, Any]], title: str | None = None) -> Table:
    table = Table(show_header=False, title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(Text(key), Text(_cell(value)))
    return table


def _cell(value: Any) -> str:
    if value is None or value == "" or value == {}:
        return "-"
    if isinstance(value, Enum):  # e.g. DatastoreType.AZURE_BLOB → azure_blob
        return str(value.value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _created(entity: Any) -> Any:
    context = getattr(entity, "creation_context", None)
    created = getattr(context, "created_at", None)
    return str(created)[:19].replace("T", " ") if created else None


def _compute_row(c: Any) -> list[Any]:
    if c.type == "amlcompute":
        scale = f"{c.min_instances or 0}..{c.max_instances}"
        idle = f"{c.idle_time_before_scale_down}s" if c.idle_time_before_scale_down is not None else None
        state = c.provisioning_state
    else:
        scale = "1"
        minutes = getattr(c, "idle_time_before_shutdown_minutes", None)
        idle = f"{minutes}m" if minutes else None
        state = getattr(c, "state", None) or c.provisioning_state
    return [c.name, c.type, getattr(c, "size", None), scale, getattr(c, "tier", None), idle, state]


def _datastore_row(d: Any) -> list[Any]:
    yaml_type = d._to_dict().get("type")  # the YAML spelling (azure_blob), not the enum's (AzureBlob)
    return [d.name, yaml_type, _datastore_location(d), credentials_type(getattr(d, "credentials", None))]


def _datastore_location(d: Any) -> str:
    if (d.tags or {}).get("local_path"):
        return d.tags["local_path"]
    account = getattr(d, "account_name", None) or getattr(d, "store_name", None)
    container = (getattr(d, "container_name", None) or getattr(d, "filesystem", None)
                 or getattr(d, "file_share_name", None))
    return "/".join(part for part in (account, container) if part)


def credentials_type(credentials: Any) -> str:
    """'AccountKeyConfiguration' → 'account key'; the type, never the value."""
    if credentials is None:
        return "none"
    name = type(credentials).__name__.removesuffix("Configuration").removesuffix("Credential")
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    return "none (identity)" if words == "none" else words


def _data_row(d: Any) -> list[Any]:
    return [d.name, d.version, d.type, d.path, _created(d)]


def _model_row(m: Any) -> list[Any]:
    return [m.name, m.version, m.type, m.tags]


def _environment_row(e: Any) -> list[Any]:
    source = e.image or ""
    if e.conda_file:
        source = f"{source} + conda" if source else "conda"
    if getattr(e, "build", None):
        source = f"build: {getattr(e.build, 'path', e.build)}"
    curated = "yes" if (e.tags or {}).get("curated") == "true" else ""
    return [e.name, e.version, source, curated]


def _component_row(c: Any) -> list[Any]:
    return [c.name, c.version, c.type, getattr(c, "environment", None), c.display_name]


def _endpoint_row(e: Any) -> list[Any]:
    return [e.name, e.auth_mode, e.traffic, e.mirror_traffic, e.provisioning_state, e.scoring_uri]


def _batch_endpoint_row(e: Any) -> list[Any]:
    defaults = getattr(e, "defaults", None)
    return [e.name, getattr(defaults, "deployment_name", None), e.provisioning_state, e.description]


_COLUMNS: dict[str, tuple[tuple[str, ...], Callable[[Any], list[Any]]]] = {
    "compute": (("name", "type", "size", "instances", "tier", "idle", "state"), _compute_row),
    "datastore": (("name", "type", "account/container", "credentials"), _datastore_row),
    "data": (("name", "version", "type", "path", "created"), _data_row),
    "model": (("name", "version", "type", "tags"), _model_row),
    "environment": (("name", "version", "image/conda", "curated"), _environment_row),
    "component": (("name", "version", "type", "environment", "display name"), _component_row),
    "endpoint": (("name", "auth", "traffic", "mirror", "state", "scoring uri"), _endpoint_row),
    "batch-endpoint": (("name", "default deployment", "state", "description"), _batch_endpoint_row),
}
