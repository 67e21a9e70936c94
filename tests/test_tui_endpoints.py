"""The endpoint view: a real online endpoint serving a small sklearn MLflow model, its metrics live in the TUI.

The endpoint, its gateway and its worker run under the workspace's control
plane; the ``jobs_root`` fixture stops the control plane by its pid, which stops
the gateway and the worker with it, and the test checks that they are gone.
"""

from __future__ import annotations

import json

import pytest
from test_tui_flows import first_hit
from test_tui_support import (  # noqa: F401
    SIZE,
    anyio_backend,
    jobs_root,
    local_client,
    make_app,
    mlflow_template,
    ready,
    tui_root,
    until,
)

pytestmark = pytest.mark.anyio
FEATURES = ["Pregnancies", "PlasmaGlucose", "DiastolicBloodPressure", "TricepsThickness", "SerumInsulin", "BMI", "DiabetesPedigree", "Age"]


def diabetes(rows: int):
    import pandas as pd
    from conftest import SHARED_DATA

    return pd.read_csv(SHARED_DATA / "diabetes" / "diabetes.csv", nrows=rows)


def serve_a_model(root, tmp_path) -> None:
    """Train, register and deploy a logistic regression as endpoint ``tui-ep``, deployment ``blue`` (100% traffic)."""
    import mlflow.sklearn
    import sklearn
    from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint, Model
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    frame = diabetes(300)
    features = frame[FEATURES].astype(float)  # requests carry floats; an int column in the signature would warn
    model = LogisticRegression(max_iter=500).fit(features, frame["Diabetic"])
    folder = tmp_path / "model"
    mlflow.sklearn.save_model(model, folder, signature=infer_signature(features, model.predict(features)),
                              pip_requirements=[f"scikit-learn=={sklearn.__version__}"])  # listed: inferring them costs seconds
    client = local_client(root)
    try:
        client.models.create_or_update(Model(name="diabetes-lr", path=str(folder), type="mlflow_model"))
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="tui-ep", auth_mode="key")).result()
        client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
            name="blue", endpoint_name="tui-ep", model="azureml:diabetes-lr@latest", instance_count=1)).result()
        endpoint = client.online_endpoints.get("tui-ep")
        endpoint.traffic = {"blue": 100}
        client.online_endpoints.begin_create_or_update(endpoint).result()
    finally:
        client.close()


def score(root, tmp_path, good: int, bad: int = 0) -> None:
    """``good`` valid requests and ``bad`` ones missing a column (the deployment answers 400: an error)."""
    rows = diabetes(3)[FEATURES]
    valid, broken = tmp_path / "valid.json", tmp_path / "broken.json"
    valid.write_text(json.dumps({"input_data": {"columns": FEATURES, "data": rows.values.tolist()}}))
    broken.write_text(json.dumps({"input_data": {"columns": FEATURES[:-1], "data": rows[FEATURES[:-1]].values.tolist()}}))
    client = local_client(root)
    try:
        for _ in range(good):
            client.online_endpoints.invoke("tui-ep", request_file=str(valid))
        for _ in range(bad):
            with pytest.raises(Exception, match="400"):
                client.online_endpoints.invoke("tui-ep", request_file=str(broken))
    finally:
        client.close()


def serving_pids(root) -> list[int]:
    from workspace.local.serving import state, waits
    from workspace.local.store import Store

    store = Store(root / "workspace.db")
    try:
        row = state.serving_row(store)
        instances = waits.admin_get(store, "instances") or {}
    finally:
        store.close()
    return ([row["pid"]] if row["pid"] else []) + [i["pid"] for group in instances.values() for i in group if i["pid"]]


@pytest.fixture
def serving_root(jobs_root, tmp_path):
    """An endpoint serving; afterwards (``jobs_root`` stops the control plane) no gateway or worker is left."""
    import psutil

    client = local_client(jobs_root)
    has_endpoints = getattr(client, "online_endpoints", None) is not None
    client.close()
    if not has_endpoints:
        pytest.skip("client.online_endpoints is absent: online endpoints are not part of this build yet")
    serve_a_model(jobs_root, tmp_path)
    pids = serving_pids(jobs_root)
    yield jobs_root
    from test_tui_support import stop_jobs

    stop_jobs(jobs_root)
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, f"process {pid} outlived the test"


async def open_endpoint_from_panel(pilot, name: str):
    from tui.screens.endpoint import EndpointScreen
    from tui.widgets.workspace_tree import WorkspaceTree

    app = pilot.app
    tree = app.query_one(WorkspaceTree)

    def node():
        stack = [tree.root]
        while stack:
            current = stack.pop()
            if current.data is not None and current.data.kind == "endpoint" and current.data.name == name and current.children:
                return current
            stack.extend(current.children)
        return None

    found = await until(pilot, node, f"endpoint {name} in the side panel")
    assert [str(leaf.label) for leaf in found.children] == ["blue " + "█" * 10 + " 100%"]
    tree.focus()
    tree.move_cursor(found)
    await pilot.press("enter")
    return await until(pilot, lambda: app.screen if isinstance(app.screen, EndpointScreen) else None, "the endpoint screen")


@pytest.mark.slow
async def test_the_endpoint_view_shows_live_per_deployment_metrics(serving_root, tmp_path):
    from textual.command import CommandPalette

    from tui.widgets.endpoint_metrics import EndpointMetrics
    from tui.widgets.metrics_chart import MetricsChart

    score(serving_root, tmp_path, good=3, bad=1)
    app = make_app(serving_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_endpoint_from_panel(pilot, "tui-ep")
        table = screen.query_one(EndpointMetrics)
        blue = lambda: table.row_for("blue")  # noqa: E731
        await until(pilot, lambda: blue() is not None and blue().request_count == 4, "4 requests counted for blue")
        assert (blue().traffic, blue().error_count, blue().error_percent) == (100, 1, 25.0)
        assert blue().p50_ms is not None and blue().p50_ms <= blue().p95_ms <= blue().p99_ms
        assert blue().state == "Succeeded" and screen.reading.auth_mode == "key"
        assert "127.0.0.1" in screen.reading.scoring_uri
        cells = [cell.plain for cell in table.get_row("blue")]
        assert cells[:5] == ["blue", "Succeeded", "█" * 10 + " 100%", "—", "4"] and cells[6:8] == ["1", "25.0"]
        score(serving_root, tmp_path, good=2)  # while the screen watches
        await until(pilot, lambda: blue().request_count == 6, "the table to count the new requests")
        rates = lambda: [rate for _, rate in screen.query_one(MetricsChart).metrics.get("blue", [])]  # noqa: E731
        await until(pilot, lambda: any(rate > 0 for rate in rates()), "the request-rate chart to show the new requests")
        client = local_client(serving_root)
        try:
            metrics = client.online_endpoints.get_metrics("tui-ep")["blue"]
        finally:
            client.close()
        assert (metrics["request_count"], metrics["error_count"]) == (blue().request_count, blue().error_count)
        await pilot.press("escape")
        assert not isinstance(app.screen, type(screen))
        await pilot.press("ctrl+p")  # the command palette opens it too
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the command palette")
        await pilot.press(*"open endpoint tui")
        await until(pilot, lambda: "open endpoint tui-ep" in first_hit(app), "the palette's hit")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, type(screen)) and app.screen is not screen, "the endpoint screen again")
