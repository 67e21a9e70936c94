"""workspace-*: one look at everything the workspace holds."""

from __future__ import annotations

from typing import Any

from tools.base import ML, ToolPlugin, tool

CURATED_PREFIX = "AzureML-"  # Azure's curated environments; they live in a registry, not the workspace


class WorkspacePlugin(ToolPlugin):
    plugin_name = "workspace"
    description = "The workspace as a whole: where it is and what it holds."

    @tool(effect="read", permission=f"{ML}/read", examples=[
        "what's in my workspace?", "give me an overview", "which workspace am I using?", "what assets do I have?",
        "where is the MLflow tracking server?", "summarise the workspace", "what can I work with here?",
    ])
    def summary(self) -> dict:
        """Summarise the workspace: its name, location and MLflow tracking URI, and the names and counts of its computes, datastores, data assets, models, environments and components.

        Use it first when the user asks what exists, or when a name they mention is unknown.
        Curated environments (AzureML-*) are left out; environments-list shows them.
        """
        workspace = self.client.workspaces.get(self.client.workspace_name)
        holdings = {
            "computes": [c.name for c in self.client.compute.list()],
            "datastores": [d.name for d in self.client.datastores.list()],
            "data": _names(self.client.data.list()),
            "models": _names(self.client.models.list()),
            "environments": [n for n in _names(self.client.environments.list()) if not n.startswith(CURATED_PREFIX)],
            "components": _names(self.client.components.list()),
        }
        return {
            "name": workspace.name,
            "location": workspace.location,
            "root": str(getattr(self.client, "root", "") or workspace.id),
            "tracking_uri": workspace.mlflow_tracking_uri,
            "counts": {kind: len(names) for kind, names in holdings.items()},
            **holdings,
        }


def _names(entities: Any) -> list[str]:
    return sorted({e.name for e in entities})
