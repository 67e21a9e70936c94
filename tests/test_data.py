"""client.data: uri_file, uri_folder and mltable assets, snapshots, versions, references."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from workspace.errors import ConflictError, ResourceNotFoundError, UserInputError


def _data(name, path, data_type="uri_folder", **kwargs):
    from azure.ai.ml.entities import Data

    return Data(name=name, path=str(path), type=data_type, **kwargs)


def test_diabetes_mltable_loads_10000_rows_by_10_columns(client, diabetes_dir):
    created = client.data.create_or_update(_data("diabetes-training", diabetes_dir, "mltable"))
    assert created.version == "1"
    assert created.path.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    frame = client.data.load_dataframe("diabetes-training", version="1")
    assert frame.shape == (10000, 10)
    assert "Diabetic" in frame.columns


def test_uri_file_and_folder_are_snapshotted(client, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "a.csv").write_text("x,y\n1,2\n")
    client.data.create_or_update(_data("raw", folder))
    client.data.create_or_update(_data("one-file", folder / "a.csv", "uri_file"))
    (folder / "a.csv").write_text("x,y\n9,9\n")  # later edits never reach a registered version
    stored = client.data.local_path("one-file")
    assert stored.read_text() == "x,y\n1,2\n"
    assert (client.data.local_path("raw") / "a.csv").read_text() == "x,y\n1,2\n"
    assert client.data.load_dataframe("one-file")["y"].tolist() == [2]


def test_versions_increment_and_references_resolve(client, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "f.txt").write_text("1")
    first = client.data.create_or_update(_data("sales", folder))
    (folder / "f.txt").write_text("2")
    second = client.data.create_or_update(_data("sales", folder))
    assert (first.version, second.version) == ("1", "2")
    assert client.data.get("sales", label="latest").version == "2"
    assert client.data.resolve("azureml:sales:1").path == first.path
    assert client.data.resolve("azureml:sales@latest").version == "2"
    assert [d.version for d in client.data.list("sales")] == ["1", "2"]
    with pytest.raises(ResourceNotFoundError, match="versions: 1, 2"):
        client.data.resolve("azureml:sales:7")
    with pytest.raises(ResourceNotFoundError, match="nope"):
        client.data.resolve("azureml:nope@latest")


def test_same_version_same_content_is_idempotent_and_updates_tags(client, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "f.txt").write_text("1")
    client.data.create_or_update(_data("x", folder, version="3"))
    again = client.data.create_or_update(_data("x", folder, version="3", tags={"stage": "gold"}))
    assert again.version == "3" and again.tags == {"stage": "gold"}
    assert len(list(client.data.list("x"))) == 1


def test_same_version_different_content_is_a_conflict_and_changes_nothing(client, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "f.txt").write_text("1")
    original = client.data.create_or_update(_data("x", folder, version="1"))
    (folder / "f.txt").write_text("changed")
    uploads = client.paths.default_datastore / "LocalUpload"
    before = sorted(uploads.iterdir())
    with pytest.raises(ConflictError, match="version: data 'x' version '1'"):
        client.data.create_or_update(_data("x", folder, version="1"))
    assert sorted(uploads.iterdir()) == before  # the refused content left no files behind
    assert client.data.get("x", version="1").path == original.path
    assert (client.data.local_path("x", "1") / "f.txt").read_text() == "1"


def test_archive_hides_and_restore_shows(client, tmp_path):
    from azure.ai.ml.constants import ListViewType

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "f.txt").write_text("1")
    client.data.create_or_update(_data("x", folder))
    client.data.archive("x")
    assert [d.name for d in client.data.list()] == []
    assert [d.name for d in client.data.list(list_view_type=ListViewType.ARCHIVED_ONLY)] == ["x"]
    client.data.restore("x")
    assert [d.name for d in client.data.list()] == ["x"]
    client.data.archive("x", version="1")
    with pytest.raises(ResourceNotFoundError):
        client.data.get("x", label="latest")


@pytest.mark.parametrize(
    ("name", "data_type", "make_path", "field", "fragment"),
    [
        ("x", "uri_folder", lambda p: p / "missing", "path", "does not exist"),
        ("x", "uri_file", lambda p: p, "path", "needs a file"),
        ("x", "uri_folder", lambda p: p / "file.csv", "path", "needs a folder"),
        ("x", "mltable", lambda p: p, "path", "no MLTable file"),
        ("bad name!", "uri_folder", lambda p: p, "name", "not a valid asset name"),
    ],
)
def test_bad_data_is_refused_and_nothing_written(client, tmp_path, name, data_type, make_path, field, fragment):
    (tmp_path / "file.csv").write_text("a\n1\n")
    with pytest.raises(UserInputError) as info:
        client.data.create_or_update(_data(name, make_path(tmp_path), data_type))
    assert str(info.value).startswith(f"{field}:") and fragment in str(info.value)
    assert list(client.data.list()) == []


def test_mltable_referring_outside_its_folder_is_refused(client, tmp_path):
    folder = tmp_path / "table"
    folder.mkdir()
    (tmp_path / "outside.csv").write_text("a\n1\n")
    (folder / "MLTable").write_text("paths:\n  - file: ../outside.csv\n")
    with pytest.raises(UserInputError, match="MLTable.paths: '../outside.csv' points outside"):
        client.data.create_or_update(_data("t", folder, "mltable"))


def test_bad_version_string_is_refused(client, tmp_path):
    with pytest.raises(UserInputError, match="version: 'v 1'"):
        client.data.create_or_update(_data("x", tmp_path, version="v 1"))


def test_remote_uri_is_stored_as_is(client):
    uri = "https://example.blob.core.windows.net/container/folder/"
    created = client.data.create_or_update(_data("remote", uri))
    assert created.path == uri


def test_datastore_path_must_exist_in_default_datastore(client, tmp_path):
    with pytest.raises(UserInputError, match="does not exist"):
        client.data.create_or_update(_data("x", "azureml://datastores/workspaceblobstore/paths/nothing/here"))
    with pytest.raises(ResourceNotFoundError, match="datastore: 'nostore'"):
        client.data.create_or_update(_data("x", "azureml://datastores/nostore/paths/a"))


_REGISTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from azure.ai.ml.entities import Data
    from workspace.local import LocalMLClient
    root, folder, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    client = LocalMLClient(root)
    for i in range(count):
        (folder / "f.txt").write_text(f"{folder.name}-{i}")
        print(client.data.create_or_update(Data(name="shared", path=str(folder), type="uri_folder")).version)
    """
)


