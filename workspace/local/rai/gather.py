"""Step ``rai_tabular_insight_gather``: join the insights into a dashboard folder and its HTML page.

Also links the dashboard to its model, as Azure's gather step does, through
properties (here: MLflow tags) on the step's own run; ``registry`` reads them.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from workspace.errors import UserInputError
from workspace.local.rai import FORMAT_VERSION
from workspace.local.rai.steps import parser, run

_log = logging.getLogger("rai.gather")
TAG = "_azureml.responsibleai.rai_insights."  # Azure's property prefix for a dashboard's run
MAX_INDIVIDUAL_ROWS = 500


def main(argv: list[str] | None) -> None:
    p = parser("Gather RAI insights into a dashboard")
    p.add_argument("--constructor", required=True)
    for i in range(1, 5):
        p.add_argument(f"--insight_{i}", default=None)
    p.add_argument("--dashboard", required=True)
    p.add_argument("--ux_json", required=True)
    args = p.parse_args(argv)
    insights = [getattr(args, f"insight_{i}") for i in range(1, 5) if getattr(args, f"insight_{i}")]
    data = gather(Path(args.constructor), [Path(i) for i in insights], Path(args.dashboard), Path(args.ux_json))
    register(Path(args.dashboard), data)


def gather(constructor: Path, insight_folders: list[Path], out: Path, ux_json: Path | None = None) -> dict:
    from workspace.local.rai.folder import load, read_insight, write_json
    from workspace.local.rai.render.dashboard import render_dashboard

    insights = load(constructor)  # checks the format version too
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(constructor, out, dirs_exist_ok=True)
    found: dict[str, dict] = {}
    for folder in insight_folders:
        data, tables = read_insight(folder)
        kind = data["kind"]
        if kind in found:
            raise UserInputError.invalid("insight", str(folder), f"is a second {kind} insight; each tool may appear once")
        shutil.copytree(folder, out / "insights" / kind, dirs_exist_ok=True)
        found[kind] = _with_tables(data, tables)
    data = {"config": insights.config, "overview": _overview(insights), "insights": found, "rows": _rows(insights)}
    write_json(out / "dashboard.json", data)
    (out / "dashboard.html").write_text(render_dashboard(data), encoding="utf-8")
    if ux_json is not None:
        write_json(ux_json / "dashboard.json", data)
    _log.info("dashboard with %s written to %s", ", ".join(sorted(found)) or "the model overview only", out)
    return data


def _with_tables(data: dict, tables: dict) -> dict:
    data = dict(data)
    if "local_importance" in tables:
        data["local_importance"] = tables["local_importance"].head(MAX_INDIVIDUAL_ROWS).to_numpy().tolist()
    return data


def _overview(insights) -> dict:
    from workspace.local.rai.compute.overview import overview

    return overview(insights.test, insights.features, insights.categorical, insights.target, insights.y_pred(),
                    insights.task_type, insights.config.get("classes"))


def _rows(insights) -> dict:
    """The first test rows with their true and predicted values: the individual views show these."""
    head = insights.test.head(MAX_INDIVIDUAL_ROWS)
    return {"columns": list(head.columns) + ["prediction"],
            "values": [[*map(_cell, r), _cell(p)] for r, p in zip(head.itertuples(index=False), insights.y_pred()[:MAX_INDIVIDUAL_ROWS])]}


def _cell(value):
    return value.item() if hasattr(value, "item") else value


def register(dashboard: Path, data: dict) -> None:
    """Tag this step's MLflow run so the dashboard is listed as an insight of its model."""
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if not run_id:
        _log.info("no MLflow run: the dashboard is written but not registered")
        return
    import mlflow

    config = data["config"]
    tags = {"model_id": config.get("model_id") or "", "dashboard_path": str(dashboard.resolve()), "dashboard_title": config["title"],
            "job_name": os.environ.get("AZUREML_RUN_ID", ""), "insights": ",".join(sorted(data["insights"])),
            "task_type": config["task_type"], "format_version": FORMAT_VERSION}
    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_tag(run_id, TAG + key, value)


if __name__ == "__main__":
    run(main)
