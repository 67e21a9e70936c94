"""components-*: reusable job steps registered from Azure ML component YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from tools.base import ML, Plan, tool
from tools.assets import AssetName, AssetPlugin, AssetVersion, NewVersion, Reference, split_reference
from tools.results import component_summary
from workspace.errors import UserInputError

READ, WRITE = f"{ML}/components/read", f"{ML}/components/write"

YamlPath = Annotated[str, Field(min_length=1, max_length=2048), "Path of the component's YAML file (Azure ML CLI v2 format)"]


class ComponentsPlugin(AssetPlugin):
    plugin_name = "components"
    kind = "component"
    description = "Components: reusable, versioned job steps (command components) defined in YAML."

    def summarize(self, entity: Any) -> dict:
        return component_summary(entity)

    @tool(effect="read", permission=READ, examples=[
        "what components do I have?", "list components", "show all versions of train_model",
        "which pipeline steps are registered?", "list my components including archived ones",
    ])
    def list(
        self,
        name: Annotated[str | None, Field(max_length=255), "List every version of this component; omit for the latest of each"] = None,
        include_archived: Annotated[bool, "Also list archived components/versions"] = False,
    ) -> list[dict]:
        """List components (latest version of each), or every version of one, with inputs, outputs and environment."""
        return self.list_assets(name, include_archived)

    @tool(effect="read", permission=READ, examples=[
        "show component train_model", "what inputs does train_model take?", "which environment does train_model use?",
        "details of azureml:train_model:2", "what command does train_model run?",
    ])
    def get(self, name: Reference, version: AssetVersion = None) -> dict:
        """Show one component version (latest by default): inputs, outputs, environment and command."""
        name, version = split_reference(name, version)
        return self.summarize(self.get_version(name, version))

    @tool(effect="write", permission=WRITE, examples=[
        "register the component in ./train/component.yml", "create a component from component.yaml",
        "add train_model from ./components/train.yml as version 2", "register my training step from src/train.yml",
        "publish the component defined in score.yml",
    ])
    def create(
        self,
        path: YamlPath,
        version: Annotated[NewVersion, "Version to register, overriding the YAML's; omit to keep the YAML's or take the next number"] = None,
    ) -> dict:
        """Register a component from its YAML file; its code folder is snapshotted, so later edits don't change this version."""
        plan = self.preview_create(path, version)
        component = self._load(path)
        component.version = plan.desired["version"]
        created = self.group.create_or_update(component)
        return {"status": "registered", "component": self.summarize(created), "summary": plan.summary}

    def preview_create(self, path: YamlPath, version: NewVersion = None) -> Plan:
        component = self._load(path)
        self._check_environment(component.environment)
        version = version or (str(component.version) if component.version else None)
        desired = component_summary(component)
        desired.pop("version", None)
        return self.create_plan(component.name, version, desired, what=f"{component.type} component from {path}")

    def _load(self, path: str) -> Any:
        from workspace.loaders import entity_kind, load_entity

        if not Path(path).expanduser().is_file():
            raise UserInputError.missing_path("path", path)
        entity = load_entity(path)  # one-line errors naming the file and field
        kind = entity_kind(entity)
        if kind not in ("component", "pipeline component"):
            raise UserInputError.invalid("path", path, f"defines a {kind}, not a component")
        return entity

    def _check_environment(self, environment: Any) -> None:
        """A named environment must exist; an inline one is checked when registering."""
        if not isinstance(environment, str):
            return
        name, version = split_reference(environment, None)
        self.client.environments.get(name, version=version) if version else self.client.environments.get(name, label="latest")

    @tool(effect="write", permission=WRITE, examples=[
        "archive component train_model", "archive train_model version 1", "hide the old prep_data component",
        "retire train_model:2", "archive my scoring component",
    ])
    def archive(self, name: AssetName, version: AssetVersion = None) -> dict:
        """Archive one component version, or the whole component when no version is given."""
        return self.apply_archive(self.preview_archive(name, version))

    def preview_archive(self, name: AssetName, version: AssetVersion = None) -> Plan:
        return self.archive_plan(name, version, True)

    @tool(effect="write", permission=WRITE, examples=[
        "restore component train_model", "unarchive train_model version 1", "bring back prep_data",
        "restore train_model:2", "undo archiving the scoring component",
    ])
    def restore(self, name: AssetName, version: AssetVersion = None) -> dict:
        """Restore an archived component version (or the whole component when no version is given)."""
        return self.apply_archive(self.preview_restore(name, version))

    def preview_restore(self, name: AssetName, version: AssetVersion = None) -> Plan:
        return self.archive_plan(name, version, False)
