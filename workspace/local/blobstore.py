"""The default datastore, ``workspaceblobstore``: a folder on this machine.

Registering an asset from a local path copies (snapshots) it here, under a
content-addressed ``LocalUpload/<hash>/`` folder as Azure ML does, so later
edits to the user's files never change a registered version. Copies go to a
temporary folder first and are renamed into place, so a failed or concurrent
upload never leaves half a snapshot behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from workspace.errors import UserInputError

_CHUNK = 1 << 20
_IGNORED = {"__pycache__", ".git", ".ipynb_checkpoints", ".amlignore"}


def hash_path(path: Path) -> str:
    """A sha256 over file names and contents; folders hash in sorted order."""
    digest = hashlib.sha256()
    for rel, file in _walk(path):
        digest.update(rel.encode() + b"\0")
        with open(file, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _walk(path: Path):
    if path.is_file():
        yield path.name, path
        return
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(Path(dirpath), d))
        for name in sorted(filenames):
            file = Path(dirpath) / name
            yield file.relative_to(path).as_posix(), file


def _skipped(folder: Path, name: str) -> bool:
    """Never uploaded: tool folders, and local workspaces, as a code folder may hold its own (./ws)."""
    return name in _IGNORED or (folder / name / "workspace.db").is_file()


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if _skipped(Path(folder), name)}


class Blobstore:
    def __init__(self, root: Path, name: str = "workspaceblobstore") -> None:
        self.root = Path(root)
        self.name = name
        self._local = threading.local()

    @contextmanager
    def removing_new_uploads_on_error(self, is_referenced: Callable[[str], bool]) -> Iterator[None]:
        """Snapshots first made inside the block are removed again if the block fails
        (a refused version must leave no files behind), unless an asset refers to them."""
        created: list[str] = []
        self._local.created = created
        try:
            yield
        except BaseException:
            for relpath in created:
                if not is_referenced(relpath):
                    shutil.rmtree((self.root / relpath).parent, ignore_errors=True)
            raise
        finally:
            self._local.created = None

    def uri(self, relpath: str) -> str:
        return f"azureml://datastores/{self.name}/paths/{relpath}"

    def snapshot(self, source: Path, field: str = "path") -> tuple[str, str]:
        """Copy ``source`` into LocalUpload/; returns (datastore-relative path, content hash)."""
        source = Path(source).expanduser()
        if not source.exists():
            raise UserInputError.missing_path(field, source)
        source = source.resolve()
        content_hash = hash_path(source)
        relpath = f"LocalUpload/{content_hash[:32]}/{source.name}"
        target = self.root / relpath
        if target.exists():
            return relpath, content_hash
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=target.parent))
        try:
            staged = staging / source.name
            if source.is_dir():
                shutil.copytree(source, staged, ignore=_ignore)
            else:
                shutil.copy2(source, staged)
            try:
                os.rename(staged, target)
            except OSError:
                if not target.exists():  # lost a race to an identical upload otherwise
                    raise
            else:
                created = getattr(self._local, "created", None)
                if created is not None:
                    created.append(relpath)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return relpath, content_hash

    def local_path(self, relpath: str) -> Path:
        path = (self.root / relpath.lstrip("/")).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise UserInputError.invalid("path", relpath, "points outside the datastore")
        return path
