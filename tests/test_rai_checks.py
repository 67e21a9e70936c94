"""Bad input is refused before anything computes: one line naming the field and the value, and no job queued.

Also the agent's rai tools: their previews check the same things, and the
pipeline they build compiles into the constructor, the chosen insights and gather.
"""

import json

import pytest

from test_jobs_support import jobs_client, mlflow_db_template  # noqa: F401
from test_rai_pipeline import _notebook_pipeline
from test_rai_support import FEATURES, TARGET, diabetes, mltable_folder, register_assets
from workspace.errors import UserInputError


@pytest.fixture
def ws(jobs_client, tmp_path):
    frame = diabetes(200)
    register_assets(jobs_client, tmp_path, frame.iloc[:120], frame.iloc[120:])
    return jobs_client


@pytest.fixture
def rai(ws):
    from tools.rai import RaiPlugin

    return RaiPlugin(ws)


def _register_test_data(client, tmp_path, frame, name: str) -> None:
    from azure.ai.ml.entities import Data

    client.data.create_or_update(Data(name=name, type="mltable", path=str(mltable_folder(frame, tmp_path / name))))


def _refused(client, job, message: str) -> None:
    with pytest.raises(UserInputError) as caught:
        client.jobs.create_or_update(job)
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)
    assert list(client.jobs.list()) == []  # nothing queued, so nothing computed


def test_a_treatment_feature_that_is_not_a_column_is_refused_at_submission(ws):
    from workspace.local import LocalMLClient

    job = _notebook_pipeline(LocalMLClient(ws.root, registry_name="azureml"), None, treatment="Weight")
    _refused(ws, job, "jobs.causal_job.inputs.treatment_features: 'Weight' is not a feature column")


def test_desired_class_that_the_model_does_not_have_is_refused_at_submission(ws):
    job = _notebook_pipeline(ws, None, desired_class="2")
    _refused(ws, job, "jobs.counterfactual_job.inputs.desired_class: '2' is not a class of the model")


def test_a_title_with_a_single_quote_is_refused_at_submission(ws):
    job = _notebook_pipeline(ws, None)
    job.jobs["create_rai_job"].inputs.title = "Bob's model"
    _refused(ws, job, "jobs.create_rai_job.inputs.title: \"Bob's model\" holds a single quote")


def test_a_target_missing_from_the_test_data_is_refused_at_submission(ws, tmp_path):
    _register_test_data(ws, tmp_path, diabetes(200).iloc[120:].drop(columns=[TARGET]), "diabetes-test")  # version 2
    job = _notebook_pipeline(ws, None)
    job.inputs.test_data.path = "azureml:diabetes-test:2"
    _refused(ws, job, f"jobs.create_rai_job.inputs.target_column_name: '{TARGET}' is not a column of test_dataset")


def test_a_model_whose_signature_does_not_match_the_data_is_refused_at_submission(ws, tmp_path):
    _register_test_data(ws, tmp_path, diabetes(200).iloc[120:].rename(columns={"BMI": "bmi"}), "diabetes-test")
    job = _notebook_pipeline(ws, None)
    job.inputs.test_data.path = "azureml:diabetes-test:2"
    _refused(ws, job, "jobs.create_rai_job.inputs.model_input: 'signature column BMI' is not in test_dataset")


def test_desired_class_on_a_regression_task_is_refused_by_the_step_and_the_tool(rai, tmp_path):
    from workspace.local.rai.counterfactual import check

    with pytest.raises(UserInputError, match=r"^desired_class: '1' applies to classification"):
        check("regression", FEATURES, None, desired_class="1", desired_range="[0, 1]")
    with pytest.raises(UserInputError, match=r"^desired_class: 'opposite' applies to classification"):
        rai.preview("create_dashboard", {"model": "diabetes-model", "train_data": "diabetes-train", "test_data": "diabetes-test",
                                         "task_type": "regression", "desired_class": "opposite"})


