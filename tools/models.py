"""models-*: registered models (custom and MLflow), versioned in the workspace's registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from tools.base import ML, Plan, one_of, tool
from tools.assets import AssetName, AssetPlugin, AssetVersion, Description, IncludeArchived, NewVersion, Reference, Tags, split_reference
from workspace.errors import UserInputError

READ, WRITE = f"{ML}/models/read", f"{ML}/models/write"
MODEL_TYPES = ("mlflow_model", "custom_model")
_REGISTRY_SCHEMES = ("runs:/", "models:/")

ModelPath = Annotated[str, Field(min_length=1, max_length=2048),
                      "Local file or folder, runs:/<run_id>/<artifact path> of a tracked run, or azureml://datastores/<name>/paths/<path>"]
ModelType = Annotated[Literal[MODEL_TYPES] | None, one_of(*MODEL_TYPES),
                      "mlflow_model (a folder with an MLmodel file) or custom_model (any files); omit to infer from the folder"]


class ModelsPlugin(AssetPlugin):
    plugin_name = "models"
    kind = "model"
    description = "Models: register trained models as versions, find them, archive them, download their files."

    @tool(effect="read", permission=READ, examples=[
        "what models do I have?", "list registered models", "show all versions of diabetes-model",
        "which models are archived?", "list models", "what's the latest version of credit-model?",
    ])
    def list(
        self,
        name: Annotated[str | None, Field(max_length=255), "List every version of this model; omit for the latest of each"] = None,
        include_archived: IncludeArchived = False,
    ) -> list[dict]:
        """List registered models (latest version of each), or every version of one model, with type, path and tags."""
        return self.list_assets(name, include_archived)

    @tool(effect="read", permission=READ, examples=[
        "show model diabetes-model", "details of diabetes-model version 2", "what type is credit-model?",
        "who registered azureml:diabetes-model:1?", "where are the files of diabetes-model@latest?",
    ])
    def get(self, name: Reference, version: AssetVersion = None) -> dict:
        """Show one model version (latest by default): type, path, description, tags, who registered it."""
        name, version = split_reference(name, version)
        return self.summarize(self.get_version(name, version))

    @tool(effect="write", permission=WRITE, examples=[
        "register the model in ./outputs/model as diabetes-model", "register the best run's model runs:/abc123/model",
        "create model credit-model from ./model.pkl", "save ./mlruns/model as a new version of diabetes-model",
        "register an mlflow model from ./exported", "add model fraud-detector version 3 from ./fd",
    ])
    def create(
        self,
        name: AssetName,
        path: ModelPath,
        type: ModelType = None,
        version: NewVersion = None,
        description: Description = None,
        tags: Tags = None,
    ) -> dict:
        """Register a model version from local files or a tracked run; the files are snapshotted and the next version number is taken unless one is given."""
        plan = self.preview_create(name, path, type, version, description, tags)
        from azure.ai.ml.entities import Model

        entity = Model(name=name, path=path, type=plan.desired["type"], version=version, description=description, tags=tags or {})
        created = self.group.create_or_update(entity)
        return {"status": "registered", "model": self.summarize(created), "summary": plan.summary}

    def preview_create(self, name: AssetName, path: ModelPath, type: ModelType = None, version: NewVersion = None,
                       description: Description = None, tags: Tags = None) -> Plan:
        model_type = self._check_path(path, type)
        desired = {"type": model_type, "path": path, **({"description": description} if description else {}),
                   **({"tags": tags} if tags else {})}
        return self.create_plan(name, version, desired, what=f"{model_type} {path}")

    def _check_path(self, path: str, model_type: str | None) -> str:
        if path.startswith(_REGISTRY_SCHEMES):
            return model_type or "mlflow_model"  # what MLflow logs is an MLflow model
        if path.startswith("azureml://datastores/"):
            self.client.datastores.get(path.split("/")[3])  # raises, naming the known datastores
            return model_type or "custom_model"
        if "://" in path and not path.startswith("file://"):
            return model_type or "custom_model"
        local = Path(path.removeprefix("file://")).expanduser()
        if not local.exists():
            raise UserInputError.missing_path("path", path)
        has_mlmodel = (local / "MLmodel").is_file()
        model_type = model_type or ("mlflow_model" if has_mlmodel else "custom_model")
        if model_type == "mlflow_model" and not has_mlmodel:
            raise UserInputError.invalid("path", path, "has no MLmodel file; an mlflow_model is a folder written by mlflow.<flavor>.save_model")
        return model_type

    @tool(effect="write", permission=WRITE, examples=[
        "archive diabetes-model version 1", "archive the old credit model", "hide model fraud-detector",
        "retire diabetes-model:2", "archive all versions of test-model",
    ])
    def archive(self, name: AssetName, version: AssetVersion = None) -> dict:
        """Archive one model version, or the whole model when no version is given; archived models are hidden from lists and @latest."""
        return self.apply_archive(self.preview_archive(name, version))

    def preview_archive(self, name: AssetName, version: AssetVersion = None) -> Plan:
        return self.archive_plan(name, version, True)

    @tool(effect="write", permission=WRITE, examples=[
        "restore diabetes-model version 1", "unarchive credit-model", "bring back fraud-detector",
        "restore diabetes-model:2", "undo archiving test-model",
    ])
    def restore(self, name: AssetName, version: AssetVersion = None) -> dict:
        """Restore an archived model version (or the whole model when no version is given)."""
        return self.apply_archive(self.preview_restore(name, version))

    def preview_restore(self, name: AssetName, version: AssetVersion = None) -> Plan:
        return self.archive_plan(name, version, False)

    @tool(effect="write", permission=READ, examples=[
        "download diabetes-model", "get the files of credit-model version 2 into ./models",
        "download the latest diabetes-model to /tmp/m", "save a copy of fraud-detector:1 locally",
        "fetch model diabetes-model's files",
    ])
    def download(
        self,
        name: Reference,
        version: AssetVersion = None,
        download_path: Annotated[str, Field(min_length=1, max_length=2048), "Folder to download into; files go to <folder>/<name>/"] = ".",
    ) -> dict:
        """Download a model version's files to a folder on this machine (into <download_path>/<name>/).

        It changes nothing in the workspace, but it writes files here, so it asks first.
        """
        plan = self.preview_download(name, version, download_path)
        self.group.download(name=plan.desired["name"], version=plan.desired["version"], download_path=download_path)
        return {"status": "downloaded", "path": plan.desired["path"], "summary": plan.summary}

    def preview_download(self, name: Reference, version: AssetVersion = None, download_path: str = ".") -> Plan:
        name, version = split_reference(name, version)
        model = self.get_version(name, version)
        folder = Path(download_path).expanduser()
        if folder.exists() and not folder.is_dir():
            raise UserInputError.invalid("download_path", download_path, "is a file; give a folder")
        target = folder / model.name
        warnings = [f"{target} exists; files with the same names are overwritten"] if target.exists() else []
        return Plan(
            action="download model", target=f"models/{model.name}:{model.version}", current=None,
            desired={"name": model.name, "version": str(model.version), "path": str(target)},
            summary=f"model {model.name}:{model.version} -> files in {target}", resource_name=model.name, warnings=warnings,
        )
