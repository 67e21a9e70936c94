"""client.environments (curated and user) and client.components (command components)."""

from __future__ import annotations

import pytest

from workspace.errors import ConflictError, NotSupportedLocallyError, ResourceNotFoundError, UserInputError

COMPONENT_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: train_model
display_name: Train a model
version: "1"
type: command
inputs:
  training_data:
    type: uri_folder
  max_epochs:
    type: integer
    default: 3
outputs:
  model_output:
    type: mlflow_model
code: ./src
environment: {environment}
command: python train.py --data ${{inputs.training_data}} --out ${{outputs.model_output}}
"""


def test_curated_environments_map_to_this_interpreter(client):
    import sys

    names = [e.name for e in client.environments.list()]
    assert "AzureML-sklearn-1.5" in names
    env = client.environments.get("AzureML-sklearn-1.5", label="latest")
    assert env.tags["local_interpreter"] == sys.executable
    assert client.environments.resolve("azureml:AzureML-sklearn-1.5@latest").name == "AzureML-sklearn-1.5"
    registry_ref = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"
    assert client.environments.resolve(registry_ref).name == "AzureML-sklearn-1.5"


def test_conda_environment_is_stored_with_its_spec(client, tmp_path):
    from azure.ai.ml.entities import Environment

    conda = tmp_path / "conda.yml"
    conda.write_text("name: train\ndependencies:\n  - python=3.11\n  - pip:\n    - scikit-learn==1.5.0\n")
    created = client.environments.create_or_update(
        Environment(name="train-env", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", conda_file=str(conda)))
    assert created.version == "1"
    fetched = client.environments.get("train-env", version="1")
    assert fetched.conda_file["dependencies"][1]["pip"] == ["scikit-learn==1.5.0"]
    conda.write_text("name: train\ndependencies:\n  - python=3.12\n")
    with pytest.raises(ConflictError):
        client.environments.create_or_update(Environment(
            name="train-env", version="1", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", conda_file=str(conda)))


def test_environment_needs_something_to_run(client):
    from azure.ai.ml.entities import Environment

    with pytest.raises(UserInputError, match="image"):
        client.environments.create_or_update(Environment(name="empty"))
    with pytest.raises(UserInputError, match="curated"):
        client.environments.create_or_update(Environment(name="AzureML-sklearn-1.5", image="x"))


def _write_component(tmp_path, environment="azureml:AzureML-sklearn-1.5@latest"):
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "train.py").write_text("print('training')\n")
    path = tmp_path / "component.yml"
    path.write_text(COMPONENT_YAML.replace("{environment}", environment))
    return path


def test_command_component_code_is_snapshotted(client, tmp_path):
    from azure.ai.ml import load_component

    created = client.components.create_or_update(load_component(_write_component(tmp_path)))
    assert (created.name, created.version) == ("train_model", "1")
    (tmp_path / "src" / "train.py").write_text("print('edited')\n")
    fetched = client.components.get("train_model", label="latest")
    from pathlib import Path

    assert (Path(fetched.code) / "train.py").read_text() == "print('training')\n"
    assert set(fetched.inputs) == {"training_data", "max_epochs"}
    client.components.download("train_model", tmp_path / "out")
    assert (tmp_path / "out" / "train_model" / "code" / "train.py").exists()


def test_component_with_unknown_environment_is_refused(client, tmp_path):
    from azure.ai.ml import load_component

    component = load_component(_write_component(tmp_path, environment="azureml:no-such-env@latest"))
    with pytest.raises(ResourceNotFoundError, match="no-such-env"):
        client.components.create_or_update(component)
    assert list(client.components.list()) == []


def test_pipeline_component_arrives_later(client):
    from azure.ai.ml.entities import PipelineComponent

    with pytest.raises(NotSupportedLocallyError, match="pipeline component"):
        client.components.create_or_update(PipelineComponent(name="p", version="1"))
