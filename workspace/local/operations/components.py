"""``client.components``: command components, with their code snapshotted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from workspace.errors import NotSupportedLocallyError, UserInputError
from workspace.local.operations._versioned import VersionedAssetOperations
from workspace.local.references import is_asset_ref, parse_asset_ref
from workspace.local.store import AssetRow


class ComponentOperations(VersionedAssetOperations):
    kind = "component"
    label = "component"

    def create_or_update(self, component: Any, version: str | None = None, **kwargs: Any) -> Any:
        if version is not None:
            component.version = version
        return super().create_or_update(component, **kwargs)

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Any:
        """A registered component, else a built-in one (the RAI components), as Azure's azureml registry serves them."""
        from workspace.local.rai.components import canonical

        if canonical(name) and not self._store.asset_versions(self.kind, name):
            return _builtin(name, version, label)
        return super().get(name, version=version, label=label)

    def _prepare(self, component: Any) -> tuple[dict, str]:
        component_type = getattr(component, "type", None)
        if component_type != "command":
            raise NotSupportedLocallyError.kind(f"{component_type} component", "the local job engine (issue [jobs])")
        spec = dict(component._to_dict())
        spec.pop("version", None)
        code_hash = None
        code = spec.get("code")
        if code and "://" not in str(code) and not str(code).startswith(("azureml:", "git+")):
            relpath, code_hash = self._ctx.blobstore.snapshot(Path(code), field="code")
            spec["code"] = str(self._ctx.blobstore.local_path(relpath))
        self._check_environment(spec.get("environment"))
        content = {k: v for k, v in spec.items() if k not in ("code", "description", "tags", "name", "display_name")}
        content["code_hash"] = code_hash or spec.get("code")
        return spec, hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()

    def _check_environment(self, environment: Any) -> None:
        if not isinstance(environment, str):
            return  # inline environment: validated by the entity
        if not is_asset_ref(environment):
            raise UserInputError.invalid("environment", environment, "is not a reference like azureml:name:version or azureml:name@latest")
        ref = parse_asset_ref(environment, field="environment")
        from workspace.local.operations.environments import EnvironmentOperations

        EnvironmentOperations(self._ctx).get(ref.name, version=ref.version, label=None if ref.version else ref.label)

    def _to_entity(self, row: AssetRow) -> Any:
        from azure.ai.ml.entities import Component

        return self._with_context(Component._load(data=row.spec), row)

    def download(self, name: str, download_path: str | Path = ".", *, version: str | None = None) -> None:
        """Write the component's YAML and code to ``download_path/<name>``."""
        import shutil

        import yaml

        row = self._row(name, version)
        target = Path(download_path) / name
        target.mkdir(parents=True, exist_ok=True)
        spec = dict(row.spec)
        code = spec.get("code")
        if code and Path(code).exists():
            shutil.copytree(code, target / "code", dirs_exist_ok=True)
            spec["code"] = "./code"
        (target / "component_spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


def _builtin(name: str, version: str | None, label: str | None) -> Any:
    from workspace.errors import ResourceNotFoundError
    from workspace.local.rai.components import VERSION, builtin

    if version is not None and str(version) != VERSION:
        raise ResourceNotFoundError(f"version: component {name!r} has no version {str(version)!r} (versions: {VERSION})", field="version", value=version)
    if label not in (None, "latest"):
        raise UserInputError.invalid("label", label, "is not a known label; the local workspace supports 'latest'")
    return builtin(name)
