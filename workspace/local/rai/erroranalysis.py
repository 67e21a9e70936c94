"""Step ``rai_tabular_erroranalysis``: a surrogate error tree and an error heat map."""

from __future__ import annotations

from pathlib import Path

from workspace.local.rai import checks
from workspace.local.rai.steps import constructor_input, parser, run


def main(argv: list[str] | None) -> None:
    p = parser("Add error analysis to an RAI insights folder")
    p.add_argument("--rai_insights_dashboard", required=True)
    p.add_argument("--max_depth", type=int, default=3)
    p.add_argument("--num_leaves", type=int, default=31)
    p.add_argument("--min_child_samples", type=int, default=20)
    p.add_argument("--filter_features", default="[]")
    p.add_argument("--error_analysis_path", required=True)
    args = p.parse_args(argv)
    insights = constructor_input(args.rai_insights_dashboard)
    compute(insights, Path(args.error_analysis_path), max_depth=args.max_depth, num_leaves=args.num_leaves,
            min_child_samples=args.min_child_samples, filter_features=checks.parse_list("filter_features", args.filter_features))


def check(features: list[str], max_depth: int = 3, num_leaves: int = 31, min_child_samples: int = 20, filter_features: list | None = None) -> None:
    from workspace.errors import UserInputError

    for field, value, least in (("max_depth", max_depth, 1), ("num_leaves", num_leaves, 2), ("min_child_samples", min_child_samples, 1)):
        if int(value) < least:
            raise UserInputError.invalid(field, value, f"must be at least {least}")
    checks.check_features("filter_features", list(filter_features or []), features, most=2)


def compute(insights, out: Path, *, max_depth: int = 3, num_leaves: int = 31, min_child_samples: int = 20,
            filter_features: list | None = None) -> dict:
    from workspace.local.rai.compute.errors import analyse
    from workspace.local.rai.folder import write_insight

    check(insights.features, max_depth, num_leaves, min_child_samples, filter_features)
    result = analyse(insights.test, insights.features, insights.categorical, insights.y_test(), insights.y_pred(), insights.task_type,
                     max_depth=max_depth, num_leaves=num_leaves, min_child_samples=min_child_samples, filter_features=filter_features)
    write_insight(out, "error_analysis", result)
    return result


if __name__ == "__main__":
    run(main)
