"""``client.models``: custom and MLflow models, registered in the workspace's MLflow registry.

The SQLite store (kind="model") is the index that gives Azure ML semantics:
immutable named versions, archive/restore, created_by. Every version is also
an MLflow model version whose source is the snapshot in ``workspaceblobstore``,
so ``mlflow.pyfunc.load_model("models:/<name>/<n>")`` works, as on Azure. Our
version and MLflow's number usually agree but need not (explicit versions), so
each row keeps its ``mlflow_version``. Versions registered straight through
MLflow (``mlflow.register_model`` in a job) are imported into the index lazily.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlparse
from urllib.request import url2pathname

from workspace.errors import NotSupportedLocallyError, UserInputError
from workspace.local import mlflow_store
from workspace.local.names import check_asset_name, check_version
from workspace.local.operations._versioned import VersionedAssetOperations, next_version
from workspace.local.store import AssetRow

MODEL_TYPES = ("custom_model", "mlflow_model")
TAG_VERSION = "azureml.version"  # tags we write on MLflow versions; never shown as user tags
TAG_TYPE = "azureml.model_type"
_INTERNAL_TAG_PREFIXES = ("azureml.", "mlflow.")
_log = logging.getLogger(__name__)


class ModelOperations(VersionedAssetOperations):
    kind = "model"
    label = "model"

    # -- azure-ai-ml surface ----------------------------------------------

    def create_or_update(self, model: Any, **_: Any) -> Any:
        name = check_asset_name(getattr(model, "name", None))
        requested = getattr(model, "version", None)
        if requested is not None:
            check_version(requested)
        with self._ctx.blobstore.removing_new_uploads_on_error(self._store.references_path):
            version = self._register_version(model, name, requested)
        return self._to_entity(super()._row(name, version))

    def _register_version(self, model: Any, name: str, requested: Any) -> str:
        spec, content_hash, run_id = self._prepare(model)
        client = self._mlflow()  # before the lock: its first call imports mlflow, which takes seconds
        # One write lock covers allocation and MLflow registration, so concurrent
        # registrations get distinct versions and a failed MLflow call leaves no row.
        with self._store.transaction() as db:
            self._sync_from_mlflow(name)  # a version MLflow already holds must not be handed out again
            version = str(requested) if requested is not None else None
            existing = self._store.asset_version(self.kind, name, version) if version else None
            if existing is not None:
                self._update_existing(db, existing, spec, content_hash)
                self._update_mlflow(client, existing, spec)
            else:
                version = version or next_version(self._store.asset_versions(self.kind, name))
                mlflow_version = _register(client, name, version, spec, run_id, self._local_files_of(spec))
                spec = {**spec, "name": name, "version": version, "mlflow_version": mlflow_version}
                self._store.insert_asset_version(db, self.kind, name, version, spec, content_hash, self._ctx.user)
        return version

    def list(self, name: str | None = None, stage: str | None = None, *, list_view_type: Any = None) -> Iterable[Any]:
        self._sync_from_mlflow(name)
        models = super().list(name, list_view_type=list_view_type)
        return [m for m in models if stage is None or m.stage == stage]

    def download(self, name: str, version: str, download_path: str | os.PathLike = ".") -> None:
        """Copy the files to ``download_path/<name>/``, keeping a folder's own name, as Azure does."""
        source = self.local_path(name, version)
        target = Path(download_path) / name
        if source.is_dir():
            shutil.copytree(source, target / source.name, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / source.name)

    # -- local helpers beyond MLClient ------------------------------------

    def local_path(self, name: str, version: str | None = None, label: str | None = None) -> Path:
        """Where a model version's files live on this machine (its snapshot)."""
        return self._local_files_of(self._row(name, version, label).spec)

    def mlflow_uri(self, name: str, version: str | None = None, label: str | None = None) -> str:
        """The ``models:/`` URI that MLflow loads this version from."""
        row = self._row(name, version, label)
        return f"models:/{row.name}/{row.spec['mlflow_version']}"

    # -- hooks and overrides ----------------------------------------------

    def _prepare(self, model: Any) -> tuple[dict, str, str | None]:
        model_type = str(getattr(model, "type", None) or "custom_model")
        if model_type == "triton_model":
            raise NotSupportedLocallyError.field(
                "type", model_type, "there is no Triton server here; register it as custom_model or mlflow_model"
            )
        if model_type not in MODEL_TYPES:
            raise UserInputError.invalid("type", model_type, f"is not a model type; use one of {', '.join(MODEL_TYPES)}")
        path = str(getattr(model, "path", None) or "")
        if not path:
            raise UserInputError.missing("path", "a local file or folder, runs:/<run_id>/<path> or azureml://datastores/...")
        # A runs:/ model stays linked to its run in the MLflow UI.
        run_id = path[len("runs:/"):].split("/", 1)[0] if path.startswith("runs:/") else None
        with self._materialise(path) as local:
            check_model_files(local, model_type)
            relpath, files_hash = self._ctx.blobstore.snapshot(local)
            flavors = _flavors(local) if model_type == "mlflow_model" else None
        spec = dict(model._to_dict())
        spec.update(type=model_type, path=self._ctx.blobstore.uri(relpath))
        spec.pop("version", None)
        if flavors and not spec.get("flavors"):
            spec["flavors"] = flavors
        return spec, _content_hash(model_type, files_hash), run_id

    def _to_entity(self, row: AssetRow) -> Any:
        from azure.ai.ml.entities import Model

        spec = {k: v for k, v in row.spec.items() if k != "mlflow_version"}
        return self._with_context(Model._load(data=spec), row)

    def _row(self, name: str, version: str | None = None, label: str | None = None) -> AssetRow:
        self._sync_from_mlflow(name)
        return super()._row(name, version, label)

    def _set_archived(self, name: str, version: str | None, label: str | None, archived: bool) -> None:
        self._sync_from_mlflow(name)
        super()._set_archived(name, version, label, archived)

    # -- MLflow -----------------------------------------------------------

    def _mlflow(self):
        return mlflow_store.mlflow_client(self._ctx)

    def _update_mlflow(self, client, existing: AssetRow, spec: dict) -> None:
        """Carry a description/tags update over to the MLflow version too."""
        mlflow_version = str(existing.spec["mlflow_version"])
        if spec.get("description") and spec["description"] != existing.spec.get("description"):
            client.update_model_version(existing.name, mlflow_version, description=spec["description"])
        new_tags = spec.get("tags") or {}
        # Tags are replaced as a whole when given, as in the index; internal tags stay.
        for key in set(existing.spec.get("tags") or {}) - set(new_tags) if new_tags else ():
            client.delete_model_version_tag(existing.name, mlflow_version, key)
        for key, value in new_tags.items():
            client.set_model_version_tag(existing.name, mlflow_version, key, str(value))

    def _sync_from_mlflow(self, name: str | None = None) -> None:
        """Index MLflow versions that have no row yet (registered through MLflow directly)."""
        if not self._ctx.paths.mlflow_db.exists():
            return  # nothing was ever registered; spares importing mlflow
        try:
            check_asset_name(name or "any")
        except UserInputError:
            return  # such a name is never indexed, and a quote in it would break MLflow's filter
        seen = _mlflow_db_state(self._ctx.paths.mlflow_db)
        if name is None and self._synced_state() == seen:
            return  # MLflow's files are as they were at the last full sync: nothing new to index
        client = self._mlflow()
        indexed = self._indexed()
        for mv in _search_versions(client, name):
            if (mv.name, str(mv.version)) in indexed:
                continue
            try:
                check_asset_name(mv.name)
                self._import(client, mv)
            except UserInputError as exc:
                # One odd MLflow version (bad name, remote artifacts) must not break list/get.
                _log.warning("MLflow model %s version %s is not listed: %s", mv.name, mv.version, exc)
        if name is None:
            # Recorded after the sync but measured before it: a write during the sync forces another.
            with self._store.transaction() as db:
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (_SYNC_KEY, seen))

    def _synced_state(self) -> str | None:
        row = self._store.read().execute("SELECT value FROM meta WHERE key=?", (_SYNC_KEY,)).fetchone()
        return row[0] if row else None

    def _indexed(self) -> set[tuple[str, str]]:
        rows = self._store.read().execute(
            "SELECT name, json_extract(spec, '$.mlflow_version') FROM asset_versions WHERE kind=?", (self.kind,)
        ).fetchall()
        return {(r[0], str(r[1])) for r in rows}

    def _import(self, client, mv) -> None:
        with self._materialise(client.get_model_version_download_uri(mv.name, mv.version)) as local:
            relpath, files_hash = self._ctx.blobstore.snapshot(local)
            model_type = mv.tags.get(TAG_TYPE) or ("mlflow_model" if (local / "MLmodel").is_file() else "custom_model")
        spec = {
            "name": mv.name, "type": model_type, "path": self._ctx.blobstore.uri(relpath),
            "tags": _user_tags(mv.tags), "properties": {}, "mlflow_version": int(mv.version),
        }
        if mv.description:  # Model's schema rejects a null description
            spec["description"] = mv.description
        with self._store.transaction() as db:
            if (mv.name, str(mv.version)) in self._indexed():
                return  # another process imported it meanwhile
            rows = self._store.asset_versions(self.kind, mv.name)
            taken = {r.version for r in rows}
            # Prefer our own tag (a registration whose row was lost), then MLflow's number.
            wanted = [v for v in (mv.tags.get(TAG_VERSION), str(mv.version)) if v and v not in taken]
            version = wanted[0] if wanted else next_version(rows)
            spec.update(version=version)
            self._store.insert_asset_version(
                db, self.kind, mv.name, version, spec, _content_hash(model_type, files_hash), mv.user_id or "mlflow"
            )

    # -- files ------------------------------------------------------------

    @contextmanager
    def _materialise(self, path: str) -> Iterator[Path]:
        """The local files behind a model path; MLflow URIs are downloaded to a temporary folder."""
        if path.startswith("azureml://datastores/"):
            from workspace.local.operations.datastores import DatastoreOperations

            local = DatastoreOperations(self._ctx).resolve(path)
            if local is None:
                raise NotSupportedLocallyError.field("path", path, "the datastore is remote; register a local copy")
            yield _existing(local, path)
        elif path.startswith(("runs:/", "models:/")):
            # In the workspace folder, not /tmp: models can be large and /tmp is often small.
            with tempfile.TemporaryDirectory(prefix=".download-", dir=self._ctx.root) as tmp:
                yield self._download(path, Path(tmp))
        elif "://" in path and not path.startswith("file://"):
            raise NotSupportedLocallyError.field(
                "path", path, "use a local path, runs:/<run_id>/<path> or azureml://datastores/<name>/paths/<path>"
            )
        else:
            local = Path(url2pathname(urlparse(path).path) if path.startswith("file://") else path).expanduser()
            yield _existing(local, path)

    def _download(self, uri: str, into: Path) -> Path:
        import mlflow.artifacts
        from mlflow.exceptions import MlflowException

        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        self._mlflow()
        try:
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=uri, dst_path=str(into), tracking_uri=mlflow_store.tracking_uri(self._ctx)
            )
        except (MlflowException, OSError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise UserInputError.invalid("path", uri, f"could not be read from this workspace's MLflow ({first})") from None
        return Path(local)

    def _local_files_of(self, spec: dict) -> Path:
        from workspace.local.operations.datastores import DatastoreOperations

        return DatastoreOperations(self._ctx).resolve(spec["path"])


def check_model_files(path: Path, model_type: str) -> None:
    if model_type == "mlflow_model" and not (path / "MLmodel").is_file():
        raise UserInputError.invalid(
            "path", str(path), "has no MLmodel file; an mlflow_model is a folder written by mlflow.<flavor>.save_model"
        )


def _register(client, name: str, version: str, spec: dict, run_id: str | None, files: Path) -> int:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name)
    tags = {**{k: str(v) for k, v in (spec.get("tags") or {}).items()}, TAG_VERSION: version, TAG_TYPE: spec["type"]}
    mv = client.create_model_version(name, str(files), run_id=run_id, tags=tags, description=spec.get("description"))
    return int(mv.version)


