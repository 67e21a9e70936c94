"""``client.models``: registering, versioning and loading models in the local workspace's MLflow registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workspace.errors import ConflictError, NotSupportedLocallyError, ResourceNotFoundError, UserInputError

ROOT = Path(__file__).resolve().parent.parent
ROWS = [[0.0, 0.0], [0.1, 0.2], [1.0, 1.0], [0.9, 1.1], [0.2, 0.1], [1.1, 0.8]]
LABELS = [0, 0, 1, 1, 0, 1]


@pytest.fixture(scope="module")
def sklearn_model_dir(tmp_path_factory) -> Path:
    """A real MLflow model: a LogisticRegression saved with mlflow.sklearn (once per module: it takes seconds)."""
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("mlflow") / "model"
    # Explicit requirements: MLflow would otherwise infer them in a subprocess, which is slow.
    mlflow.sklearn.save_model(LogisticRegression().fit(ROWS, LABELS), folder, pip_requirements=["scikit-learn"])
    return folder


@pytest.fixture(scope="module")
def mlflow_db_template(tmp_path_factory) -> Path:
    """An empty MLflow database with its schema migrated, made once per module."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = tmp_path_factory.mktemp("mlflow-template")
    SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}", (folder / "artifacts").as_uri())
    return folder / "mlflow.db"


@pytest.fixture
def client(client, mlflow_db_template):
    """conftest's client, its MLflow schema already in place: migrating a new one costs ~1.5 s per test.
    The two-process test uses a fresh workspace, so the real first-use path is still covered."""
    client._ctx.paths.mlflow_db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_db_template, client._ctx.paths.mlflow_db)
    return client


@pytest.fixture
def custom_dir(tmp_path) -> Path:
    folder = tmp_path / "custom"
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.bin").write_bytes(b"\x00\x01weights")
    (folder / "sub" / "vocab.txt").write_text("a\nb\n")
    return folder


def Model(**kwargs):
    from azure.ai.ml.entities import Model as AzureModel

    return AzureModel(**kwargs)


def mlflow_client(client):
    from workspace.local import mlflow_store

    return mlflow_store.mlflow_client(client._ctx)


def mlflow_versions(client, name: str) -> list:
    return sorted(mlflow_client(client).search_model_versions(f"name = '{name}'"), key=lambda mv: int(mv.version))


def test_register_mlflow_model_snapshots_and_registers_in_mlflow(client, workspace_root, sklearn_model_dir):
    model = client.models.create_or_update(
        Model(name="lr", path=sklearn_model_dir, type="mlflow_model", description="logistic", tags={"team": "a"})
    )
    assert (model.name, model.version, model.type) == ("lr", "1", "mlflow_model")
    assert model.path.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert model.path.endswith("/model")
    assert model.description == "logistic"
    assert model.tags == {"team": "a"}  # no internal azureml.* tags
    assert model.creation_context.created_by == "tester"
    assert "python_function" in model.flavors
    snapshot = workspace_root / "datastores" / "workspaceblobstore" / model.path.split("/paths/", 1)[1]
    assert (snapshot / "MLmodel").is_file()
    [mv] = mlflow_versions(client, "lr")
    assert Path(mv.source) == snapshot
    assert mv.tags["azureml.version"] == "1" and mv.tags["azureml.model_type"] == "mlflow_model"
    assert mv.tags["team"] == "a"


def test_register_custom_model_file_and_folder(client, custom_dir):
    folder = client.models.create_or_update(Model(name="custom", path=custom_dir))
    single = client.models.create_or_update(Model(name="custom-file", path=custom_dir / "weights.bin", type="custom_model"))
    assert folder.type == "custom_model" and folder.path.endswith("/custom")
    assert single.type == "custom_model" and single.path.endswith("/weights.bin")
    assert client.models.local_path("custom-file").read_bytes() == b"\x00\x01weights"


