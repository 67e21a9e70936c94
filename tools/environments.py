"""environments-*: what jobs run in: curated environments and user ones (image + conda file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from tools.base import ML, Plan, tool
from tools.assets import AssetName, AssetPlugin, AssetVersion, Description, Reference, Tags, split_reference
from tools.results import environment_summary
from workspace.errors import UserInputError

READ, WRITE = f"{ML}/environments/read", f"{ML}/environments/write"
CURATED_PREFIX = "AzureML-"
DEFAULT_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"  # Azure's usual base for a conda file

Image = Annotated[str | None, Field(min_length=1, max_length=500), "Docker image, e.g. mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"]
CondaFile = Annotated[str | None, Field(min_length=1, max_length=2048), "Path of a conda YAML file listing the packages"]


def read_conda_file(path: str) -> dict:
    import yaml

    local = Path(path).expanduser()
    if not local.is_file():
        raise UserInputError.missing_path("conda_file", path)
    try:
        spec = yaml.safe_load(local.read_text())
    except yaml.YAMLError as exc:
        raise UserInputError.invalid("conda_file", path, f"is not valid YAML ({type(exc).__name__})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("dependencies"), list):
        raise UserInputError.invalid("conda_file", path, "needs a 'dependencies' list")
    return spec


class EnvironmentsPlugin(AssetPlugin):
    plugin_name = "environments"
    kind = "environment"
    description = "Environments: curated ones and user environments from a Docker image and/or a conda file."

    def summarize(self, entity) -> dict:
        return environment_summary(entity)

    @tool(effect="read", permission=READ, examples=[
        "which environments can I use?", "list environments", "show curated environments", "what versions of train-env exist?",
        "is there a sklearn environment?", "list my own environments",
    ])
    def list(
        self,
        name: Annotated[str | None, Field(max_length=255), "List every version of this environment; omit for the latest of each"] = None,
        include_curated: Annotated[bool, "Also list Azure's curated environments (AzureML-*)"] = True,
        include_archived: Annotated[bool, "Also list archived environments/versions"] = False,
    ) -> list[dict]:
        """List environments (latest version of each, curated ones included unless asked not to), or every version of one."""
        found = self.list_assets(name, include_archived)
        return [e for e in found if include_curated or not e.get("curated")]

    @tool(effect="read", permission=READ, examples=[
        "show environment train-env", "what packages are in train-env?", "which image does AzureML-sklearn-1.5 use?",
        "details of azureml:train-env:2", "what's in the latest train-env?",
    ])
    def get(self, name: Reference, version: AssetVersion = None) -> dict:
        """Show one environment version (latest by default): image, conda dependencies, description."""
        name, version = split_reference(name, version)
        return self.summarize(self.get_version(name, version))

    @tool(effect="write", permission=WRITE, examples=[
        "create an environment train-env from conda.yml", "make an environment with scikit-learn from ./env/conda.yaml",
        "register environment gpu-env on image mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04",
        "new version of train-env with this conda file", "create environment infer-env from docker image python:3.11-slim",
    ])
    def create(
        self,
        name: AssetName,
        image: Image = None,
        conda_file: CondaFile = None,
        description: Description = None,
        tags: Tags = None,
    ) -> dict:
        """Register a user environment version from a Docker image and/or a conda file; the next version number is taken.

        With only a conda file, Azure's usual Ubuntu base image is used. Curated names (AzureML-*) are reserved.
        """
        plan = self.preview_create(name, image, conda_file, description, tags)
        from azure.ai.ml.entities import Environment

        entity = Environment(name=name, image=plan.desired["image"], conda_file=conda_file, description=description, tags=tags or {})
        created = self.group.create_or_update(entity)
        return {"status": "registered", "environment": self.summarize(created), "summary": plan.summary}

    def preview_create(self, name: AssetName, image: Image = None, conda_file: CondaFile = None,
                       description: Description = None, tags: Tags = None) -> Plan:
        if name.lower().startswith(CURATED_PREFIX.lower()):
            raise UserInputError.invalid("name", name, f"starts with {CURATED_PREFIX!r}, which is reserved for curated environments")
        latest = self.find_version(name, "latest")
        if latest is not None and (latest.tags or {}).get("curated") == "true":
            raise UserInputError.invalid("name", name, "is a curated environment name; choose another name")
        if image is None and conda_file is None:
            raise UserInputError.missing("image", "give an image, a conda_file, or both")
        warnings = []
        conda = read_conda_file(conda_file) if conda_file else None
        if image is None:
            image = DEFAULT_IMAGE
            warnings.append(f"no image given; using {DEFAULT_IMAGE}")
        desired = {"image": image, **({"conda_file": conda_file} if conda_file else {}),
                   **({"description": description} if description else {}), **({"tags": tags} if tags else {})}
        what = image + (f" + {Path(conda_file).name} ({len(conda['dependencies'])} dependencies)" if conda else "")
        plan = self.create_plan(name, None, desired, what=what)
        plan.warnings.extend(warnings)
        return plan

    @tool(effect="write", permission=WRITE, examples=[
        "archive environment train-env", "archive train-env version 1", "hide old environment versions of infer-env",
        "retire train-env:2", "archive my gpu-env",
    ])
    def archive(self, name: AssetName, version: AssetVersion = None) -> dict:
        """Archive one environment version, or the whole environment when no version is given (curated ones can't be archived)."""
        return self.apply_archive(self.preview_archive(name, version))

    def preview_archive(self, name: AssetName, version: AssetVersion = None) -> Plan:
        self._refuse_curated(name)
        return self.archive_plan(name, version, True)

    @tool(effect="write", permission=WRITE, examples=[
        "restore environment train-env", "unarchive train-env version 1", "bring back gpu-env",
        "restore train-env:2", "undo archiving infer-env",
    ])
    def restore(self, name: AssetName, version: AssetVersion = None) -> dict:
        """Restore an archived environment version (or the whole environment when no version is given)."""
        return self.apply_archive(self.preview_restore(name, version))

    def preview_restore(self, name: AssetName, version: AssetVersion = None) -> Plan:
        self._refuse_curated(name)
        return self.archive_plan(name, version, False)

    def _refuse_curated(self, name: str) -> None:
        if name.lower().startswith(CURATED_PREFIX.lower()):
            raise UserInputError.invalid("name", name, "is a curated environment; it can't be archived or restored")
