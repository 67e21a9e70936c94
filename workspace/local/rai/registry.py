"""Dashboards as insights of their model: found through the tags the gather step puts on its MLflow run.

A dashboard's name is its pipeline job's name (or the gather step's own job
name when it ran alone). ``amlpilot rai list/show/open`` and the ``rai`` tools read here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workspace.errors import ResourceNotFoundError
from workspace.local.rai.gather import TAG


def list_insights(client: Any, model: str | None = None) -> list[dict]:
    """Every dashboard in the workspace, newest first; ``model`` (name or name:version) narrows the list."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    from workspace.local.controlplane import state

    tracking = MlflowClient(tracking_uri=client.workspaces.get().mlflow_tracking_uri)
    experiments = [e.experiment_id for e in tracking.search_experiments(view_type=ViewType.ALL)]
    if not experiments:
        return []
    runs = tracking.search_runs(experiments, filter_string=f"tags.`{TAG}dashboard_path` LIKE '%'", order_by=["attributes.start_time DESC"])
    cards = {r.data.tags[TAG + "scorecard_of"]: Path(r.data.tags[TAG + "scorecard_path"])
             for r in tracking.search_runs(experiments, filter_string=f"tags.`{TAG}scorecard_of` LIKE '%'", order_by=["attributes.start_time ASC"])}
    found = []
    for run in runs:
        tags = {k[len(TAG):]: v for k, v in run.data.tags.items() if k.startswith(TAG)}
        step = tags.get("job_name") or ""
        row = state.get_job(client._ctx.store, step) if step else None
        model_id = tags.get("model_id") or ""
        if model and model not in (model_id, model_id.split(":")[0]):
            continue
        found.append({
            "name": (row.parent_job_name or row.name) if row else step or run.info.run_id, "step_job": step, "model_id": model_id,
            "title": tags.get("dashboard_title", ""), "insights": [i for i in tags.get("insights", "").split(",") if i],
            "task_type": tags.get("task_type", ""), "dashboard_path": Path(tags["dashboard_path"]), "run_id": run.info.run_id,
            "created": run.info.start_time, "scorecard_path": cards.get(tags["dashboard_path"]),
        })
    return found


def find(client: Any, name: str) -> dict:
    """The dashboard named ``name`` (its pipeline job, or the gather step's job)."""
    dashboards = list_insights(client)
    for dashboard in dashboards:
        if name in (dashboard["name"], dashboard["step_job"]):
            if not (dashboard["dashboard_path"] / "dashboard.json").is_file():
                raise ResourceNotFoundError(f"dashboard: {name!r} is registered but its folder {dashboard['dashboard_path']} is gone",
                                            field="dashboard", value=name)
            return dashboard
    raise ResourceNotFoundError.of("rai dashboard", name, known=[d["name"] for d in dashboards])


def load_dashboard(client: Any, name: str) -> dict:
    from workspace.local.rai.folder import read_dashboard

    return read_dashboard(find(client, name)["dashboard_path"])