def test_the_constructor_step_checks_before_it_writes(tmp_path, ws):
    from workspace.local.rai.constructor import build

    frame = diabetes(200)
    model = ws.models.local_path("diabetes-model", "1")
    with pytest.raises(UserInputError, match=r"^target_column_name: 'Outcome' is not a column of train_dataset"):
        build(tmp_path / "out", task_type="classification", model_dir=model, train=frame, test=frame, target="Outcome")
    with pytest.raises(UserInputError, match=r"^task_type: 'forecasting' is not a task type"):
        build(tmp_path / "out", task_type="forecasting", model_dir=model, train=frame, test=frame, target=TARGET)
    assert not (tmp_path / "out").exists()


def test_the_tool_preview_infers_target_and_task_and_names_what_it_will_build(rai):
    plan = rai.preview("create_dashboard", {"model": "diabetes-model", "train_data": "diabetes-train", "test_data": "diabetes-test"})
    assert plan.desired["target_column"] == TARGET and plan.desired["task_type"] == "classification"
    assert plan.desired["insights"] == ["explanation", "error_analysis", "counterfactual"]
    assert plan.desired["features"] == FEATURES
    assert plan.summary.startswith("rai dashboard (generated name): absent -> classification of Diabetic by diabetes-model:1")
    assert plan.warnings == ["no causal analysis: name treatment_features to include it"]
    with_causal = rai.preview("create_dashboard", {"model": "diabetes-model:1", "train_data": "diabetes-train", "test_data": "diabetes-test",
                                                   "treatment_features": ["BMI"]})
    assert with_causal.desired["insights"][-1] == "causal" and not with_causal.warnings


@pytest.mark.parametrize("arguments,message", [
    ({"treatment_features": ["Weight"]}, "treatment_features: 'Weight' is not a feature column"),
    ({"target_column": "Outcome"}, "target_column_name: 'Outcome' is not a column of train_dataset"),
    ({"model": "no-such-model"}, "model: 'no-such-model' was not found"),
    ({"test_data": "diabetes-test:7"}, "version: data 'diabetes-test' has no version '7'"),
    ({"insights": ["causal"]}, "treatment_features: a value is required"),
])
def test_the_tool_preview_refuses_bad_requests_in_one_line(rai, arguments, message):
    base = {"model": "diabetes-model", "train_data": "diabetes-train", "test_data": "diabetes-test"}
    with pytest.raises(UserInputError) as caught:
        rai.preview("create_dashboard", {**base, **arguments})
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_tool_builds_the_notebooks_pipeline(rai, ws):
    from tools.rai import build_pipeline
    from workspace.local.controlplane.pipeline import prepare_pipeline

    plan = rai.preview("create_dashboard", {"model": "diabetes-model", "train_data": "diabetes-train", "test_data": "diabetes-test",
                                            "treatment_features": ["BMI", "Age"]})
    row = prepare_pipeline(ws._ctx, build_pipeline(ws, plan.desired), "rai_try", ws.root)
    steps = row["spec"]["pipeline"]["steps"]
    assert sorted(s["component"] for s in steps.values()) == sorted([
        "rai_tabular_insight_constructor", "rai_tabular_explanation", "rai_tabular_erroranalysis", "rai_tabular_counterfactual",
        "rai_tabular_causal", "rai_tabular_insight_gather"])
    gather = next(s for s in steps.values() if s["component"] == "rai_tabular_insight_gather")
    assert len(gather["deps"]) == 5  # the constructor and the four insights
    causal = next(s for s in steps.values() if s["component"] == "rai_tabular_causal")
    assert json.loads(causal["template"]["spec"]["inputs"]["treatment_features"]["value"]) == ["BMI", "Age"]


def test_builtin_components_are_in_every_workspace_under_both_names(ws):
    from workspace.local import LocalMLClient
    from workspace.local.rai.components import SPECS, VERSION

    registry = LocalMLClient(ws.root, registry_name="azureml")
    for name in SPECS:
        for client in (ws, registry):
            component = client.components.get(name, label="latest")
            assert component.version == VERSION and component.type == "command"
            alias = client.components.get(f"microsoft_azureml_{name}", version=VERSION)
            assert alias.command == component.command
    assert sorted(c.name for c in registry.components.list()) == sorted(SPECS)
    causal = ws.components.get("rai_tabular_causal")
    assert set(causal.inputs) >= {"rai_insights_dashboard", "treatment_features", "heterogeneity_features", "nuisance_model", "skip_cat_limit_checks"}
    assert set(causal.outputs) == {"causal"}
    with pytest.raises(UserInputError, match=r"^registry_name: 'contoso' is not a registry here"):
        LocalMLClient(ws.root, registry_name="contoso")


