"""The workspace's MLflow: a sqlite backend plus a local artifact root.

Every job is an MLflow run and every model an MLflow registered model, as on an
Azure ML workspace (which is an MLflow server too). ``mlflow ui
--backend-store-uri <tracking_uri> --default-artifact-root <artifacts>`` opens it.
MLflow is imported only inside these functions: it costs a second at start-up.
"""

from __future__ import annotations

import os
import threading

from workspace.local.context import WorkspaceContext

_initialised: set[str] = set()
_lock = threading.Lock()


def tracking_uri(ctx: WorkspaceContext) -> str:
    return f"sqlite:///{ctx.paths.mlflow_db}"


def disable_telemetry() -> None:
    """MLflow must never phone home from a user's workspace (or from CI)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")


def ensure_store(ctx: WorkspaceContext) -> None:
    """Create the tracking database so that its Default experiment's artifacts live in the workspace."""
    uri = tracking_uri(ctx)
    with _lock:
        if uri in _initialised:
            return
        disable_telemetry()
        ctx.paths.mlflow_artifacts.mkdir(parents=True, exist_ok=True)
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        SqlAlchemyStore(uri, ctx.paths.mlflow_artifacts.as_uri())
        _initialised.add(uri)


def mlflow_client(ctx: WorkspaceContext):
    """An ``MlflowClient`` whose tracking and registry are this workspace's."""
    ensure_store(ctx)
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(ctx)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)
