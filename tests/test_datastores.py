"""client.datastores: the local default, Azure registrations, and secrets kept out of the DB."""

from __future__ import annotations

import stat

import pytest

from workspace.errors import ResourceNotFoundError, UserInputError

ACCOUNT_KEY = "c2VjcmV0LWFjY291bnQta2V5LWZvci10ZXN0cw=="
SAS_TOKEN = "sv=2024-01-01&sig=super-secret-signature"
CLIENT_SECRET = "sp-client-secret-value"


def _blob(name="trainingblobs", key=ACCOUNT_KEY):
    from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore

    return AzureBlobDatastore(
        name=name, account_name="mystorage", container_name="training",
        credentials=AccountKeyConfiguration(account_key=key),
    )


def test_default_datastore_is_a_local_folder(client):
    default = client.datastores.get_default()
    assert default.name == "workspaceblobstore"
    assert client.paths.default_datastore.is_dir()
    assert default.tags["local_path"] == str(client.paths.default_datastore)
    assert [d.name for d in client.datastores.list()] == ["workspaceblobstore"]


def test_blob_key_is_kept_out_of_the_database_and_output(client):
    client.datastores.create_or_update(_blob())
    shown = client.datastores.get("trainingblobs")
    assert shown.credentials.account_key is None
    assert ACCOUNT_KEY not in str(shown._to_dict())
    assert ACCOUNT_KEY not in str([d._to_dict() for d in client.datastores.list()])
    assert client.datastores.get("trainingblobs", include_secrets=True).credentials.account_key == ACCOUNT_KEY
    for db_file in client.paths.root.glob("workspace.db*"):
        assert ACCOUNT_KEY.encode() not in db_file.read_bytes()


def test_secret_file_is_private(client):
    client.datastores.create_or_update(_blob())
    secrets_file = client.paths.secrets / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(client.paths.secrets.stat().st_mode) == 0o700


def test_sas_and_service_principal_secrets(client):
    from azure.ai.ml.entities import (
        AzureBlobDatastore,
        AzureDataLakeGen2Datastore,
        SasTokenConfiguration,
        ServicePrincipalConfiguration,
    )

    client.datastores.create_or_update(AzureBlobDatastore(
        name="sasblobs", account_name="acct", container_name="c", credentials=SasTokenConfiguration(sas_token=SAS_TOKEN)))
    client.datastores.create_or_update(AzureDataLakeGen2Datastore(
        name="lake", account_name="acct", filesystem="fs",
        credentials=ServicePrincipalConfiguration(tenant_id="t", client_id="c", client_secret=CLIENT_SECRET)))
    assert client.datastores.get("sasblobs").credentials.sas_token is None
    assert client.datastores.get("lake").credentials.client_secret is None
    assert client.datastores.get("lake").credentials.client_id == "c"
    assert client.datastores.get("lake", include_secrets=True).credentials.client_secret == CLIENT_SECRET
    db = b"".join(f.read_bytes() for f in client.paths.root.glob("workspace.db*"))
    assert SAS_TOKEN.encode() not in db and CLIENT_SECRET.encode() not in db


def test_rotating_a_key_replaces_it_and_delete_removes_it(client):
    client.datastores.create_or_update(_blob())
    client.datastores.create_or_update(_blob(key="bmV3LWtleQ=="))
    assert client.datastores.get("trainingblobs", include_secrets=True).credentials.account_key == "bmV3LWtleQ=="
    client.datastores.delete("trainingblobs")
    assert "trainingblobs" not in (client.paths.secrets / "secrets.json").read_text()
    with pytest.raises(ResourceNotFoundError, match="known: workspaceblobstore"):
        client.datastores.get("trainingblobs")


@pytest.mark.parametrize("name", ["Has-Caps", "workspaceblobstore"])
def test_bad_datastore_names_are_refused(client, name):
    with pytest.raises(UserInputError, match=f"name: '{name}'"):
        client.datastores.create_or_update(_blob(name=name))
    assert [d.name for d in client.datastores.list()] == ["workspaceblobstore"]


def test_default_datastore_cannot_be_deleted(client):
    with pytest.raises(UserInputError, match="default datastore"):
        client.datastores.delete("workspaceblobstore")


def test_data_on_a_registered_remote_datastore(client):
    from azure.ai.ml.entities import Data

    client.datastores.create_or_update(_blob())
    uri = "azureml://datastores/trainingblobs/paths/diabetes/"
    assert client.data.create_or_update(Data(name="remote", path=uri, type="uri_folder")).path == uri
