"""Resolve a job's code, inputs and outputs at submit time, and bind them into its command.

Everything is checked before a job is queued: a missing path, an unknown data
reference or a ``${{inputs.x}}`` that the job does not declare is one
``UserInputError`` line naming the field. Local files are snapshotted into the
default datastore, as Azure ML uploads them, so later edits never reach a job.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from workspace.errors import NotSupportedLocallyError, ResourceNotFoundError, UserInputError
from workspace.local.context import DEFAULT_DATASTORE, WorkspaceContext
from workspace.local.references import parse_datastore_path

PLACEHOLDER = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)
DATA_TYPES = ("uri_file", "uri_folder", "mltable")
MODEL_TYPES = ("mlflow_model", "custom_model")
PRIMITIVE_TYPES = ("integer", "number", "string", "boolean")


# -- code ------------------------------------------------------------------


def resolve_code(ctx: WorkspaceContext, code: Any, base_path: Path) -> dict | None:
    """Snapshot the code folder; returns its datastore URI and local path."""
    if not code:
        return None
    text = str(code)
    if text.startswith("azureml://datastores/"):
        local = _datastore_local(ctx, text, "code")
        return {"path": text, "local": str(local)}
    if "://" in text or text.startswith(("azureml:", "git+")):
        raise NotSupportedLocallyError.field("code", text, "local jobs take their code from a local folder")
    relpath, _ = ctx.blobstore.snapshot(_local(text, base_path), field="code")
    return {"path": ctx.blobstore.uri(relpath), "local": str(ctx.blobstore.local_path(relpath))}


# -- inputs ------------------------------------------------------------------


def resolve_inputs(ctx: WorkspaceContext, inputs: dict, defaults: dict, base_path: Path) -> dict[str, dict]:
    """Each input as {"type", "value"} (literals) or {"type", "path", "local"} (data and models)."""
    resolved: dict[str, dict] = {}
    for name, value in {**defaults, **(inputs or {})}.items():
        if value is None:
            continue
        resolved[name] = _resolve_input(ctx, name, value, base_path)
    return resolved


def _resolve_input(ctx: WorkspaceContext, name: str, value: Any, base_path: Path) -> dict:
    field = f"inputs.{name}"
    if isinstance(value, (bool, int, float, str)):
        return {"type": "literal", "value": value}
    input_type = str(getattr(value, "type", None) or "uri_folder")
    if input_type in PRIMITIVE_TYPES:
        literal = getattr(value, "default", None)
        if literal is None:
            literal = getattr(value, "path", None)
        if literal is None:
            raise UserInputError.missing(field, f"a {input_type} value")
        return {"type": "literal", "value": literal}
    if input_type not in DATA_TYPES + MODEL_TYPES:
        raise NotSupportedLocallyError.field(f"{field}.type", input_type, f"local jobs take {', '.join(DATA_TYPES + MODEL_TYPES)}")
    path = getattr(value, "path", None)
    if not path:
        raise UserInputError.missing(field, "a local path, azureml:<name>:<version> or azureml://datastores/<name>/paths/<path>")
    stored, local = _resolve_path(ctx, field, str(path), input_type, base_path)
    _check_kind(field, str(path), local, input_type)
    return {"type": input_type, "path": stored, "local": str(local), "mode": getattr(value, "mode", None)}


def _resolve_path(ctx: WorkspaceContext, field: str, path: str, input_type: str, base_path: Path) -> tuple[str, Path]:
    """(what the job records, the local file or folder) for one input path; the order follows Azure ML's."""
    if path.startswith("azureml://datastores/"):
        return path, _datastore_local(ctx, path, field)
    if path.startswith("azureml:") or (
        "://" not in path and not Path(path).is_absolute() and (":" in path or "@" in path)
    ):
        return _resolve_asset(ctx, field, path, input_type)
    if "://" in path:
        raise NotSupportedLocallyError.field(field, path, "local jobs read local data; register a local copy with client.data")
    local = _local(path, base_path, field)
    _check_kind(field, path, local, input_type)
    relpath, _ = ctx.blobstore.snapshot(local, field=field)
    return ctx.blobstore.uri(relpath), ctx.blobstore.local_path(relpath)


def _resolve_asset(ctx: WorkspaceContext, field: str, path: str, input_type: str) -> tuple[str, Path]:
    reference = path if path.startswith("azureml:") else f"azureml:{path}"
    if input_type in MODEL_TYPES:
        from workspace.local.operations.models import ModelOperations as Operations
    else:
        from workspace.local.operations.data import DataOperations as Operations
    operations = Operations(ctx)
    try:
        entity = operations.resolve(reference, field=field)
        local = operations.local_path(entity.name, entity.version)
    except ResourceNotFoundError as exc:
        known = f" ({str(exc).split(' (', 1)[1]}" if " (" in str(exc) else ""  # e.g. (versions: 1, 2)
        raise ResourceNotFoundError(f"{field}: {path!r} was not found in this workspace{known}", field=field, value=path) from None
    if not local.exists():
        raise UserInputError.missing_path(field, local)
    return f"azureml:{entity.name}:{entity.version}", local