def test_versions_auto_increment_and_explicit(client, custom_dir):
    first = client.models.create_or_update(Model(name="m", path=custom_dir))
    (custom_dir / "weights.bin").write_bytes(b"v2")
    second = client.models.create_or_update(Model(name="m", path=custom_dir))
    (custom_dir / "weights.bin").write_bytes(b"v7")
    explicit = client.models.create_or_update(Model(name="m", version="7", path=custom_dir))
    after = client.models.create_or_update(Model(name="m", path=custom_dir))
    assert [first.version, second.version, explicit.version, after.version] == ["1", "2", "7", "8"]
    assert [m.version for m in client.models.list("m")] == ["1", "2", "7", "8"]
    # Each is its own MLflow version, tagged with ours.
    assert [mv.tags["azureml.version"] for mv in mlflow_versions(client, "m")] == ["1", "2", "7", "8"]


def test_same_content_same_version_is_idempotent_and_updates_description(client, custom_dir):
    client.models.create_or_update(Model(name="m", version="1", path=custom_dir, description="old", tags={"x": "1"}))
    again = client.models.create_or_update(Model(name="m", version="1", path=custom_dir, description="new", tags={"y": "2"}))
    assert (again.version, again.description, again.tags) == ("1", "new", {"y": "2"})
    [mv] = mlflow_versions(client, "m")  # no second MLflow version
    assert mv.description == "new"
    assert mv.tags.get("y") == "2" and "x" not in mv.tags and mv.tags["azureml.version"] == "1"


def test_different_content_same_version_conflicts(client, custom_dir):
    client.models.create_or_update(Model(name="m", version="1", path=custom_dir))
    (custom_dir / "weights.bin").write_bytes(b"changed")
    with pytest.raises(ConflictError) as err:
        client.models.create_or_update(Model(name="m", version="1", path=custom_dir))
    assert err.value.field == "version" and "'m'" in str(err.value) and "\n" not in str(err.value)
    assert len(mlflow_versions(client, "m")) == 1
    # Same files as another type are different content too.
    (custom_dir / "weights.bin").write_bytes(b"\x00\x01weights")
    (custom_dir / "MLmodel").write_text("flavors: {}\n")
    client.models.create_or_update(Model(name="m2", version="1", path=custom_dir))
    with pytest.raises(ConflictError):
        client.models.create_or_update(Model(name="m2", version="1", path=custom_dir, type="mlflow_model"))


