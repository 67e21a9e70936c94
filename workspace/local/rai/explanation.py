"""Step ``rai_tabular_explanation``: aggregate and individual feature importance (SHAP)."""

from __future__ import annotations

from pathlib import Path

from workspace.local.rai.steps import constructor_input, parser, run


def main(argv: list[str] | None) -> None:
    p = parser("Add feature importance to an RAI insights folder")
    p.add_argument("--rai_insights_dashboard", required=True)
    p.add_argument("--comment", default="")
    p.add_argument("--explanation_path", required=True)
    args = p.parse_args(argv)
    compute(constructor_input(args.rai_insights_dashboard), Path(args.explanation_path), comment=args.comment)


def compute(insights, out: Path, *, comment: str = "", max_rows: int = 500) -> dict:
    import pandas as pd

    from workspace.local.rai.compute.importance import explain
    from workspace.local.rai.folder import write_insight

    result = explain(insights.model(), insights.train, insights.test, insights.features, insights.task_type, insights.target, max_rows=max_rows)
    local = result.pop("local_importance")
    tables = {"local_importance": pd.DataFrame(local, columns=insights.features)} if local is not None else {}
    write_insight(out, "explanation", {**result, "comment": comment}, tables)
    return result


if __name__ == "__main__":
    run(main)
