"""Step ``rai_tabular_counterfactual``: what-if rows that change the model's prediction."""

from __future__ import annotations

from pathlib import Path

from workspace.errors import UserInputError
from workspace.local.rai import checks
from workspace.local.rai.steps import constructor_input, flag, parser, run

MAX_QUERY_ROWS = 100  # test rows that get counterfactuals; the what-if table shows them


def main(argv: list[str] | None) -> None:
    p = parser("Add counterfactuals to an RAI insights folder")
    p.add_argument("--rai_insights_dashboard", required=True)
    p.add_argument("--total_CFs", type=int, default=10)
    p.add_argument("--method", default="random")
    p.add_argument("--desired_class", default="None")
    p.add_argument("--desired_range", default="[]")
    p.add_argument("--permitted_range", default="{}")
    p.add_argument("--features_to_vary", default="all")
    p.add_argument("--feature_importance", default="True")
    p.add_argument("--counterfactual_path", required=True)
    args = p.parse_args(argv)
    compute(constructor_input(args.rai_insights_dashboard), Path(args.counterfactual_path), total_cfs=args.total_CFs, method=args.method,
            desired_class=args.desired_class, desired_range=args.desired_range, permitted_range=args.permitted_range,
            features_to_vary=args.features_to_vary, feature_importance=flag(args.feature_importance))


def check(task_type: str, features: list[str], classes: list | None, *, total_cfs=10, method="random", desired_class="None",
          desired_range="[]", permitted_range="{}", features_to_vary="all") -> tuple[list, dict, list]:
    """Parsed (features to vary, permitted ranges, desired range), or one line naming what is wrong."""
    if int(total_cfs) < 1:
        raise UserInputError.invalid("total_CFs", total_cfs, "must be at least 1")
    if method not in ("random", "genetic", "kdtree"):
        raise UserInputError.invalid("method", method, "is not a counterfactual method; use random, genetic or kdtree")
    checks.check_counterfactual(task_type, desired_class, desired_range, classes)
    vary = features if str(features_to_vary).strip().lower() in ("all", "") else checks.parse_list("features_to_vary", features_to_vary)
    checks.check_features("features_to_vary", vary, features)
    permitted = checks.parse_json("permitted_range", permitted_range, dict, '{"Age": [20, 60]}')
    checks.check_features("permitted_range", list(permitted), features)
    return vary, permitted, checks.parse_list("desired_range", desired_range)


def compute(insights, out: Path, *, total_cfs: int = 10, method: str = "random", desired_class="None", desired_range="[]",
            permitted_range="{}", features_to_vary="all", feature_importance: bool = True, max_rows: int = MAX_QUERY_ROWS) -> dict:
    from workspace.local.rai.compute.counterfactuals import search
    from workspace.local.rai.folder import write_insight

    vary, permitted, wanted_range = check(insights.task_type, insights.features, insights.config.get("classes"), total_cfs=total_cfs,
                                          method=method, desired_class=desired_class, desired_range=desired_range,
                                          permitted_range=permitted_range, features_to_vary=features_to_vary)
    model = insights.model()
    rows = search(model, insights.train, insights.test.iloc[:max_rows], insights.features, insights.categorical, insights.task_type,
                  total_cfs=total_cfs, desired_class=None if checks.is_unset(desired_class) else desired_class,
                  desired_range=wanted_range, permitted_range=permitted, features_to_vary=vary)
    result = {"rows": rows, "features_to_vary": vary, "config": {"total_CFs": total_cfs, "method": method, "desired_class": desired_class,
                                                                 "desired_range": wanted_range, "permitted_range": permitted}}
    if feature_importance:
        result["feature_importance"] = _change_frequency(rows, insights.features)
    write_insight(out, "counterfactual", result)
    return result


def _change_frequency(rows: list[dict], features: list[str]) -> dict:
    """How often each feature changes among the counterfactuals found: dice-ml's summary importance."""
    found = [cf for row in rows for cf in row["counterfactuals"]]
    return {f: (sum(f in cf["changed"] for cf in found) / len(found) if found else 0.0) for f in features}


if __name__ == "__main__":
    run(main)