def test_missing_path_names_the_field(client, tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(UserInputError) as err:
        client.models.create_or_update(Model(name="m", path=missing))
    assert err.value.field == "path" and str(missing) in str(err.value) and "does not exist" in str(err.value)


def test_mlflow_model_folder_needs_mlmodel_file(client, custom_dir):
    with pytest.raises(UserInputError) as err:
        client.models.create_or_update(Model(name="m", path=custom_dir, type="mlflow_model"))
    assert err.value.field == "path" and "has no MLmodel file" in str(err.value)
    assert list(client.models.list()) == []


def test_unsupported_and_unknown_types(client, custom_dir):
    with pytest.raises(NotSupportedLocallyError) as err:
        client.models.create_or_update(Model(name="m", path=custom_dir, type="triton_model"))
    assert err.value.field == "type" and "triton_model" in str(err.value)
    with pytest.raises(UserInputError) as err:
        client.models.create_or_update(Model(name="m", path=custom_dir, type="onnx_model"))
    assert err.value.field == "type"
    with pytest.raises(NotSupportedLocallyError) as err:
        client.models.create_or_update(Model(name="m", path="https://example.com/model.pkl"))
    assert err.value.field == "path"


def test_unknown_name_or_version_is_not_found(client, custom_dir):
    with pytest.raises(ResourceNotFoundError) as err:
        client.models.get("ghost", version="1")
    assert "'ghost'" in str(err.value)
    client.models.create_or_update(Model(name="m", path=custom_dir))
    with pytest.raises(ResourceNotFoundError) as err:
        client.models.get("m", version="9")
    assert err.value.field == "version" and "'9'" in str(err.value)
    with pytest.raises(ResourceNotFoundError):
        client.models.get("ghost", label="latest")


def test_latest_label_skips_archived_versions(client, custom_dir):
    for content in (b"1", b"2", b"3"):
        (custom_dir / "weights.bin").write_bytes(content)
        client.models.create_or_update(Model(name="m", path=custom_dir))
    assert client.models.get("m", label="latest").version == "3"
    client.models.archive("m", version="3")
    assert client.models.get("m", label="latest").version == "2"
    assert client.models.get("m", version="3").version == "3"  # still reachable by version


def test_archive_restore_and_stage_filter_in_list(client, custom_dir):
    from azure.ai.ml.constants import ListViewType

    client.models.create_or_update(Model(name="a", path=custom_dir, stage="Production"))
    client.models.create_or_update(Model(name="b", path=custom_dir))
    client.models.create_or_update(Model(name="b", path=custom_dir))
    assert [m.name for m in client.models.list(stage="Production")] == ["a"]
    client.models.archive("a")
    assert [m.name for m in client.models.list()] == ["b"]
    assert [m.name for m in client.models.list(list_view_type=ListViewType.ARCHIVED_ONLY)] == ["a"]
    client.models.archive("b", version="1")
    assert [m.version for m in client.models.list("b")] == ["2"]
    assert [m.version for m in client.models.list("b", list_view_type=ListViewType.ALL)] == ["1", "2"]
    client.models.restore("a")
    client.models.restore("b", version="1")
    assert [m.name for m in client.models.list()] == ["a", "b"]
    assert [m.version for m in client.models.list("b")] == ["1", "2"]


def test_download_copies_files_like_azure(client, custom_dir, tmp_path):
    client.models.create_or_update(Model(name="m", path=custom_dir))
    client.models.create_or_update(Model(name="f", path=custom_dir / "weights.bin"))
    client.models.download("m", "1", download_path=tmp_path / "out")
    client.models.download("f", "1", download_path=tmp_path / "out")
    assert (tmp_path / "out" / "m" / "custom" / "sub" / "vocab.txt").read_text() == "a\nb\n"
    assert (tmp_path / "out" / "f" / "weights.bin").read_bytes() == b"\x00\x01weights"


def test_mlflow_loads_registered_version_and_predicts(client, sklearn_model_dir, monkeypatch):
    import mlflow.pyfunc
    from workspace.local import mlflow_store

    client.models.create_or_update(Model(name="lr", path=sklearn_model_dir, type="mlflow_model"))
    client.models.create_or_update(Model(name="lr", version="v-final", path=sklearn_model_dir, type="mlflow_model"))
    uri = mlflow_store.tracking_uri(client._ctx)
    # The environment variables, not mlflow.set_tracking_uri: monkeypatch undoes them for later tests.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    loaded = mlflow.pyfunc.load_model("models:/lr/1")
    assert list(loaded.predict([[0.0, 0.1], [1.0, 1.0]])) == [0, 1]
    assert client.models.mlflow_uri("lr", version="v-final") == "models:/lr/2"
    assert mlflow.pyfunc.load_model(client.models.mlflow_uri("lr", label="latest")).predict([[1.0, 1.0]])[0] == 1


def test_versions_registered_through_mlflow_appear(client, custom_dir, sklearn_model_dir):
    client.models.create_or_update(Model(name="m", version="2", path=custom_dir))  # MLflow version 1
    direct = mlflow_client(client)
    direct.create_registered_model("from-mlflow")
    direct.create_model_version(
        "from-mlflow", source=str(sklearn_model_dir), tags={"origin": "job", "mlflow.note": "x"}, description="direct"
    )
    direct.create_model_version("m", source=str(custom_dir))  # MLflow version 2, but our "2" is taken

    assert [m.name for m in client.models.list()] == ["from-mlflow", "m"]
    imported = client.models.get("from-mlflow", version="1")
    assert (imported.type, imported.tags, imported.description) == ("mlflow_model", {"origin": "job"}, "direct")
    assert imported.path.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert (client.models.local_path("from-mlflow") / "MLmodel").is_file()
    assert [m.version for m in client.models.list("m")] == ["2", "3"]
    assert client.models.mlflow_uri("m", version="3") == "models:/m/2"
    # The next auto version follows both.
    assert client.models.create_or_update(Model(name="m", path=custom_dir / "sub")).version == "4"


def test_register_from_mlflow_run(client, workspace_root, sklearn_model_dir):
    import mlflow
    from workspace.local import mlflow_store

    direct = mlflow_client(client)
    experiment = direct.create_experiment("train", artifact_location=(workspace_root / "mlflow" / "train").as_uri())
    run = direct.create_run(experiment_id=experiment)
    direct.log_artifacts(run.info.run_id, str(sklearn_model_dir), artifact_path="model")
    direct.set_terminated(run.info.run_id)
    model = client.models.create_or_update(Model(name="run-model", path=f"runs:/{run.info.run_id}/model", type="mlflow_model"))
    assert model.version == "1" and model.path.endswith("/model")
    assert (client.models.local_path("run-model") / "MLmodel").is_file()
    [mv] = mlflow_versions(client, "run-model")
    assert mv.run_id == run.info.run_id
    with pytest.raises(UserInputError) as err:
        client.models.create_or_update(Model(name="run-model", path="runs:/0123456789abcdef/model", type="mlflow_model"))
    assert err.value.field == "path" and "\n" not in str(err.value)
    assert mlflow_store.tracking_uri(client._ctx) != mlflow.get_tracking_uri()  # we never changed the global URI


def test_failed_mlflow_registration_leaves_no_row(client, custom_dir, monkeypatch):
    from mlflow.tracking import MlflowClient

    def boom(*args, **kwargs):
        raise RuntimeError("registry down")

    monkeypatch.setattr(MlflowClient, "create_model_version", boom)
    with pytest.raises(RuntimeError):
        client.models.create_or_update(Model(name="m", path=custom_dir))
    monkeypatch.undo()
    assert list(client.models.list()) == []
    assert client.models.create_or_update(Model(name="m", path=custom_dir)).version == "1"


_REGISTER_SCRIPT = """
import json, sys, time
from pathlib import Path
from azure.ai.ml.entities import Model
from mlflow.tracking import MlflowClient  # the slow imports happen before the start line
from workspace.local import LocalMLClient

root, files, me, start = sys.argv[1:5]
client = LocalMLClient(root, user=me)
Path(start, me).touch()
while not Path(start, "go").exists():
    time.sleep(0.01)
versions = [client.models.create_or_update(Model(name="shared", path=files)).version for _ in range(8)]
print(json.dumps(versions))
"""


def test_two_processes_get_distinct_versions(workspace_root, custom_dir, tmp_path):
    """Both start registering at the same moment on a fresh workspace, so they also race to create MLflow's schema."""
    start = tmp_path / "start"
    start.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLFLOW_DISABLE_TELEMETRY": "true"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _REGISTER_SCRIPT, str(workspace_root), str(custom_dir), f"user{i}", str(start)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )
        for i in range(2)
    ]
    deadline = time.monotonic() + 60
    while not all((start / f"user{i}").exists() for i in range(2)) and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.01)
    (start / "go").touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-2000:]
    expected = [str(v) for v in range(1, 17)]
    versions = [v for out, _ in outputs for v in json.loads(out.strip().splitlines()[-1])]
    assert sorted(versions, key=int) == expected

    from workspace.local import LocalMLClient

    client = LocalMLClient(workspace_root, user="tester")
    try:
        assert [m.version for m in client.models.list("shared")] == expected
        assert sorted(mv.tags["azureml.version"] for mv in mlflow_versions(client, "shared")) == sorted(expected)
        assert {m.creation_context.created_by for m in client.models.list("shared")} == {"user0", "user1"}
    finally:
        client.close()


def test_listing_skips_mlflow_until_mlflow_changes(client, custom_dir, sklearn_model_dir, monkeypatch):
    from workspace.local.operations import models as models_module

    client.models.create_or_update(Model(name="m", path=custom_dir))
    assert [m.name for m in client.models.list()] == ["m"]  # a full sync, recorded
    real_search = models_module._search_versions
    calls = []
    monkeypatch.setattr(models_module, "_search_versions", lambda *a: calls.append(a) or real_search(*a))
    assert [m.name for m in client.models.list()] == ["m"]
    assert calls == []  # nothing changed in MLflow: not asked again

    direct = mlflow_client(client)
    direct.create_registered_model("late")
    direct.create_model_version("late", source=str(sklearn_model_dir))
    assert [m.name for m in client.models.list()] == ["late", "m"]
    assert len(calls) == 1
