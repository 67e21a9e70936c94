"""datastores-*: where data lives: the workspace's default store and registered Azure storage.

Secrets (an account key or SAS token) go straight to the workspace's secret
store. They never appear in a plan, a result, an error or an undo record: the
plan shows "***" and undo never recreates credentials.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr

from tools.base import ML, REDACTED, Plan, ToolCall, ToolPlugin, tool
from tools.assets import not_found_errors
from tools.results import datastore_summary
from workspace.errors import UserInputError

READ, WRITE, DELETE = f"{ML}/datastores/read", f"{ML}/datastores/write", f"{ML}/datastores/delete"
DEFAULT_DATASTORE = "workspaceblobstore"

Name = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[a-z0-9_]+$"),
                 "Datastore name: lowercase letters, digits and underscores"]
AnyName = Annotated[str, Field(min_length=1, max_length=255), "Name of the datastore"]


def _credential_line(kind: str) -> str:
    return "identity-based access" if kind == "none" else f"{kind.replace('_', ' ')} {REDACTED}"


class DatastoresPlugin(ToolPlugin):
    plugin_name = "datastores"
    description = "Datastores: the default local store and registered Azure Blob containers."

    def _find(self, name: str) -> dict | None:
        try:
            return datastore_summary(self.client.datastores.get(name))
        except not_found_errors():
            return None

    @tool(effect="read", permission=READ, examples=[
        "list datastores", "where can I store data?", "which storage accounts are registered?",
        "show my datastores", "what's the default datastore?",
    ])
    def list(self) -> list[dict]:
        """List the datastores: the default workspaceblobstore and any registered Azure storage, with account, container and credential kind (never the secret)."""
        return [datastore_summary(d) for d in self.client.datastores.list()]

    @tool(effect="read", permission=READ, examples=[
        "show datastore trainingblobs", "what account does trainingblobs point to?", "details of workspaceblobstore",
        "which container is trainingblobs?", "how does trainingblobs authenticate?",
    ])
    def get(self, name: AnyName) -> dict:
        """Show one datastore: type, storage account, container and which kind of credential it uses (the secret is never shown)."""
        return datastore_summary(self.client.datastores.get(name))

    @tool(effect="write", permission=WRITE, examples=[
        "register my blob container training on account mystorage", "add a datastore for storage account mystorage",
        "connect the training container with this SAS token", "create a blob datastore trainingblobs with an account key",
        "rotate the key of datastore trainingblobs", "register storage account mystorage container raw as rawdata",
    ])
    def create_blob(
        self,
        name: Name,
        account_name: Annotated[str, Field(min_length=3, max_length=24, pattern=r"^[a-z0-9]+$"), "Azure storage account name"],
        container_name: Annotated[str, Field(min_length=3, max_length=63, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"),
                                  "Blob container in that account"],
        account_key: Annotated[SecretStr | None, "Storage account key; give this or sas_token, or neither for identity-based access"] = None,
        sas_token: Annotated[SecretStr | None, "SAS token for the container; give this or account_key, not both"] = None,
        description: Annotated[str | None, Field(max_length=500), "What the datastore holds"] = None,
    ) -> dict:
        """Register an Azure Blob container as a datastore, or update one (e.g. rotate its key). The secret is stored in the workspace's secret store and is never shown again."""
        plan = self.preview_create_blob(name, account_name, container_name, account_key, sas_token, description)
        from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore, SasTokenConfiguration

        credentials = None
        if account_key is not None:
            credentials = AccountKeyConfiguration(account_key=account_key.get_secret_value())
        elif sas_token is not None:
            credentials = SasTokenConfiguration(sas_token=sas_token.get_secret_value())
        created = self.client.datastores.create_or_update(AzureBlobDatastore(
            name=name, account_name=account_name, container_name=container_name,
            credentials=credentials, description=description,
        ))
        return {"status": "updated" if plan.current else "created", "datastore": datastore_summary(created), "summary": plan.summary}

    def preview_create_blob(
        self, name: Name, account_name: str, container_name: str, account_key: SecretStr | None = None,
        sas_token: SecretStr | None = None, description: str | None = None,
    ) -> Plan:
        if name == DEFAULT_DATASTORE:
            raise UserInputError.invalid("name", name, "is the workspace's default datastore and can't be replaced")
        if account_key is not None and sas_token is not None:
            raise UserInputError.invalid("sas_token", REDACTED, "was given together with account_key; give one of them")
        kind = "account_key" if account_key is not None else "sas_token" if sas_token is not None else "none"
        desired = {"name": name, "type": "azure_blob", "account_name": account_name, "container_name": container_name,
                   "credentials": kind, **({kind: REDACTED} if kind != "none" else {}),
                   **({"description": description} if description else {})}
        line = f"azure_blob {account_name}/{container_name}, {_credential_line(kind)}"
        current = self._find(name)
        if current is not None:
            return Plan(
                action="update datastore", target=f"datastores/{name}", current=current, desired=desired,
                summary=f"datastore {name}: {current.get('account_name')}/{current.get('container_name')} -> {line}",
                resource_name=name,
                warnings=["the current credentials are replaced; undo can't bring them back"],
            )
        return Plan(
            action="create datastore", target=f"datastores/{name}", current=None, desired=desired,
            summary=f"datastore {name}: absent -> {line}", resource_name=name,
            inverse=ToolCall(tool="datastores-delete", arguments={"name": name}),
        )

    @tool(effect="destructive", permission=DELETE, resource_arg="name", examples=[
        "delete datastore trainingblobs", "unregister the trainingblobs datastore", "remove datastore rawdata",
        "forget the storage account registration trainingblobs", "drop datastore trainingblobs",
    ])
    def delete(self, name: AnyName) -> dict:
        """Unregister a datastore and delete its stored secret. The storage account and its files are untouched; data assets that point at it stop resolving."""
        plan = self.preview_delete(name)
        self.client.datastores.delete(name)
        return {"status": "deleted", "name": name, "summary": plan.summary}

    def preview_delete(self, name: AnyName) -> Plan:
        if name == DEFAULT_DATASTORE:
            raise UserInputError.invalid("name", name, "is the workspace's default datastore and can't be deleted")
        current = datastore_summary(self.client.datastores.get(name))
        warnings = []
        users = sorted({d.name for d in self.client.data.list() if str(d.path).startswith(f"azureml://datastores/{name}/")})
        if users:
            warnings.append(f"data assets that point at it stop resolving: {', '.join(users)}")
        inverse = None
        if current["type"] == "azure_blob" and current["credentials"] == "none":
            inverse = ToolCall(tool="datastores-create_blob", arguments={
                "name": name, "account_name": current["account_name"], "container_name": current["container_name"]})
        else:
            warnings.append("undo can't restore its credentials; register it again with datastores-create_blob")
        return Plan(
            action="delete datastore", target=f"datastores/{name}", current=current, desired=None,
            summary=f"datastore {name}: {current.get('account_name')}/{current.get('container_name')} -> absent",
            resource_name=name, inverse=inverse, warnings=warnings,
        )
