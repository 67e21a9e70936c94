"""The shared behaviour of versioned asset groups (data, environments, components).

Versions are immutable: registering an existing version again is a no-op when
the content is the same, updates only ``description`` and ``tags`` (as Azure
allows), and is a ``ConflictError`` when the content differs. A missing version
takes the next integer, allocated inside the store's write lock so concurrent
registrations never collide.
"""

from __future__ import annotations

from typing import Any, Iterable

from workspace.errors import ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.names import check_asset_name, check_version
from workspace.local.store import AssetRow, creation_context

MUTABLE_FIELDS = ("description", "tags")


def next_version(rows: list[AssetRow]) -> str:
    numbers = [int(r.version) for r in rows if r.version.isdigit()]
    return str(max(numbers, default=0) + 1)


def view_includes(list_view_type: Any, archived: bool) -> bool:
    view = getattr(list_view_type, "value", list_view_type) or "ActiveOnly"
    if view == "All":
        return True
    if view == "ArchivedOnly":
        return archived
    return not archived


class VersionedAssetOperations:
    """Subclasses set ``kind`` and ``label``, and implement ``_prepare`` and ``_to_entity``."""

    kind = "asset"
    label = "asset"

    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store

    # -- hooks --------------------------------------------------------------

    def _prepare(self, entity: Any) -> tuple[dict, str]:
        """Validate, snapshot local files, and return (spec dict, content hash)."""
        raise NotImplementedError

    def _to_entity(self, row: AssetRow) -> Any:
        raise NotImplementedError

    # -- azure-ai-ml surface ----------------------------------------------

    def create_or_update(self, entity: Any, **_: Any) -> Any:
        name = check_asset_name(getattr(entity, "name", None))
        requested = getattr(entity, "version", None)
        if requested is not None:
            check_version(requested)
        with self._ctx.blobstore.removing_new_uploads_on_error(self._store.references_path):
            spec, content_hash = self._prepare(entity)
            version = self._store_version(name, requested, spec, content_hash)
        return self.get(name, version=version)

    def _store_version(self, name: str, requested: Any, spec: dict, content_hash: str) -> str:
        with self._store.transaction() as db:
            version = str(requested) if requested is not None else None
            existing = self._store.asset_version(self.kind, name, version) if version else None
            if existing is not None:
                self._update_existing(db, existing, spec, content_hash)
            else:
                version = version or next_version(self._store.asset_versions(self.kind, name))
                spec = {**spec, "name": name, "version": version}
                self._store.insert_asset_version(db, self.kind, name, version, spec, content_hash, self._ctx.user)
        return version

    def _update_existing(self, db, existing: AssetRow, spec: dict, content_hash: str) -> None:
        from workspace.errors import ConflictError

        if existing.content_hash != content_hash:
            raise ConflictError.immutable_version(self.label, existing.name, existing.version)
        merged = dict(existing.spec)
        for key in MUTABLE_FIELDS:
            if spec.get(key):
                merged[key] = spec[key]
        if merged != existing.spec:
            self._store.update_asset_spec(db, self.kind, existing.name, existing.version, merged)

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Any:
        return self._to_entity(self._row(name, version, label))

    def _row(self, name: str, version: str | None = None, label: str | None = None) -> AssetRow:
        if version is not None and label is not None:
            raise UserInputError.invalid("label", label, "cannot be given together with a version")
        if version is not None:
            row = self._store.asset_version(self.kind, name, str(version))
            if row is None:
                known = [r.version for r in self._store.asset_versions(self.kind, name)]
                if known:
                    raise ResourceNotFoundError(
                        f"version: {self.label} {name!r} has no version {str(version)!r} (versions: {', '.join(known)})",
                        field="version", value=version,
                    )
                raise ResourceNotFoundError.of(self.label, name, known=self._store.asset_names(self.kind))
            return row
        if label not in (None, "latest"):
            raise UserInputError.invalid("label", label, "is not a known label; the local workspace supports 'latest'")
        rows = [r for r in self._store.asset_versions(self.kind, name) if not r.archived]
        if not rows:
            raise ResourceNotFoundError.of(self.label, name, known=self._store.asset_names(self.kind))
        return rows[-1]

    def resolve(self, reference: str, field: str = "reference") -> Any:
        """The entity an ``azureml:name:version`` or ``azureml:name@latest`` reference names."""
        from workspace.local.references import parse_asset_ref

        ref = parse_asset_ref(reference, field=field)
        if ref.registry not in (None, "azureml"):
            raise UserInputError.invalid(field, reference, "names a registry; the local workspace has only the azureml registry")
        return self.get(ref.name, version=ref.version, label=None if ref.version else ref.label)

    def list(self, name: str | None = None, *, list_view_type: Any = None) -> Iterable[Any]:
        """All versions of ``name``, or the latest version of every asset."""
        if name is not None:
            container_archived = self._store.container_archived(self.kind, name)
            rows = self._store.asset_versions(self.kind, name)
            return [self._to_entity(r) for r in rows if view_includes(list_view_type, r.archived or container_archived)]
        result = []
        for asset_name in self._store.asset_names(self.kind, include_archived=True):
            rows = self._store.asset_versions(self.kind, asset_name)
            archived = self._store.container_archived(self.kind, asset_name)
            if rows and view_includes(list_view_type, archived):
                result.append(self._to_entity(rows[-1]))
        return result

    def archive(self, name: str, version: str | None = None, label: str | None = None, **_: Any) -> None:
        self._set_archived(name, version, label, True)

    def restore(self, name: str, version: str | None = None, label: str | None = None, **_: Any) -> None:
        self._set_archived(name, version, label, False)

    def _set_archived(self, name: str, version: str | None, label: str | None, archived: bool) -> None:
        if version is None and label is None:
            if not self._store.asset_versions(self.kind, name):
                raise ResourceNotFoundError.of(self.label, name, known=self._store.asset_names(self.kind))
            self._store.set_archived(self.kind, name, None, archived)
            return
        if version is None:
            version = self._row(name, None, label).version
        self._row(name, str(version))
        self._store.set_archived(self.kind, name, str(version), archived)

    # -- helpers for subclasses -------------------------------------------

    def _with_context(self, entity: Any, row: AssetRow) -> Any:
        entity._creation_context = creation_context(row.created_by, row.created_at, row.updated_at)
        entity._id = f"azureml:{row.name}:{row.version}"
        return entity
