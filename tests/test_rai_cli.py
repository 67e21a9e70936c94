"""``amlpilot rai list|show|open`` and the rai read tools on a dashboard registered as the gather step registers it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from test_jobs_support import jobs_client, mlflow_db_template  # noqa: F401
from test_rai_support import dashboard_folder, diabetes_split, insights_folder  # noqa: F401

NAME = "rai_cli_dashboard"


@pytest.fixture
def registered(jobs_client, dashboard_folder, monkeypatch):  # noqa: F811
    """The dashboard linked to diabetes-model:1 through MLflow run tags, by the gather and score card steps' own code."""
    import mlflow

    from workspace.local.rai import gather, scorecard
    from workspace.local.rai.folder import read_dashboard

    uri = jobs_client.workspaces.get().mlflow_tracking_uri
    tracking = mlflow.MlflowClient(tracking_uri=uri)
    experiment = tracking.create_experiment("rai_dashboards")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("AZUREML_RUN_ID", NAME)
    monkeypatch.setenv("MLFLOW_RUN_ID", tracking.create_run(experiment).info.run_id)
    gather.register(dashboard_folder, read_dashboard(dashboard_folder))
    monkeypatch.setenv("MLFLOW_RUN_ID", tracking.create_run(experiment).info.run_id)
    scorecard._register(dashboard_folder, dashboard_folder.parent / "scorecard")
    for name in ("MLFLOW_TRACKING_URI", "AZUREML_RUN_ID", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(name)
    return jobs_client


def test_list_shows_the_dashboard_under_its_model(registered, cli, dashboard_folder):  # noqa: F811
    import json

    result = cli("rai", "list", "--json")
    assert result.exit_code == 0, result.output
    [listed] = json.loads(result.output)
    assert (listed["name"], listed["model_id"], listed["task_type"]) == (NAME, "diabetes-model:1", "classification")
    assert sorted(listed["insights"]) == ["causal", "counterfactual", "error_analysis", "explanation"]
    assert listed["dashboard_path"] == str(dashboard_folder.resolve())
    table = cli("rai", "list", "--model", "diabetes-model")
    assert table.exit_code == 0 and "diabetes-model" in table.output and "classification" in table.output
    other = cli("rai", "list", "--model", "credit-model")
    assert other.exit_code == 0 and other.output.strip() == "no Responsible AI dashboards for model credit-model"


def test_show_prints_error_cohorts_features_and_causal_effects(registered, cli, dashboard_folder):  # noqa: F811
    from workspace.local.rai.folder import read_dashboard

    data = read_dashboard(dashboard_folder)
    result = cli("rai", "show", NAME)
    assert result.exit_code == 0, result.output
    for heading in ("metrics", "top error cohorts", "top features", "causal effects on Diabetic", "counterfactuals:"):
        assert heading in result.output
    worst = data["insights"]["error_analysis"]["top_cohorts"][0]["description"]
    assert worst.split(" and ")[0] in result.output
    top_feature = max(data["insights"]["explanation"]["global_importance"].items(), key=lambda kv: kv[1])[0]
    assert top_feature in result.output and "BMI" in result.output


def test_an_unknown_dashboard_is_one_line_and_exit_2(registered, cli):
    result = cli("rai", "show", "nope")
    assert result.exit_code == 2
    assert result.output.strip() == f"error: rai dashboard: 'nope' was not found in this workspace (known: {NAME})"


def test_the_rai_tools_list_and_summarise(registered):
    from tools.rai import RaiPlugin

    plugin = RaiPlugin(registered)
    assert [d["name"] for d in plugin.list()] == [NAME]
    summary = plugin.show(NAME)
    assert summary["model"] == "diabetes-model:1" and len(summary["top_features"]) == 5
    assert [e["feature"] for e in summary["causal_effects"]] == ["BMI", "Age"]


def test_open_serves_the_dashboard_and_score_card_on_loopback(registered, workspace_root):
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "--workspace", str(workspace_root), "rai", "open", NAME],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/"), proc.stderr.read() if proc.poll() is not None else url
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        assert page.startswith("<!doctype html>") and "Error analysis" in page
        assert urllib.request.urlopen(url + "scorecard.pdf", timeout=30).read().startswith(b"%PDF")
        assert b"score card" in urllib.request.urlopen(url + "scorecard", timeout=30).read()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "../../workspace.db", timeout=30)
    finally:
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_score_card_judges_each_metric_against_its_threshold(dashboard_folder):  # noqa: F811
    import json

    from test_rai_support import SCORECARD_CONFIG
    from workspace.local.rai.folder import read_dashboard

    folder = dashboard_folder.parent / "scorecard"
    card = json.loads((folder / "scorecard.json").read_text())
    overview = read_dashboard(dashboard_folder)["overview"]
    judged = {m["name"]: m for m in card["metrics"] + card["fairness"]}
    accuracy, recall = overview["metrics"]["accuracy_score"], overview["metrics"]["recall_score"]
    assert judged["accuracy_score"]["passed"] == (accuracy >= 0.7) and judged["recall_score"]["passed"] == (recall >= 0.99)
    ages = [g["accuracy_score"] for g in overview["feature_cohorts"]["Age"]["groups"]]
    gap = judged["accuracy_score difference across Age"]
    assert gap["value"] == pytest.approx(max(ages) - min(ages)) and gap["passed"] == (gap["value"] <= 0.5)
    assert card["checked"] == 3 and card["passed"] == sum(m["passed"] for m in judged.values())
    assert len(card["top_features"]) == 4 and card["top_features"] == sorted(card["top_features"], key=lambda kv: -kv[1])
    assert (folder / "scorecard.pdf").read_bytes().startswith(b"%PDF") and (folder / "scorecard.pdf").stat().st_size > 1000
    html = (folder / "scorecard.html").read_text()
    assert html.count(">PASS<") + html.count(">FAIL<") == 3 and SCORECARD_CONFIG["Model"]["ModelSummary"] in html


@pytest.mark.parametrize("config,message", [
    ({"Metrics": {"auc": {}}}, "Metrics.auc: 'auc' is not a metric of this task"),
    ({"Metrics": {"accuracy_score": {"threshold": "about 0.8"}}}, "Metrics.accuracy_score.threshold: 'about 0.8' is not a threshold"),
    ({"Fairness": {"metric": ["accuracy_score"], "sensitive_features": ["Sex"]}}, "Fairness.sensitive_features: 'Sex' is not a feature"),
])
def test_a_bad_score_card_config_is_one_line_and_writes_nothing(dashboard_folder, config, message, tmp_path):  # noqa: F811
    from workspace.errors import UserInputError
    from workspace.local.rai.scorecard import build

    with pytest.raises(UserInputError) as caught:
        build(dashboard_folder, config, tmp_path / "card")
    assert str(caught.value).startswith(message) and not (tmp_path / "card").exists()
