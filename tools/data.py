"""data-*: data assets (uri_file, uri_folder, mltable) with immutable versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from tools.base import ML, Plan, one_of, tool
from tools.assets import AssetName, AssetPlugin, AssetVersion, Description, IncludeArchived, NewVersion, Reference, Tags, split_reference
from workspace.errors import UserInputError

READ, WRITE, DELETE = f"{ML}/data/read", f"{ML}/data/write", f"{ML}/data/delete"
DATA_TYPES = ("uri_file", "uri_folder", "mltable")

DataPath = Annotated[str, Field(min_length=1, max_length=2048),
                     "Local file or folder (it is uploaded), or a URI: azureml://datastores/<name>/paths/<path>, https://..."]
DataType = Annotated[Literal[DATA_TYPES] | None, one_of(*DATA_TYPES),
                     "uri_file (one file), uri_folder (a folder) or mltable (a folder with an MLTable file); "
                     "omit to infer it from a local path"]


def infer_type(path: Path) -> str:
    if path.is_file():
        return "uri_file"
    return "mltable" if (path / "MLTable").is_file() else "uri_folder"


def check_local(path: Path, given: str, data_type: str) -> None:
    """What the workspace would refuse, said before anything is uploaded."""
    if not path.exists():
        raise UserInputError.missing_path("path", given)
    if data_type == "uri_file" and not path.is_file():
        raise UserInputError.invalid("path", given, "is a folder, but a uri_file asset needs a file")
    if data_type != "uri_file" and not path.is_dir():
        raise UserInputError.invalid("path", given, f"is a file, but a {data_type} asset needs a folder")
    if data_type == "mltable" and not (path / "MLTable").is_file():
        raise UserInputError.invalid("path", given, "has no MLTable file; an mltable asset is a folder holding one")


class DataPlugin(AssetPlugin):
    plugin_name = "data"
    kind = "data"
    description = "Data assets: register files and folders as versioned data, look at rows, archive old versions."

    @tool(effect="read", permission=READ, examples=[
        "what data do I have?", "list data assets", "show all versions of diabetes", "list my datasets",
        "which data assets are archived?", "what versions of diabetes-training exist?",
    ])
    def list(
        self,
        name: Annotated[str | None, Field(max_length=255), "List every version of this asset; omit for the latest of each"] = None,
        include_archived: IncludeArchived = False,
    ) -> list[dict]:
        """List data assets (latest version of each), or every version of one asset, with type, path and tags."""
        return self.list_assets(name, include_archived)

    @tool(effect="read", permission=READ, examples=[
        "show data asset diabetes", "where does diabetes:2 point?", "details of azureml:diabetes@latest",
        "what type is the diabetes data?", "who registered diabetes version 1?",
    ])
    def get(self, name: Reference, version: AssetVersion = None) -> dict:
        """Show one data asset version (latest by default): type, path, description, tags, who created it."""
        name, version = split_reference(name, version)
        return self.summarize(self.get_version(name, version))

    @tool(effect="write", permission=WRITE, examples=[
        "register ./data/diabetes.csv as diabetes", "create a data asset from the folder ./images",
        "upload diabetes-training from ~/data/diabetes as an mltable", "make a new version of diabetes from ./v2",
        "register azureml://datastores/trainingblobs/paths/raw/ as raw-data", "add data asset sales version 3 from sales.csv",
    ])
    def create(
        self,
        name: AssetName,
        path: DataPath,
        type: DataType = None,
        version: NewVersion = None,
        description: Description = None,
        tags: Tags = None,
    ) -> dict:
        """Register a data asset version from a local file/folder (snapshotted, later edits don't change it) or a datastore/web URI.

        Without a version it takes the next number; versions are immutable.
        """
        plan = self.preview_create(name, path, type, version, description, tags)
        from azure.ai.ml.entities import Data

        entity = Data(name=name, path=path, type=plan.desired["type"], version=version, description=description, tags=tags or {})
        created = self.group.create_or_update(entity)
        return {"status": "registered", "data": self.summarize(created), "summary": plan.summary}

    def preview_create(self, name: AssetName, path: DataPath, type: DataType = None, version: NewVersion = None,
                       description: Description = None, tags: Tags = None) -> Plan:
        data_type = self._check_path(path, type)
        desired = {"type": data_type, "path": path, **({"description": description} if description else {}),
                   **({"tags": tags} if tags else {})}
        return self.create_plan(name, version, desired, what=f"{data_type} {path}")

    def _check_path(self, path: str, data_type: str | None) -> str:
        if path.startswith("azureml://datastores/"):
            datastore = path.split("/")[3]
            self.client.datastores.get(datastore)  # raises, naming the known datastores
            resolve = getattr(self.client.datastores, "resolve", None)  # the local backend can look inside
            local = resolve(path) if resolve else None
            if local is not None:
                data_type = data_type or infer_type(local)
                check_local(local, path, data_type)
            return data_type or ("uri_folder" if path.endswith("/") else "uri_file")
        if "://" in path and not path.startswith("file://"):
            return data_type or ("uri_folder" if path.endswith("/") else "uri_file")
        local = Path(path.removeprefix("file://")).expanduser()
        if not local.exists():
            raise UserInputError.missing_path("path", path)
        data_type = data_type or infer_type(local)
        check_local(local, path, data_type)
        return data_type

    @tool(effect="write", permission=WRITE, examples=[
        "archive diabetes version 1", "hide the old diabetes data", "archive data asset sales",
        "retire diabetes:2", "archive the raw-data dataset",
    ])
    def archive(self, name: AssetName, version: AssetVersion = None) -> dict:
        """Archive one version of a data asset, or the whole asset when no version is given. Archived data is hidden from lists and @latest but still usable by exact version."""
        return self.apply_archive(self.preview_archive(name, version))

    def preview_archive(self, name: AssetName, version: AssetVersion = None) -> Plan:
        return self.archive_plan(name, version, True)

    @tool(effect="write", permission=WRITE, examples=[
        "restore diabetes version 1", "unarchive the sales data", "bring back diabetes:2",
        "restore data asset raw-data", "undo archiving diabetes",
    ])
    def restore(self, name: AssetName, version: AssetVersion = None) -> dict:
        """Restore an archived data asset version (or the whole asset when no version is given)."""
        return self.apply_archive(self.preview_restore(name, version))

    def preview_restore(self, name: AssetName, version: AssetVersion = None) -> Plan:
        return self.archive_plan(name, version, False)

    @tool(effect="read", permission=READ, examples=[
        "show me the first rows of diabetes", "peek at diabetes-training", "what columns does diabetes have?",
        "preview 5 rows of sales:2", "what does the diabetes data look like?", "head of diabetes",
    ])
    def preview_rows(
        self, name: Reference, version: AssetVersion = None,
        rows: Annotated[int, Field(ge=1, le=50), "How many rows to show (at most 50)"] = 10,
    ) -> dict:
        """Show the first rows and the column names of a tabular data asset (mltable, or csv/parquet/json files)."""
        name, version = split_reference(name, version)
        entity = self.get_version(name, version)
        load = getattr(self.group, "load_dataframe", None)
        if load is None:
            raise UserInputError.invalid("name", name, "can't be read here: reading rows needs the local workspace backend")
        frame = load(entity.name, version=str(entity.version))
        table = json.loads(frame.head(rows).to_json(orient="split", index=False, date_format="iso"))
        return {"name": entity.name, "version": str(entity.version), "columns": table["columns"],
                "rows": table["data"], "total_rows": len(frame)}
