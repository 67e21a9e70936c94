"""The workspace's MLflow: a sqlite backend plus a local artifact root.

Every job is an MLflow run and every model an MLflow registered model, as on an
Azure ML workspace (which is an MLflow server too). ``mlflow ui
--backend-store-uri <tracking_uri> --default-artifact-root <artifacts>`` opens it.
MLflow is imported only inside these functions: it costs a second at start-up.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

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
    """Create the tracking database so that its Default experiment's artifacts live in the workspace.

    Two processes migrating a new MLflow database at once break its alembic
    migrations, so the first use takes a file lock shared by every process.
    """
    uri = tracking_uri(ctx)
    with _lock:
        if uri in _initialised:
            return
        disable_telemetry()
        ctx.paths.mlflow_artifacts.mkdir(parents=True, exist_ok=True)
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        with _file_lock(ctx.paths.mlflow / ".init.lock"), _quiet("mlflow", "alembic"):
            SqlAlchemyStore(uri, ctx.paths.mlflow_artifacts.as_uri())
        _initialised.add(uri)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """MLflow announces its schema migrations on stderr; a user asked for none of that."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def ensure_experiment(ctx: WorkspaceContext, name: str) -> str:
    """The experiment's id, creating it with its artifacts inside the workspace.

    MLflow's default for a sqlite store is ./mlruns under the current directory,
    which would scatter a workspace's artifacts wherever a command ran.
    """
    client = mlflow_client(ctx)
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = (ctx.paths.mlflow_artifacts / "experiments" / _slug(name)).as_uri()
    try:
        return client.create_experiment(name, artifact_location=location)
    except Exception:  # created by another process meanwhile
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id


def _slug(name: str) -> str:
    import hashlib
    import re

    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:60]
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def mlflow_client(ctx: WorkspaceContext):
    """An ``MlflowClient`` whose tracking and registry are this workspace's."""
    ensure_store(ctx)
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(ctx)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)