RAI_PIPELINE_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
experiment_name: rai_yaml
inputs:
  target_column_name: Diabetic
  train_data:
    type: mltable
    path: azureml:diabetes-train:1
  test_data:
    type: mltable
    path: azureml:diabetes-test:1
jobs:
  create_rai_job:
    type: command
    component: azureml://registries/azureml/components/rai_tabular_insight_constructor/labels/latest
    inputs:
      title: Diabetes from YAML
      task_type: classification
      model_info: diabetes-model:1
      model_input:
        type: mlflow_model
        path: azureml:diabetes-model:1
      train_dataset: ${{parent.inputs.train_data}}
      test_dataset: ${{parent.inputs.test_data}}
      target_column_name: ${{parent.inputs.target_column_name}}
  causal_job:
    type: command
    component: azureml://registries/azureml/components/microsoft_azureml_rai_tabular_causal/versions/0.18.0
    inputs:
      rai_insights_dashboard: ${{parent.jobs.create_rai_job.outputs.rai_insights_dashboard}}
      treatment_features: '[TREATMENT]'
  gather_job:
    type: command
    component: azureml:rai_tabular_insight_gather@latest
    inputs:
      constructor: ${{parent.jobs.create_rai_job.outputs.rai_insights_dashboard}}
      insight_1: ${{parent.jobs.causal_job.outputs.causal}}
"""


def test_a_pipeline_yaml_naming_registry_components_compiles(ws, tmp_path):
    from azure.ai.ml import load_job

    from workspace.local.controlplane.pipeline import prepare_pipeline

    (tmp_path / "rai.yml").write_text(RAI_PIPELINE_YAML.replace("TREATMENT", '"BMI"'))
    row = prepare_pipeline(ws._ctx, load_job(tmp_path / "rai.yml"), "rai_yaml_job", tmp_path)
    steps = row["spec"]["pipeline"]["steps"]
    assert {s["component"] for s in steps.values()} == {
        "rai_tabular_insight_constructor", "microsoft_azureml_rai_tabular_causal", "rai_tabular_insight_gather"}
    assert steps["gather_job"]["deps"] == ["causal_job", "create_rai_job"]


def test_apply_refuses_a_bad_rai_pipeline_yaml_in_one_line(ws, cli, tmp_path):
    (tmp_path / "rai.yml").write_text(RAI_PIPELINE_YAML.replace("TREATMENT", '"Height"'))
    result = cli("apply", "-f", str(tmp_path / "rai.yml"))
    assert result.exit_code == 2, result.output
    assert result.output.strip() == "error: jobs.causal_job.inputs.treatment_features: 'Height' is not a feature column " \
        "(features: Pregnancies, PlasmaGlucose, DiastolicBloodPressure, TricepsThickness, SerumInsulin, BMI, DiabetesPedigree, Age)"
    assert list(ws.jobs.list()) == []


def test_the_tool_submits_the_pipeline_it_previewed(rai, ws):
    result = rai.create_dashboard(model="diabetes-model:1", train_data="diabetes-train", test_data="diabetes-test",
                                  treatment_features=["BMI"], name="rai_from_tool")
    assert result["status"] == "submitted" and result["dashboard"] == "rai_from_tool"
    job = ws.jobs.get("rai_from_tool")
    assert job.type == "pipeline" and job.display_name == "RAI dashboard for diabetes-model:1"
    from workspace.local.controlplane import state

    steps = state.get_job(ws._ctx.store, "rai_from_tool").spec["pipeline"]["steps"]
    assert sorted(s["component"] for s in steps.values()) == sorted(
        ["rai_tabular_insight_constructor", "rai_tabular_insight_gather"]
        + [f"rai_tabular_{s}" for s in ("explanation", "erroranalysis", "counterfactual", "causal")])
    ws.jobs.begin_cancel("rai_from_tool")
