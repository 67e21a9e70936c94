"""``client.data``: uri_file, uri_folder and mltable assets."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from workspace.errors import NotSupportedLocallyError, UserInputError
from workspace.local.operations._versioned import VersionedAssetOperations
from workspace.local.references import parse_datastore_path
from workspace.local.store import AssetRow

DATA_TYPES = ("uri_file", "uri_folder", "mltable")
_REMOTE_SCHEMES = ("http", "https", "wasbs", "wasb", "abfss", "abfs", "adl", "s3", "gs")


class DataOperations(VersionedAssetOperations):
    kind = "data"
    label = "data"

    def _prepare(self, entity: Any) -> tuple[dict, str]:
        data_type = str(getattr(entity, "type", None) or "uri_folder")
        if data_type not in DATA_TYPES:
            raise UserInputError.invalid("type", data_type, f"is not a data type; use one of {', '.join(DATA_TYPES)}")
        path = getattr(entity, "path", None)
        if not path:
            raise UserInputError.missing("path", "a local file or folder, or an azureml:// or https:// URI")
        uri, content = self._resolve_path(str(path), data_type)
        spec = dict(entity._to_dict())
        spec.update(type=data_type, path=uri)
        spec.pop("version", None)
        content_hash = hashlib.sha256(f"{data_type}\0{content}".encode()).hexdigest()
        return spec, content_hash

    def _resolve_path(self, path: str, data_type: str) -> tuple[str, str]:
        """Returns the stored URI and what identifies its content."""
        if path.startswith("azureml://"):
            return path, self._check_datastore_path(path, data_type)
        scheme = urlparse(path).scheme
        if scheme in _REMOTE_SCHEMES:
            return path, path
        local = Path(path[len("file://"):] if scheme == "file" else path).expanduser()
        check_local_data(local, data_type)
        relpath, content_hash = self._ctx.blobstore.snapshot(local)
        return self._ctx.blobstore.uri(relpath), content_hash

    def _check_datastore_path(self, uri: str, data_type: str) -> str:
        parsed = parse_datastore_path(uri)
        if parsed is None:
            raise UserInputError.invalid("path", uri, "is not a datastore path like azureml://datastores/<name>/paths/<path>")
        from workspace.local.operations.datastores import DatastoreOperations

        local = DatastoreOperations(self._ctx).resolve(uri)
        if local is not None:
            check_local_data(local, data_type)
        return uri

    def _to_entity(self, row: AssetRow) -> Any:
        from azure.ai.ml.entities import Data

        return self._with_context(Data._load(data=row.spec), row)

    # -- local helpers beyond MLClient ------------------------------------

    def local_path(self, name: str, version: str | None = None, label: str | None = None) -> Path:
        """Where a data asset's files live on this machine."""
        from workspace.local.operations.datastores import DatastoreOperations

        row = self._row(name, version, label)
        local = DatastoreOperations(self._ctx).resolve(row.spec["path"])
        if local is None:
            raise NotSupportedLocallyError.field(
                "path", row.spec["path"], "the data lives on a remote store; download it or register a local copy"
            )
        return local

    def load_dataframe(self, name: str, version: str | None = None, label: str | None = None):
        """Read a data asset into pandas: MLTable with the mltable package, files by suffix."""
        row = self._row(name, version, label)
        path = self.local_path(name, row.version)
        if row.spec["type"] == "mltable":
            import mltable

            return mltable.load(str(path)).to_pandas_dataframe()
        return _read_table(path)


def check_local_data(path: Path, data_type: str) -> None:
    if not path.exists():
        raise UserInputError.missing_path("path", path)
    if data_type == "uri_file" and not path.is_file():
        raise UserInputError.invalid("path", str(path), "is a folder, but a uri_file asset needs a file")
    if data_type in ("uri_folder", "mltable") and not path.is_dir():
        raise UserInputError.invalid("path", str(path), f"is a file, but a {data_type} asset needs a folder")
    if data_type == "mltable":
        check_mltable_folder(path)


def check_mltable_folder(folder: Path) -> None:
    """An MLTable folder needs a readable MLTable file whose local paths stay inside it."""
    import yaml

    spec_file = folder / "MLTable"
    if not spec_file.is_file():
        raise UserInputError.invalid("path", str(folder), "has no MLTable file; an mltable asset is a folder holding one")
    try:
        spec = yaml.safe_load(spec_file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UserInputError.invalid("MLTable", str(spec_file), f"is not valid YAML ({_first_line(exc)})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), list):
        raise UserInputError.invalid("MLTable", str(spec_file), "needs a 'paths' list")
    for entry in spec["paths"]:
        target = next((entry[k] for k in ("file", "folder", "pattern") if isinstance(entry, dict) and k in entry), None)
        if not isinstance(target, str):
            raise UserInputError.invalid("MLTable.paths", entry, "needs a file, folder or pattern")
        if "://" in target:
            continue
        resolved = (folder / target).resolve()
        if not resolved.is_relative_to(folder.resolve()):
            raise UserInputError.invalid("MLTable.paths", target, "points outside the MLTable folder, so it can't be snapshotted")
        if "pattern" not in entry and not resolved.exists():
            raise UserInputError.missing_path("MLTable.paths", target)


def _read_table(path: Path):
    import pandas as pd

    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".csv", ".parquet", ".json", ".jsonl"))
        if not files:
            raise UserInputError.invalid("path", str(path), "holds no .csv, .parquet or .json files to read")
        return pd.concat([_read_table(f) for f in files], ignore_index=True)
    readers = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".json": pd.read_json}
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    if path.suffix not in readers:
        raise UserInputError.invalid("path", str(path), "is not a .csv, .parquet, .json or .jsonl file")
    return readers[path.suffix](path)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
