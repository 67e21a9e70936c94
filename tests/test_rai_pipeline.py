"""The whole RAI pipeline as Azure ML's published notebooks build it, run end to end on the local workspace.

No ``from __future__ import annotations`` here: @pipeline reads the parameter annotations as types.
"""

import json

import pytest

from test_jobs_support import cluster, job_log, jobs_client, mlflow_db_template, wait_status  # noqa: F401
from test_rai_support import FEATURES, TARGET, diabetes, register_assets


def _notebook_pipeline(registry, compute: str, *, desired_class: str = "opposite", treatment: str = "BMI", scorecard_config=None):
    """The pipeline of Azure's responsible-ai-tabular-classification notebook, with only the client swapped."""
    from azure.ai.ml import Input, dsl

    label = "latest"
    constructor = registry.components.get(name="rai_tabular_insight_constructor", label=label)
    erroranalysis = registry.components.get(name="rai_tabular_erroranalysis", label=label)
    explanation = registry.components.get(name="rai_tabular_explanation", label=label)
    causal = registry.components.get(name="microsoft_azureml_rai_tabular_causal", label=label)
    counterfactual = registry.components.get(name="rai_tabular_counterfactual", label=label)
    gather = registry.components.get(name="rai_tabular_insight_gather", label=label)
    score_card = registry.components.get(name="rai_tabular_score_card", label=label)

    @dsl.pipeline(compute=compute, description="RAI insights on diabetes", experiment_name="rai_diabetes")
    def rai_classification_pipeline(target_column_name, train_data, test_data):
        create_rai_job = constructor(
            title="Diabetes RAI", task_type="classification", model_info="diabetes-model:1",
            model_input=Input(type="mlflow_model", path="azureml:diabetes-model:1"), train_dataset=train_data,
            test_dataset=test_data, target_column_name=target_column_name, categorical_column_names=json.dumps([]),
            classes=json.dumps(["0", "1"]),
        )
        insights = create_rai_job.outputs.rai_insights_dashboard
        error_job = erroranalysis(rai_insights_dashboard=insights, max_depth=3, filter_features=json.dumps(["Age", "BMI"]))
        explain_job = explanation(comment="shap values", rai_insights_dashboard=insights)
        causal_job = causal(rai_insights_dashboard=insights, treatment_features=json.dumps([treatment]),
                            heterogeneity_features=json.dumps(["Pregnancies"]))
        counterfactual_job = counterfactual(rai_insights_dashboard=insights, total_CFs=3, desired_class=desired_class)
        gather_job = gather(constructor=insights, insight_1=explain_job.outputs.explanation, insight_2=causal_job.outputs.causal,
                            insight_3=counterfactual_job.outputs.counterfactual, insight_4=error_job.outputs.error_analysis)
        gather_job.outputs.dashboard.mode = "upload"
        gather_job.outputs.ux_json.mode = "upload"
        if scorecard_config:
            score_card(dashboard=gather_job.outputs.dashboard, pdf_generation_config=Input(type="uri_file", path=str(scorecard_config)))
        return {"dashboard": gather_job.outputs.dashboard, "ux_json": gather_job.outputs.ux_json}

    return rai_classification_pipeline(
        target_column_name=TARGET, train_data=Input(type="mltable", path="azureml:diabetes-train:1"),
        test_data=Input(type="mltable", path="azureml:diabetes-test:1"),
    )


@pytest.fixture
def rai_workspace(jobs_client, tmp_path):
    frame = diabetes(450)
    register_assets(jobs_client, tmp_path, frame.iloc[:300], frame.iloc[300:])
    cluster(jobs_client, "cpu", 2)
    return jobs_client


@pytest.mark.slow
def test_the_notebook_pipeline_runs_end_to_end_and_lists_the_dashboard_under_the_model(rai_workspace, tmp_path):
    from workspace.local import LocalMLClient
    from workspace.local.rai import registry

    client = rai_workspace
    from test_rai_support import SCORECARD_CONFIG

    azureml = LocalMLClient(client.root, registry_name="azureml")
    (tmp_path / "scorecard.json").write_text(json.dumps(SCORECARD_CONFIG))
    job = client.jobs.create_or_update(_notebook_pipeline(azureml, "cpu", scorecard_config=tmp_path / "scorecard.json"))
    done = wait_status(client, job.name, "Completed", timeout=240)
    assert done.status == "Completed", job_log(client, job.name)

    found = registry.list_insights(client)
    assert [(d["name"], d["model_id"]) for d in found] == [(job.name, "diabetes-model:1")]
    dashboard = registry.load_dashboard(client, job.name)
    assert set(dashboard["insights"]) == {"explanation", "causal", "counterfactual", "error_analysis"}
    assert dashboard["config"]["features"] == FEATURES  # the signature's columns: PatientID is not a feature
    assert dashboard["config"]["rows"] == {"train": 300, "test": 150}
    found = registry.find(client, job.name)
    assert (found["scorecard_path"] / "scorecard.pdf").read_bytes().startswith(b"%PDF")
    html = (found["dashboard_path"] / "dashboard.html").read_text()
    assert "<script src" not in html and "http://" not in html.replace("http://www.w3.org", "")
