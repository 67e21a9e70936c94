"""Shared by the planner tests: a populated workspace, the catalog's tools, and one-call planning.

The workspace is real (``LocalMLClient`` in a temporary folder) and holds a
little of everything, so references resolve against live names:

- computes: cpu-cluster (DS3 v2, 0..4), gpu-cluster (NC6s v3, 0..2), ci-alice (instance)
- data: diabetes-training:1 (mltable), sales:1 (uri_file)
- models: diabetes-model:1; environments: train-env:1; datastores: trainingblobs
- roles: tester (Owner), bob (Reader), carol@contoso.com (Contributor)
"""

from __future__ import annotations

import atexit
import shutil
from pathlib import Path
from typing import Any

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
USER = "tester"


def catalog_specs() -> list[Any]:
    from agent.undo import UndoPlugin
    from tools.catalog import all_specs

    return [*all_specs().values(), *UndoPlugin.tool_specs().values()]


def populate(client: Any, folder: Path) -> Any:
    from azure.ai.ml.entities import AmlCompute, AzureBlobDatastore, ComputeInstance, Data, Environment, Model

    client.compute.begin_create_or_update(AmlCompute(name="cpu-cluster", size="STANDARD_DS3_v2", max_instances=4)).result()
    client.compute.begin_create_or_update(AmlCompute(name="gpu-cluster", size="STANDARD_NC6s_v3", max_instances=2)).result()
    client.compute.begin_create_or_update(ComputeInstance(name="ci-alice", size="STANDARD_DS11_v2")).result()
    diabetes = folder / "diabetes"
    shutil.copytree(SHARED_DATA / "diabetes", diabetes)
    client.data.create_or_update(Data(name="diabetes-training", path=str(diabetes), type="mltable"))
    client.data.create_or_update(Data(name="sales", path=str(diabetes / "diabetes.csv"), type="uri_file"))
    model = folder / "model"
    model.mkdir()
    (model / "model.pkl").write_bytes(b"not really a model")
    client.models.create_or_update(Model(name="diabetes-model", path=str(model), type="custom_model"))
    conda = folder / "conda.yml"
    conda.write_text("name: train\ndependencies:\n  - python=3.11\n  - pip:\n    - scikit-learn\n")
    client.environments.create_or_update(Environment(name="train-env", image="python:3.11-slim", conda_file=str(conda)))
    client.datastores.create_or_update(AzureBlobDatastore(name="trainingblobs", account_name="mystorage", container_name="training"))
    client.role_assignments.create("bob", "Reader")
    client.role_assignments.create("carol@contoso.com", "Contributor")
    return client


_SHARED: dict[str, Any] = {}


@pytest.fixture
def workspace(tmp_path_factory):
    """A populated workspace shared by every planner test in this process (they only read it).

    Each test module imports this fixture, which would make pytest build one per
    module; the cache makes it one per worker (populating costs a few seconds).
    """
    if "client" not in _SHARED:
        from workspace.local import LocalMLClient

        folder = tmp_path_factory.mktemp("planner")
        client = LocalMLClient(folder / "ws", user=USER, secrets_backend="file")
        _SHARED["client"] = populate(client, folder)
        atexit.register(client.close)
    return _SHARED["client"]


class ListedOnce:
    """A read-only view of a client whose ``list()`` results are taken once (for sweeps of many requests)."""

    def __init__(self, client: Any) -> None:
        self._client, self._groups = client, {}

    def __getattr__(self, name: str) -> Any:
        if name not in self._groups:
            group = getattr(self._client, name)
            self._groups[name] = _Listed(group) if callable(getattr(group, "list", None)) else group
        return self._groups[name]


class _Listed:
    """One group's ``list(**filters)`` results, each taken once (deployments are listed per endpoint)."""

    def __init__(self, group: Any) -> None:
        self._group, self._rows = group, {}

    def list(self, **filters: Any) -> list:
        key = tuple(sorted(filters.items()))
        if key not in self._rows:
            self._rows[key] = list(self._group.list(**filters))
        return self._rows[key]


def plan(text: str, client: Any = None, history: list[dict] | None = None, offered: set[str] | None = None) -> Any:
    """The planner's reply to ``text`` after ``history`` (plain dicts), with every catalog tool offered."""
    from agent.planner import respond

    specs = catalog_specs()
    names = offered if offered is not None else {s.full_name for s in specs}
    messages = [*(history or []), {"role": "user", "text": text}]
    return respond(messages, specs, names, client, USER)


def user(text: str) -> dict:
    return {"role": "user", "text": text}


def assistant(text: str = "", calls: list[tuple[str, dict]] | None = None) -> dict:
    return {"role": "assistant", "text": text, "calls": [{"name": n, "arguments": a} for n, a in calls or []]}


def result(name: str, text: str) -> dict:
    return {"role": "tool", "name": name, "text": text}


# -- the helpers' own checks ------------------------------------------------------


def test_the_shared_workspace_holds_what_the_tests_expect(workspace):
    assert sorted(c.name for c in workspace.compute.list()) == ["ci-alice", "cpu-cluster", "gpu-cluster"]
    assert sorted(d.name for d in workspace.data.list()) == ["diabetes-training", "sales"]
    assert [m.name for m in workspace.models.list()] == ["diabetes-model"]
    assert sorted(a.principal for a in workspace.role_assignments.list()) == ["bob", "carol@contoso.com", USER]


def test_plan_offers_every_catalog_tool_and_the_undo():
    names = {s.full_name for s in catalog_specs()}
    assert "session-undo" in names and "compute-create" in names and len(names) >= 38
