"""``client.environments``: curated names plus user environments (conda, pip, image)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from workspace.errors import UserInputError
from workspace.local.curated import CURATED_VERSION, curated_entity, curated_name, CURATED_ENVIRONMENTS
from workspace.local.operations._versioned import VersionedAssetOperations, view_includes
from workspace.local.store import AssetRow

_CONTENT_FIELDS = ("image", "conda_file", "build", "inference_config", "os_type")


class EnvironmentOperations(VersionedAssetOperations):
    kind = "environment"
    label = "environment"

    def _prepare(self, entity: Any) -> tuple[dict, str]:
        if curated_name(entity.name):
            raise UserInputError.invalid("name", entity.name, "is a curated environment name; choose another name")
        spec = dict(entity._to_dict())
        spec.pop("version", None)
        build = spec.get("build")
        if isinstance(build, dict) and build.get("path") and "://" not in build["path"]:
            relpath, _ = self._ctx.blobstore.snapshot(build["path"], field="build.path")
            build["path"] = str(self._ctx.blobstore.local_path(relpath))
        if not any(spec.get(k) for k in ("image", "conda_file", "build")):
            raise UserInputError.missing("image", "an environment needs an image, a conda_file or a build context")
        content = {k: spec.get(k) for k in _CONTENT_FIELDS}
        return spec, hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()

    def _to_entity(self, row: AssetRow) -> Any:
        from azure.ai.ml.entities import Environment

        return self._with_context(Environment._load(data=row.spec), row)

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Any:
        curated = curated_name(name)
        if curated and not self._store.asset_versions(self.kind, name):
            if version not in (None, CURATED_VERSION) or label not in (None, "latest"):
                raise UserInputError.invalid(
                    "version", version or label, f"curated environment {curated!r} has version {CURATED_VERSION} (or @latest) locally"
                )
            return curated_entity(curated)
        return super().get(name, version, label)

    def list(self, name: str | None = None, *, list_view_type: Any = None) -> Iterable[Any]:
        if name is not None and curated_name(name):
            return [curated_entity(curated_name(name))]
        user = list(super().list(name, list_view_type=list_view_type))
        if name is None and view_includes(list_view_type, False):
            user += [curated_entity(n) for n in CURATED_ENVIRONMENTS]
        return user