def _check_kind(field: str, path: str, local: Path, input_type: str) -> None:
    if input_type == "uri_file" and not local.is_file():
        raise UserInputError.invalid(field, path, "is a folder, but a uri_file input needs a file")
    if input_type in ("uri_folder", "mltable") and not local.is_dir():
        raise UserInputError.invalid(field, path, f"is a file, but a {input_type} input needs a folder")
    if input_type == "mltable" and not (local / "MLTable").is_file():
        raise UserInputError.invalid(field, path, "has no MLTable file; an mltable input is a folder holding one")


# -- outputs -----------------------------------------------------------------


def resolve_outputs(ctx: WorkspaceContext, job_name: str, outputs: dict) -> dict[str, dict]:
    """Each output as a folder (or file) under the default datastore, plus what registers it."""
    resolved = {}
    for name, output in (outputs or {}).items():
        field = f"outputs.{name}"
        output_type = str(getattr(output, "type", None) or "uri_folder")
        if output_type not in DATA_TYPES + MODEL_TYPES:
            raise NotSupportedLocallyError.field(f"{field}.type", output_type, f"local jobs write {', '.join(DATA_TYPES + MODEL_TYPES)}")
        path = getattr(output, "path", None)
        uri = _output_uri(field, str(path), job_name, name) if path else _default_output_uri(ctx, job_name, name, output_type)
        resolved[name] = {
            "type": output_type,
            "path": uri,
            "local": str(ctx.blobstore.local_path(parse_datastore_path(uri).path)),
            "name": getattr(output, "name", None),
            "version": str(output.version) if getattr(output, "version", None) is not None else None,
            "mode": getattr(output, "mode", None),
            "description": getattr(output, "description", None),
        }
    return resolved


def _default_output_uri(ctx: WorkspaceContext, job_name: str, name: str, output_type: str) -> str:
    relpath = f"azureml/{job_name}/{name}/"
    if output_type == "uri_file":
        relpath += name  # a uri_file output binds to a file path inside its own folder
    return ctx.blobstore.uri(relpath)


def _output_uri(field: str, path: str, job_name: str, name: str) -> str:
    # Azure ML expands these two placeholders in output paths.
    path = path.replace("${{name}}", job_name).replace("${{output_name}}", name)
    parsed = parse_datastore_path(path)
    if parsed is None or parsed.datastore != DEFAULT_DATASTORE:
        raise NotSupportedLocallyError.field(
            field, path, f"local jobs write outputs to azureml://datastores/{DEFAULT_DATASTORE}/paths/<path>"
        )
    return path


# -- the command -------------------------------------------------------------


def bind_command(command: str, inputs: dict[str, dict], outputs: dict[str, dict], declared: set[str]) -> str:
    """Replace ``${{inputs.x}}`` / ``${{outputs.y}}``; ``$[[...]]`` blocks stay only if all their inputs are given."""
    if not command or not command.strip():
        raise UserInputError.missing("command", "e.g. python train.py --data ${{inputs.data}}")
    _check_declared(command, inputs, outputs, declared)

    def optional(match: re.Match) -> str:
        names = PLACEHOLDER.findall(match[1])
        present = all((inputs if kind == "inputs" else outputs).get(n) for kind, n in names)
        return match[1] if present else ""

    command = OPTIONAL_BLOCK.sub(optional, command)
    missing = [n for kind, n in PLACEHOLDER.findall(command) if kind == "inputs" and n not in inputs]
    if missing:
        raise UserInputError.missing(f"inputs.{missing[0]}", f"the command uses ${{{{inputs.{missing[0]}}}}}")

    def value(match: re.Match) -> str:
        binding = (inputs if match[1] == "inputs" else outputs)[match[2]]
        if binding["type"] == "literal":
            return str(binding["value"])  # literals substitute as typed, as on Azure ML
        return shlex.quote(binding["local"])  # paths may hold spaces (e.g. 'Application Support')

    return PLACEHOLDER.sub(value, command)


def _check_declared(command: str, inputs: dict, outputs: dict, declared: set[str]) -> None:
    for kind, name in PLACEHOLDER.findall(command):
        known = (set(inputs) | declared) if kind == "inputs" else set(outputs)
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise UserInputError.invalid(
                "command", f"${{{{{kind}.{name}}}}}", f"names {kind[:-1]} {name!r}, which the job does not declare ({kind}: {listed})"
            )


# -- helpers -----------------------------------------------------------------


def _local(path: str, base_path: Path, field: str = "code") -> Path:
    local = Path(path).expanduser()
    if not local.is_absolute():
        local = Path(base_path) / local
    if not local.exists():
        raise UserInputError.missing_path(field, path)
    return local.resolve()


def _datastore_local(ctx: WorkspaceContext, uri: str, field: str) -> Path:
    from workspace.local.operations.datastores import DatastoreOperations

    local = DatastoreOperations(ctx).resolve(uri)
    if local is None:
        raise NotSupportedLocallyError.field(field, uri, "the datastore is remote; local jobs read workspaceblobstore")
    if not local.exists():
        raise UserInputError.missing_path(field, uri)
    return local
