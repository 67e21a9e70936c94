"""``LocalMLClient``: azure-ai-ml's ``MLClient`` surface over a folder on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workspace.errors import UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.operations.access import RoleAssignmentOperations
from workspace.local.operations.batch_deployments import BatchDeploymentOperations
from workspace.local.operations.batch_endpoints import BatchEndpointOperations
from workspace.local.operations.components import ComponentOperations
from workspace.local.operations.compute import ComputeOperations
from workspace.local.operations.data import DataOperations
from workspace.local.operations.datastores import DatastoreOperations
from workspace.local.operations.environments import EnvironmentOperations
from workspace.local.operations.jobs import JobOperations
from workspace.local.operations.models import ModelOperations
from workspace.local.operations.online_deployments import OnlineDeploymentOperations
from workspace.local.operations.online_endpoints import OnlineEndpointOperations
from workspace.local.operations.schedules import ScheduleOperations
from workspace.local.operations.workspaces import WorkspaceOperations


class LocalMLClient:
    """Same attribute and method names as ``azure.ai.ml.MLClient``; entities in, entities out."""

    def __init__(self, root: str | Path, *, user: str | None = None, secrets_backend: str = "auto", registry_name: str | None = None) -> None:
        if registry_name not in (None, "azureml"):
            raise UserInputError.invalid("registry_name", registry_name, "is not a registry here; the local workspace has the azureml registry")
        kwargs: dict[str, Any] = {"secrets_backend": secrets_backend}
        if user:
            kwargs["user"] = user
        self._ctx = WorkspaceContext(Path(root), **kwargs)
        self.workspaces = WorkspaceOperations(self._ctx)
        self.compute = ComputeOperations(self._ctx)
        self.datastores = DatastoreOperations(self._ctx)
        self.data = DataOperations(self._ctx)
        self.environments = EnvironmentOperations(self._ctx)
        self.components = ComponentOperations(self._ctx)
        if registry_name:  # a registry-shaped handle, as MLClient(registry_name="azureml"): its components are the built-ins
            from workspace.local.rai.components import RegistryComponentOperations

            self.components = RegistryComponentOperations()
        self.models = ModelOperations(self._ctx)
        self.jobs = JobOperations(self._ctx)
        self.schedules = ScheduleOperations(self._ctx)
        self.online_endpoints = OnlineEndpointOperations(self._ctx)
        self.online_deployments = OnlineDeploymentOperations(self._ctx)
        self.batch_endpoints = BatchEndpointOperations(self._ctx)
        self.batch_deployments = BatchDeploymentOperations(self._ctx)
        # Not in MLClient (Azure keeps roles in Azure RBAC); the local workspace keeps them itself.
        self.role_assignments = RoleAssignmentOperations(self._ctx)

    @property
    def root(self) -> Path:
        return self._ctx.root

    @property
    def workspace_name(self) -> str:
        return self._ctx.name

    @property
    def paths(self):
        return self._ctx.paths

    @classmethod
    def from_config(cls, path: str | Path | None = None, *, file_name: str | None = None, **kwargs: Any) -> "LocalMLClient":
        """Read a config.json as ``MLClient.from_config`` does.

        The file may name ``workspace_root`` (a folder) directly; otherwise
        ``workspace_name`` selects ``<user data dir>/amlpilot/workspaces/<name>``.
        A folder is searched, with its parents, for ``config.json`` or ``.azureml/config.json``.
        """
        config_path = _find_config(Path(path) if path else Path.cwd(), file_name or "config.json")
        try:
            config = json.loads(config_path.read_text())
        except json.JSONDecodeError as exc:
            raise UserInputError.invalid("config", str(config_path), f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        root = config.get("workspace_root")
        if root:
            # Relative to the project folder, also when the file sits in .azureml/.
            base = config_path.parent.parent if config_path.parent.name == ".azureml" else config_path.parent
            root = (base / root).resolve()
        else:
            from agent.config import default_workspace_root

            root = default_workspace_root(config.get("workspace_name") or "default")
        return cls(root, **kwargs)

    def close(self) -> None:
        self._ctx.store.close()

    def __repr__(self) -> str:
        return f"LocalMLClient(root={str(self._ctx.root)!r})"


def _find_config(start: Path, file_name: str) -> Path:
    if start.is_file():
        return start
    if not start.exists():
        raise UserInputError.missing_path("path", start)
    for folder in [start.resolve(), *start.resolve().parents]:
        for candidate in (folder / file_name, folder / ".azureml" / file_name):
            if candidate.is_file():
                return candidate
    raise UserInputError.invalid("path", str(start), f"has no {file_name} in it or its parents (nor in .azureml/)")