def _search_versions(client, name: str | None) -> list:
    """All READY MLflow versions (of one model), following MLflow's pages."""
    found, token = [], None
    filter_string = f"name = '{name}'" if name else None
    while True:
        page = client.search_model_versions(filter_string, page_token=token)
        found.extend(mv for mv in page if mv.status == "READY")
        token = page.token
        if not token:
            return found


def _existing(local: Path, given: str) -> Path:
    if not local.exists():
        raise UserInputError.missing_path("path", given)
    return local


def _flavors(folder: Path) -> dict:
    """The MLmodel's flavors with their scalar settings, as Azure shows them."""
    import yaml

    try:
        flavors = (yaml.safe_load((folder / "MLmodel").read_text()) or {}).get("flavors") or {}
    except yaml.YAMLError as exc:
        raise UserInputError.invalid("MLmodel", str(folder / "MLmodel"), f"is not valid YAML ({exc.__class__.__name__})") from None
    return {
        flavor: {k: str(v) for k, v in (conf or {}).items() if isinstance(v, (str, int, float, bool))}
        for flavor, conf in flavors.items()
    }


def _user_tags(tags: dict) -> dict:
    return {k: v for k, v in (tags or {}).items() if not k.startswith(_INTERNAL_TAG_PREFIXES)}


def _content_hash(model_type: str, files_hash: str) -> str:
    return hashlib.sha256(f"{model_type}\0{files_hash}".encode()).hexdigest()


_SYNC_KEY = "models_mlflow_synced_state"


def _mlflow_db_state(db: Path) -> str:
    """Size and mtime of MLflow's database and its WAL: any registration changes one of them."""
    parts = []
    for path in (db, db.with_name(db.name + "-wal")):
        try:
            stat = path.stat()
            parts.append(f"{stat.st_size}:{stat.st_mtime_ns}")
        except FileNotFoundError:
            parts.append("-")
    return "|".join(parts)
