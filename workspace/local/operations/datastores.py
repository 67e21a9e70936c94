"""``client.datastores``: the local default store plus Azure storage registrations.

``workspaceblobstore`` is a folder inside the workspace. Azure Blob, ADLS Gen2,
Azure Files and ADLS Gen1 datastores can be registered so that the same YAML
works on Azure later; their secrets go to the secret store, never the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from workspace.errors import ResourceNotFoundError, UserInputError
from workspace.local.context import DEFAULT_DATASTORE, WorkspaceContext
from workspace.local.names import check_datastore_name
from workspace.local.references import parse_datastore_path
from workspace.local.secrets import REDACTED, SecretStore

KIND = "datastore"
SECRET_FIELDS = ("account_key", "sas_token", "client_secret", "certificate")
DATASTORE_TYPES = ("azure_blob", "azure_data_lake_gen2", "azure_file", "azure_data_lake_gen1")


class DatastoreOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store
        self._secrets = SecretStore(ctx.paths.secrets, ctx.secrets_backend)

    def create_or_update(self, datastore: Any) -> Any:
        name = check_datastore_name(getattr(datastore, "name", None))
        if name == DEFAULT_DATASTORE:
            raise UserInputError.invalid("name", name, "is the workspace's default datastore and can't be replaced")
        spec = dict(datastore._to_dict())
        if spec.get("type") not in DATASTORE_TYPES:
            raise UserInputError.invalid("type", spec.get("type"), f"is not a datastore type; use one of {', '.join(DATASTORE_TYPES)}")
        credentials = dict(spec.get("credentials") or {})
        secrets = {k: credentials[k] for k in SECRET_FIELDS if credentials.get(k)}
        spec["credentials"] = {**credentials, **{k: REDACTED for k in secrets}}
        # Secrets first: a failure after this leaves an unreferenced secret, never a
        # datastore row whose credentials are missing.
        self._secrets.delete_prefix(f"datastore/{name}/")
        for field, value in secrets.items():
            self._secrets.set(f"datastore/{name}/{field}", value)
        with self._store.transaction() as db:
            self._store.upsert_resource(db, KIND, name, spec, None, self._ctx.user)
        return self.get(name)

    def get(self, name: str, *, include_secrets: bool = False) -> Any:
        if name == DEFAULT_DATASTORE:
            return self._default_entity()
        row = self._store.resource(KIND, name)
        if row is None:
            known = [DEFAULT_DATASTORE] + [r.name for r in self._store.resources(KIND)]
            raise ResourceNotFoundError.of("datastore", name, known=known)
        return self._to_entity(row.spec, include_secrets)

    def get_default(self, *, include_secrets: bool = False) -> Any:
        return self._default_entity()

    def list(self, *, include_secrets: bool = False) -> Iterable[Any]:
        return [self._default_entity()] + [self._to_entity(r.spec, include_secrets) for r in self._store.resources(KIND)]

    def delete(self, name: str) -> None:
        if name == DEFAULT_DATASTORE:
            raise UserInputError.invalid("name", name, "is the workspace's default datastore and can't be deleted")
        self.get(name)
        with self._store.transaction() as db:
            self._store.delete_resource(db, KIND, name)
        self._secrets.delete_prefix(f"datastore/{name}/")

    # -- local helpers ----------------------------------------------------

    def resolve(self, uri: str) -> Path | None:
        """The local path behind ``azureml://datastores/<name>/paths/<p>``; None for a remote store."""
        parsed = parse_datastore_path(uri)
        if parsed is None:
            raise UserInputError.invalid("path", uri, "is not a datastore path like azureml://datastores/<name>/paths/<path>")
        if parsed.datastore == DEFAULT_DATASTORE:
            return self._ctx.blobstore.local_path(parsed.path)
        self.get(parsed.datastore)  # raises for an unknown datastore
        return None

    def _to_entity(self, spec: dict, include_secrets: bool) -> Any:
        from azure.ai.ml.entities import Datastore

        spec = dict(spec)
        credentials = dict(spec.get("credentials") or {})
        for field in SECRET_FIELDS:
            if field in credentials:
                name = spec["name"]
                credentials[field] = self._secrets.get(f"datastore/{name}/{field}") if include_secrets else REDACTED
        spec["credentials"] = credentials
        entity = Datastore._load(data=spec)
        if not include_secrets:
            for field in SECRET_FIELDS:
                if getattr(entity.credentials, field, None) == REDACTED:
                    setattr(entity.credentials, field, None)
        return entity

    def _default_entity(self) -> Any:
        from azure.ai.ml.entities import AzureBlobDatastore

        return AzureBlobDatastore(
            name=DEFAULT_DATASTORE,
            account_name="local",
            container_name=DEFAULT_DATASTORE,
            description=f"The workspace's default datastore: the local folder {self._ctx.paths.default_datastore}",
            tags={"local_path": str(self._ctx.paths.default_datastore), "is_default": "true"},
        )
