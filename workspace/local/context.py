"""What every operation group of one local workspace shares."""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from workspace.local.blobstore import Blobstore
from workspace.local.store import Store, utcnow

DEFAULT_DATASTORE = "workspaceblobstore"


@dataclass
class WorkspacePaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "workspace.db"

    @property
    def manifest(self) -> Path:
        return self.root / "workspace.json"

    @property
    def datastores(self) -> Path:
        return self.root / "datastores"

    @property
    def default_datastore(self) -> Path:
        return self.datastores / DEFAULT_DATASTORE

    @property
    def mlflow(self) -> Path:
        return self.root / "mlflow"

    @property
    def mlflow_db(self) -> Path:
        return self.mlflow / "mlflow.db"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.mlflow / "artifacts"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"


@dataclass
class WorkspaceContext:
    root: Path
    user: str = field(default_factory=getpass.getuser)
    secrets_backend: str = "auto"

    def __post_init__(self) -> None:
        self.root = Path(self.root).expanduser().resolve()
        self.paths = WorkspacePaths(self.root)
        self.paths.default_datastore.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.paths.db)
        self.blobstore = Blobstore(self.paths.default_datastore)
        self._write_manifest()
        self._make_creator_owner()

    @property
    def name(self) -> str:
        return json.loads(self.paths.manifest.read_text())["name"]

    def _make_creator_owner(self) -> None:
        """A new workspace's creator is its Owner, as on Azure."""
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM role_assignments LIMIT 1").fetchone() is None:
                db.execute(
                    "INSERT INTO role_assignments(principal, role, scope, created_by, created_at) VALUES (?, 'Owner', 'workspace', ?, ?)",
                    (self.user, self.user, utcnow()),
                )

    def _write_manifest(self) -> None:
        if self.paths.manifest.exists():
            return
        manifest = {"name": self.root.name, "created_at": utcnow(), "created_by": self.user, "format": 1}
        tmp = self.paths.manifest.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(manifest, indent=2))
        os.replace(tmp, self.paths.manifest)
