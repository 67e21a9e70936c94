"""``client.workspaces``: the one local workspace, shaped as Azure's entity."""

from __future__ import annotations

from typing import Any, Iterable

from workspace.errors import ResourceNotFoundError
from workspace.local.context import WorkspaceContext


class WorkspaceOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx

    def get(self, name: str | None = None, **_: Any) -> Any:
        from azure.ai.ml.entities import Workspace

        from workspace.local.mlflow_store import tracking_uri

        if name not in (None, self._ctx.name):
            raise ResourceNotFoundError.of("workspace", name, known=[self._ctx.name])
        entity = Workspace(
            name=self._ctx.name,
            location="local",
            description=f"Local workspace at {self._ctx.root}",
            tags={"backend": "local", "root": str(self._ctx.root)},
            storage_account=str(self._ctx.paths.datastores),
        )
        entity._mlflow_tracking_uri = tracking_uri(self._ctx)
        entity._id = f"local:{self._ctx.root}"
        return entity

    def list(self, **_: Any) -> Iterable[Any]:
        return [self.get()]
