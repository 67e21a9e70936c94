"""Step ``rai_tabular_score_card``: the dashboard's key numbers against the thresholds you set, as HTML and PDF.

``pdf_generation_config`` follows Azure's JSON: ``Model`` (ModelName,
ModelType, ModelSummary), ``Metrics`` ({metric: {"threshold": ">=0.8"}}),
``FeatureImportance`` ({"top_n": 5}), ``Fairness`` ({"metric": [...],
"sensitive_features": [...], "fairness_evaluation_kind": "difference" | "ratio",
"threshold": "<=0.1"}).
"""

from __future__ import annotations

import json
import operator
import re
from pathlib import Path

from workspace.errors import UserInputError
from workspace.local.rai.steps import parser, run

THRESHOLD = re.compile(r"^\s*(>=|<=|>|<|==|=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$")
OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "=": operator.eq}


def main(argv: list[str] | None) -> None:
    p = parser("Write an RAI score card (HTML and PDF) from a dashboard")
    p.add_argument("--dashboard", required=True)
    p.add_argument("--pdf_generation_config", required=True)
    p.add_argument("--predefined_cohorts_json", default=None)
    p.add_argument("--scorecard_path", required=True)
    args = p.parse_args(argv)
    config_path = Path(args.pdf_generation_config)
    if not config_path.is_file():
        raise UserInputError.missing_path("pdf_generation_config", config_path)
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as exc:
        raise UserInputError.invalid("pdf_generation_config", str(config_path), f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    build(Path(args.dashboard), config, Path(args.scorecard_path))
    _register(Path(args.dashboard), Path(args.scorecard_path))


def _register(dashboard: Path, out: Path) -> None:
    """Tag this step's run so ``rai open`` serves the score card next to its dashboard."""
    import os

    run_id = os.environ.get("MLFLOW_RUN_ID")
    if run_id:
        import mlflow

        from workspace.local.rai.gather import TAG

        client = mlflow.MlflowClient()
        client.set_tag(run_id, TAG + "scorecard_of", str(dashboard.resolve()))
        client.set_tag(run_id, TAG + "scorecard_path", str(out.resolve()))


def check_threshold(field: str, text: str) -> tuple:
    match = THRESHOLD.match(str(text))
    if not match:
        raise UserInputError.invalid(field, text, 'is not a threshold like ">=0.8" or "<0.1"')
    return OPS[match[1]], float(match[2])


def evaluate(dashboard: dict, config: dict) -> dict:
    """Every number the score card shows, each metric with its threshold and pass/fail."""
    overview = dashboard["overview"]
    features = dashboard["config"]["features"]
    metrics = []
    for name, settings in (config.get("Metrics") or {}).items():
        if name not in overview["metrics"]:
            raise UserInputError.invalid(f"Metrics.{name}", name, f"is not a metric of this task (metrics: {', '.join(overview['metrics'])})")
        metrics.append(_judged(name, overview["metrics"][name], (settings or {}).get("threshold"), f"Metrics.{name}.threshold"))
    fairness = _fairness(overview, features, config.get("Fairness") or {})
    top_n = int((config.get("FeatureImportance") or {}).get("top_n", 5))
    explanation = dashboard["insights"].get("explanation")
    importance = sorted(explanation["global_importance"].items(), key=lambda kv: -kv[1])[:top_n] if explanation else []
    model = config.get("Model") or {}
    judged = [m for m in metrics + fairness if m["passed"] is not None]
    return {
        "model": {"name": model.get("ModelName") or dashboard["config"].get("model_id") or dashboard["config"]["title"],
                  "type": model.get("ModelType") or dashboard["config"]["task_type"], "summary": model.get("ModelSummary", "")},
        "metrics": metrics, "fairness": fairness, "top_features": importance, "rows": overview["size"],
        "passed": sum(bool(m["passed"]) for m in judged), "checked": len(judged),
    }


def _judged(name: str, value, threshold, field: str) -> dict:
    if threshold is None or value is None:
        return {"name": name, "value": value, "threshold": threshold, "passed": None}
    compare, bound = check_threshold(field, threshold)
    return {"name": name, "value": value, "threshold": threshold, "passed": bool(compare(value, bound))}


def _fairness(overview: dict, features: list[str], fairness: dict) -> list[dict]:
    kind = fairness.get("fairness_evaluation_kind", "difference")
    if kind not in ("difference", "ratio"):
        raise UserInputError.invalid("Fairness.fairness_evaluation_kind", kind, "is not difference or ratio")
    rows = []
    for feature in fairness.get("sensitive_features") or []:
        if feature not in features:
            raise UserInputError.invalid("Fairness.sensitive_features", feature, f"is not a feature (features: {', '.join(features)})")
        cohorts = overview["feature_cohorts"][feature]
        for metric in fairness.get("metric") or []:
            if metric not in cohorts[kind]:
                raise UserInputError.invalid("Fairness.metric", metric, f"is not a metric of this task (metrics: {', '.join(cohorts[kind])})")
            row = _judged(f"{metric} {kind} across {feature}", cohorts[kind][metric], fairness.get("threshold"), "Fairness.threshold")
            row["groups"] = [{"group": g["group"], "size": g["size"], "value": g[metric]} for g in cohorts["groups"]]
            rows.append(row)
    return rows


def build(dashboard_folder: Path, config: dict, out: Path) -> dict:
    from workspace.local.rai.folder import read_dashboard, write_json
    from workspace.local.rai.render.scorecard import render_html, render_pdf

    card = evaluate(read_dashboard(dashboard_folder), config)  # every check runs before anything is written
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "scorecard.json", card)
    (out / "scorecard.html").write_text(render_html(card), encoding="utf-8")
    render_pdf(card, out / "scorecard.pdf")
    return card


if __name__ == "__main__":
    run(main)
