"""Fixtures: a folder with ``fixture.yaml`` and the Azure ML YAML files it applies.

``fixture.yaml``::

    workspace: contoso-ml          # optional: the workspace's name (default: the folder's name)
    build:                         # optional: files made before applying (builders in evals/fixtures/build.py)
      diabetes: diabetes_data
    apply:                         # Azure ML YAML, paths relative to the folder, applied in order as the Owner
      - compute/cpu-cluster.yml
    roles:                         # optional: role assignments made after applying
      - {principal: bob@contoso.com, role: Reader}

A run builds each fixture once into a *template* (the folder's files plus an
applied workspace) and every case starts from its own copy of both. Copying
is what keeps a suite fast: applying afresh would migrate a new MLflow
database for every case that holds a model.
"""

from __future__ import annotations

import functools
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from workspace.errors import UserInputError

OWNER = "owner@contoso.com"  # the workspace's creator, who applies the fixture
FIXTURE_KEYS = ("workspace", "build", "apply", "roles")


class FixtureError(UserInputError):
    """A fixture that can't be built as written."""


@dataclass(frozen=True)
class Fixture:
    folder: Path
    workspace: str
    build: tuple[tuple[str, str], ...] = ()   # (target relative to the folder, builder name)
    apply: tuple[str, ...] = ()
    roles: tuple[tuple[str, str], ...] = ()   # (principal, role)


@dataclass(frozen=True)
class Template:
    """A built fixture: ``files`` (the folder, with built files) and ``workspace`` (its root)."""

    files: Path
    workspace: Path


def load_fixture(folder: str | Path) -> Fixture:
    import yaml

    folder = Path(folder).resolve()
    where = f"{folder.name}/fixture.yaml"
    path = folder / "fixture.yaml"
    if not path.is_file():
        raise FixtureError(f"{where}: does not exist", field="fixture", value=str(folder))
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise FixtureError(f"{where}: must be a mapping with apply: and optionally roles:", field="fixture")
    unknown = [k for k in data if k not in FIXTURE_KEYS]
    if unknown:
        raise FixtureError(f"{where}: {unknown[0]}: is not a known field; use {', '.join(FIXTURE_KEYS)}", field=unknown[0])
    build = data.get("build") or {}
    for target, builder in build.items():
        if builder not in builders():
            raise FixtureError(f"{where}: build.{target}: {builder!r} is not a builder; use {', '.join(builders())}", field="build")
    apply = data.get("apply") or []
    if not isinstance(apply, list) or not all(isinstance(p, str) for p in apply):
        raise FixtureError(f"{where}: apply: must be a list of YAML paths relative to the folder", field="apply")
    return Fixture(folder, str(data.get("workspace") or folder.name), tuple(build.items()), tuple(apply), _roles(where, data.get("roles")))


def _roles(where: str, value: Any) -> tuple[tuple[str, str], ...]:
    from agent.config import ROLES

    roles = []
    for i, item in enumerate(value or []):
        if not isinstance(item, dict) or set(item) != {"principal", "role"} or item["role"] not in ROLES:
            raise FixtureError(f"{where}: roles[{i}]: {item!r} must be {{principal: name, role: one of {', '.join(ROLES)}}}", field="roles")
        roles.append((str(item["principal"]), item["role"]))
    return tuple(roles)


@functools.cache
def builders() -> dict[str, Callable[[Path], None]]:
    """The builders of evals/fixtures/build.py, a script beside the fixtures (not an importable package)."""
    import importlib.util

    from evals import FIXTURES_DIR

    spec = importlib.util.spec_from_file_location("evals_fixture_builders", FIXTURES_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.BUILDERS)


def build_template(fixture: Fixture, dest: Path) -> Template:
    """Copy the folder, run its builders, apply its YAML as the Owner and assign its roles."""
    from workspace.loaders import apply_entity, load_entity
    from workspace.local import LocalMLClient

    template = Template(Path(dest) / "files", Path(dest) / fixture.workspace)
    shutil.copytree(fixture.folder, template.files)
    for target, builder in fixture.build:
        builders()[builder](template.files / target)
    client = LocalMLClient(template.workspace, user=OWNER, secrets_backend="file")
    try:
        for relative in fixture.apply:
            try:
                apply_entity(client, load_entity(template.files / relative))
            except UserInputError as exc:
                raise FixtureError(f"{fixture.folder.name}/{relative}: {exc.message}", field="apply", value=relative) from None
        for principal, role in fixture.roles:
            client.role_assignments.create(principal, role)
        wait_for_jobs(client)
    finally:
        from evals.runner import stop_processes

        stop_processes(template.workspace)  # a template serves nothing: each case starts what it uses
        client.close()
    return template


JOB_WAIT_SECONDS = 180.0
ENDED = ("Completed", "Failed", "Canceled")


def wait_for_jobs(client: Any, timeout: float = JOB_WAIT_SECONDS) -> None:
    """Jobs a fixture submits run to their end before the template is copied: every case sees them
    finished, with their logs, and no case inherits a half-run job."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        running = [j.name for j in client.jobs.list() if str(j.status) not in ENDED]
        if not running:
            return
        if time.monotonic() > deadline:
            raise FixtureError(f"jobs: {', '.join(running)} still running after {timeout:.0f} s", field="apply")
        time.sleep(0.5)


def instantiate(template: Template, dest: Path) -> Template:
    """A fresh copy of a built fixture: the files (the session's working folder) and the workspace."""
    copy = Template(Path(dest) / "files", Path(dest) / template.workspace.name)
    shutil.copytree(template.files, copy.files)
    shutil.copytree(template.workspace, copy.workspace)
    mlflow_db = copy.workspace / "mlflow" / "mlflow.db"
    if mlflow_db.is_file():
        rewrite_paths(mlflow_db, str(template.workspace.resolve()), str(copy.workspace.resolve()))
    return copy


def rewrite_paths(db_path: Path, old: str, new: str) -> None:
    """Point MLflow's absolute artifact and model paths at the copy.

    MLflow stores absolute paths (experiment artifact locations, model version
    sources); left alone, a copy would read and write the template's files.
    Every text column is rewritten, so a newer MLflow schema is covered too.
    """
    with closing(sqlite3.connect(db_path)) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for column in db.execute(f'PRAGMA table_info("{table}")').fetchall():
                name, kind = column[1], str(column[2]).upper()
                if "CHAR" in kind or "TEXT" in kind or kind == "":
                    db.execute(f'UPDATE "{table}" SET "{name}" = replace("{name}", ?, ?) WHERE instr("{name}", ?) > 0',
                               (old, new, old))
        db.commit()


def open_workspace(root: Path, user: str, roles: tuple[str, ...]) -> Any:
    """The workspace client acting as ``user``, who now holds exactly ``roles``."""
    from workspace.local import LocalMLClient

    client = LocalMLClient(root, user=user, secrets_backend="file")
    assignments = client.role_assignments
    for role in roles:
        assignments.create(user, role)
    for role in assignments.roles_of(user):
        if role not in roles:
            try:
                assignments.delete(user, role)
            except UserInputError as exc:  # the fixture's last Owner can't lose the role
                client.close()
                raise FixtureError(f"identity: {user} can't drop {role}: {exc.message}", field="identity") from None
    return client
