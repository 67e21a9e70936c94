"""Parsing Azure ML references: ``azureml:name:version``, ``azureml:name@latest``,
registry URIs and ``azureml://datastores/<name>/paths/<path>``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workspace.errors import UserInputError

_REGISTRY = re.compile(
    r"^azureml://registries/(?P<registry>[^/]+)/(?P<kind>[a-z]+)/(?P<name>[^/]+)"
    r"(?:/versions/(?P<version>[^/]+)|/labels/(?P<label>[^/]+))?/?$"
)
_WORKSPACE_ASSET = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/(?:providers/[^/]+/)?workspaces/[^/]+/|locations/[^/]+/workspaces/[^/]+/)?"
    r"(?P<kind>data|models|environments|components)/(?P<name>[^/]+)(?:/versions/(?P<version>[^/]+))?/?$",
    re.IGNORECASE,
)
_DATASTORE_PATH = re.compile(r"^azureml://datastores/(?P<datastore>[^/]+)/paths/(?P<path>.*)$")


@dataclass(frozen=True)
class AssetRef:
    name: str
    version: str | None = None
    label: str | None = None
    registry: str | None = None

    def __str__(self) -> str:
        if self.version:
            return f"azureml:{self.name}:{self.version}"
        return f"azureml:{self.name}@{self.label or 'latest'}"


@dataclass(frozen=True)
class DatastorePath:
    datastore: str
    path: str


def is_asset_ref(text: str) -> bool:
    return text.startswith("azureml:") and not text.startswith("azureml://datastores/")


def parse_asset_ref(text: str, field: str = "reference") -> AssetRef:
    """Parse any asset reference; a bare ``name`` or ``name:version`` is accepted too."""
    text = text.strip()
    if match := _REGISTRY.match(text):
        return AssetRef(match["name"], match["version"], match["label"], match["registry"])
    if match := _WORKSPACE_ASSET.match(text):
        return AssetRef(match["name"], match["version"], None if match["version"] else "latest")
    body = text[len("azureml:"):] if text.startswith("azureml:") else text
    if not body or body.startswith("//"):
        raise UserInputError.invalid(field, text, "is not an asset reference like azureml:name:version or azureml:name@latest")
    if "@" in body:
        name, label = body.split("@", 1)
        if not name or not label:
            raise UserInputError.invalid(field, text, "is not an asset reference like azureml:name@latest")
        return AssetRef(name, None, label)
    if ":" in body:
        name, version = body.split(":", 1)
        if not name or not version:
            raise UserInputError.invalid(field, text, "is not an asset reference like azureml:name:version")
        return AssetRef(name, version)
    return AssetRef(body, None, "latest")


def parse_datastore_path(text: str) -> DatastorePath | None:
    match = _DATASTORE_PATH.match(text)
    return DatastorePath(match["datastore"], match["path"]) if match else None