def test_two_processes_registering_at_once_get_distinct_versions(workspace_root, tmp_path):
    from workspace.local import LocalMLClient

    LocalMLClient(workspace_root)  # create the workspace before the race
    procs = []
    for worker in ("a", "b"):
        folder = tmp_path / worker
        folder.mkdir()
        procs.append(subprocess.Popen(
            [sys.executable, "-c", _REGISTER, str(workspace_root), str(folder), "5"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs += out.split()
    assert sorted(outputs, key=int) == [str(v) for v in range(1, 11)]
    versions = LocalMLClient(workspace_root).data.list("shared")
    assert sorted(int(d.version) for d in versions) == list(range(1, 11))


def test_a_folder_holding_the_workspace_is_snapshotted_without_it(tmp_path):
    from azure.ai.ml.entities import Data

    from workspace.local import LocalMLClient

    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "train.py").write_text("print('hi')\n")
    inner = LocalMLClient(project / "ws", user="tester", secrets_backend="file")  # the workspace lives in the project
    try:
        inner.data.create_or_update(Data(name="first", type="uri_folder", path=str(project / "src")))
        stored = inner.data.create_or_update(Data(name="whole", type="uri_folder", path=str(project)))
        copied = inner.datastores.resolve(stored.path)
        assert sorted(p.relative_to(copied).as_posix() for p in copied.rglob("*")) == ["src", "src/train.py"]
    finally:
        inner.close()
