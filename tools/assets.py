"""What the versioned-asset plugins (data, environments, components, models) share:
their parameter types, reference parsing, and list/get/archive/restore."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from tools.base import Plan, ToolCall, ToolPlugin
from workspace.errors import ResourceNotFoundError, UserInputError


# Parameters every versioned asset plugin shares (Azure's naming rules).
AssetName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
                      "Asset name: letters, digits, '-', '_' and '.'"]
def _version_text(value: Any) -> Any:
    """A model (or a `version=1` tool line) often sends a number; versions are text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


AssetVersion = Annotated[str | None, BeforeValidator(_version_text), Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
                         "A version like 3; omit (or 'latest') for the latest active version"]
NewVersion = Annotated[str | None, BeforeValidator(_version_text), Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
                       "Version to register; omit to take the next number"]
Description = Annotated[str | None, Field(max_length=1000), "A sentence saying what it is"]
Tags = Annotated[dict[str, str] | None, Field(max_length=50), "Key/value tags, e.g. {\"team\": \"fraud\"}"]
IncludeArchived = Annotated[bool, "Also list archived assets/versions"]
Reference = Annotated[str, Field(min_length=1, max_length=300), "Asset name, or a reference like azureml:name:3 or name@latest"]


def split_reference(name: str, version: str | None) -> tuple[str, str | None]:
    """Accept 'azureml:name:3' or 'name@latest' where a name is expected, as a person might type it."""
    body = name.removeprefix("azureml:")
    if "@" in body:
        body, label = body.split("@", 1)
        if label != "latest":
            raise UserInputError.invalid("name", name, "names a label; only @latest is known, or give a version")
        return body, None if version == "latest" else version
    if ":" in body:
        body, ref_version = body.split(":", 1)
        return body, version or ref_version
    return body, None if version == "latest" else version


class AssetPlugin(ToolPlugin):
    """Shared lookups of the versioned asset groups (data, models, environments, components).

    Versions are immutable, archive/restore work on one version or the whole
    asset, and a missing version means the next integer, as on Azure ML.
    """

    kind: ClassVar[str]  # the noun in messages: "data", "model", "environment", "component"

    @property
    def group(self) -> Any:
        return getattr(self.client, self.plugin_name)

    def summarize(self, entity: Any) -> dict:
        from tools.results import asset_summary

        return asset_summary(entity)

    def versions(self, name: str, view: str = "All") -> list:
        """Every version of ``name`` in a list view (All, ActiveOnly, ArchivedOnly); [] when unknown."""
        from azure.ai.ml.constants import ListViewType

        views = {"All": ListViewType.ALL, "ActiveOnly": ListViewType.ACTIVE_ONLY, "ArchivedOnly": ListViewType.ARCHIVED_ONLY}
        try:
            return list(self.group.list(name=name, list_view_type=views[view]))
        except not_found_errors():
            return []

    def names(self, view: str = "All") -> list[str]:
        from azure.ai.ml.constants import ListViewType

        view_type = {"All": ListViewType.ALL, "ArchivedOnly": ListViewType.ARCHIVED_ONLY}[view]
        return sorted({e.name for e in self.group.list(list_view_type=view_type)})

    def get_version(self, name: str, version: str | None = None) -> Any:
        """One version; None or "latest" means the latest active version."""
        if version in (None, "latest"):
            return self.group.get(name, label="latest")
        return self.group.get(name, version=version)

    def find_version(self, name: str, version: str) -> Any | None:
        try:
            return self.get_version(name, version)
        except not_found_errors():
            return None

    def next_version(self, name: str) -> str:
        numbers = [int(v.version) for v in self.versions(name) if str(v.version).isdigit()]
        return str(max(numbers, default=0) + 1)

    def is_archived(self, name: str, version: str | None) -> bool:
        if version is None:
            return name in self.names("ArchivedOnly")
        return any(str(v.version) == version for v in self.versions(name, "ArchivedOnly"))

    def list_assets(self, name: str | None, include_archived: bool) -> list[dict]:
        view = "All" if include_archived else "ActiveOnly"
        if name is not None:
            entities = self.versions(name, view)
            if not entities and not self.versions(name):
                raise ResourceNotFoundError.of(self.kind, name, known=self.names())
        else:
            from azure.ai.ml.constants import ListViewType

            entities = list(self.group.list(list_view_type=ListViewType.ALL if include_archived else ListViewType.ACTIVE_ONLY))
        return [self.summarize(e) for e in entities]

    def create_plan(self, name: str, version: str | None, desired: dict, what: str) -> Plan:
        """Registering a version: new (undone by archiving it) or an existing one (only description/tags change)."""
        existing = self.find_version(name, version) if version is not None else None
        latest = [v.version for v in self.versions(name, "ActiveOnly")[-1:]]
        target_version = version or self.next_version(name)
        desired = {"name": name, "version": target_version, **desired}
        if existing is not None:
            return Plan(
                action=f"update {self.kind}", target=f"{self.plugin_name}/{name}:{version}",
                current=self.summarize(existing), desired=desired,
                summary=f"{self.kind} {name}:{version}: exists -> same version again ({what}); only description and tags can change",
                resource_name=name,
                warnings=[f"version {version} exists; registering it again fails if its content differs (versions are immutable)"],
            )
        before = f"latest {latest[0]}" if latest else "absent"
        return Plan(
            action=f"create {self.kind}", target=f"{self.plugin_name}/{name}:{target_version}", current=None, desired=desired,
            summary=f"{self.kind} {name}: {before} -> version {target_version} ({what})", resource_name=name,
            inverse=ToolCall(tool=f"{self.plugin_name}-archive", arguments={"name": name, "version": target_version}),
        )

    def archive_plan(self, name: str, version: str | None, archive: bool) -> Plan:
        if version is not None:
            version = str(self.get_version(name, version).version)  # raises for an unknown version; resolves "latest"
        elif not self.versions(name):
            raise ResourceNotFoundError.of(self.kind, name, known=self.names())
        was = self.is_archived(name, version)
        what = f"{name}:{version}" if version else f"{name} (all versions)"
        state = {True: "archived", False: "active"}
        undo = "restore" if archive else "archive"
        arguments = {"name": name, **({"version": version} if version else {})}
        return Plan(
            action=f"{'archive' if archive else 'restore'} {self.kind}", target=f"{self.plugin_name}/{what}",
            current={"name": name, "version": version, "state": state[was]},
            desired={"name": name, "version": version, "state": state[archive]},
            summary=f"{self.kind} {what}: {state[was]} -> {state[archive]}", resource_name=name,
            inverse=None if was == archive else ToolCall(tool=f"{self.plugin_name}-{undo}", arguments=arguments),
            warnings=[f"{self.kind} {what} is already {state[archive]}"] if was == archive else [],
        )

    def apply_archive(self, plan: Plan) -> dict:
        """Carry out an archive_plan (the tool calls its own preview first, so checks are never skipped)."""
        name, version, state = plan.desired["name"], plan.desired["version"], plan.desired["state"]
        (self.group.archive if state == "archived" else self.group.restore)(name=name, version=version)
        return {"status": state if state == "archived" else "restored", "name": name, "version": version, "summary": plan.summary}


def not_found_errors() -> tuple[type[Exception], ...]:
    """'Not found' as the local workspace and azure-ai-ml each raise it."""
    try:
        from azure.core.exceptions import ResourceNotFoundError as AzureNotFound
    except ImportError:  # azure-core is a dependency of azure-ai-ml; only a broken install lacks it
        return (ResourceNotFoundError,)
    return (ResourceNotFoundError, AzureNotFound)
