"""Step ``rai_tabular_causal``: causal effects of treatment features (econml double ML)."""

from __future__ import annotations

from pathlib import Path

from workspace.errors import UserInputError
from workspace.local.rai import checks
from workspace.local.rai.steps import constructor_input, parser, run


def main(argv: list[str] | None) -> None:
    p = parser("Add causal analysis to an RAI insights folder")
    p.add_argument("--rai_insights_dashboard", required=True)
    p.add_argument("--treatment_features", required=True)
    p.add_argument("--heterogeneity_features", default="[]")
    p.add_argument("--nuisance_model", default="linear")
    p.add_argument("--heterogeneity_model", default="linear")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--upper_bound_on_cat_expansion", type=int, default=50)
    p.add_argument("--treatment_cost", default="0")
    p.add_argument("--min_tree_leaf_samples", type=int, default=2)
    p.add_argument("--max_tree_depth", type=int, default=2)
    p.add_argument("--skip_cat_limit_checks", default="False")
    p.add_argument("--categories", default="auto")
    p.add_argument("--n_jobs", type=int, default=1)
    p.add_argument("--verbose", type=int, default=1)
    p.add_argument("--random_state", default="None")
    p.add_argument("--causal_path", required=True)
    args = p.parse_args(argv)
    compute(constructor_input(args.rai_insights_dashboard), Path(args.causal_path), treatment_features=args.treatment_features,
            heterogeneity_features=args.heterogeneity_features, nuisance_model=args.nuisance_model,
            heterogeneity_model=args.heterogeneity_model, upper_bound_on_cat_expansion=args.upper_bound_on_cat_expansion, alpha=args.alpha,
            treatment_cost=args.treatment_cost, max_tree_depth=args.max_tree_depth, min_tree_leaf_samples=args.min_tree_leaf_samples,
            skip_cat_limit_checks=args.skip_cat_limit_checks, categories=args.categories, random_state=args.random_state)


def check(task_type: str, features: list[str], classes: list | None, treatment_features, heterogeneity_features="[]",
          nuisance_model: str = "linear", alpha: float = 0.05, treatment_cost="0", heterogeneity_model: str = "linear") -> tuple[list, list, float]:
    treatments = checks.parse_list("treatment_features", treatment_features)
    if not treatments:
        raise UserInputError.missing("treatment_features", 'a JSON list of feature columns, e.g. ["BMI"]')
    checks.check_features("treatment_features", treatments, features)
    heterogeneity = checks.check_features("heterogeneity_features", checks.parse_list("heterogeneity_features", heterogeneity_features), features)
    if nuisance_model not in ("linear", "automl"):
        raise UserInputError.invalid("nuisance_model", nuisance_model, "is not a nuisance model; use linear or automl")
    if heterogeneity_model not in ("linear", "forest"):
        raise UserInputError.invalid("heterogeneity_model", heterogeneity_model, "is not a heterogeneity model; use linear or forest")
    if not 0 < float(alpha) < 1:
        raise UserInputError.invalid("alpha", alpha, "must be between 0 and 1")
    if task_type == "classification" and classes and len(classes) > 2:
        raise UserInputError.invalid("task_type", task_type, f"has {len(classes)} classes; causal analysis needs a binary classifier or regression")
    try:
        cost = float(treatment_cost)
    except (TypeError, ValueError):
        raise UserInputError.invalid("treatment_cost", treatment_cost, "is not a number") from None
    return treatments, heterogeneity, cost


def check_categories(frame, categorical: list[str], bound: int, skip) -> None:
    """Azure's guard: a categorical feature with more values than the bound would blow up the one-hot design."""
    if checks.is_unset(skip) or str(skip).lower() in ("false", "0"):
        for feature in categorical:
            count = frame[feature].nunique()
            if count > int(bound):
                raise UserInputError.invalid("upper_bound_on_cat_expansion", bound, f"is below the {count} values of categorical feature "
                                             f"{feature!r}; raise it or set skip_cat_limit_checks")


def compute(insights, out: Path, *, treatment_features, heterogeneity_features="[]", nuisance_model: str = "linear",
            heterogeneity_model: str = "linear", upper_bound_on_cat_expansion: int = 50, alpha: float = 0.05, treatment_cost="0",
            max_tree_depth: int = 2, min_tree_leaf_samples: int = 2, skip_cat_limit_checks="False", categories="auto",
            random_state="None") -> dict:
    from workspace.local.rai.compute.causal import analyse
    from workspace.local.rai.folder import write_insight

    treatments, heterogeneity, cost = check(insights.task_type, insights.features, insights.config.get("classes"), treatment_features,
                                            heterogeneity_features, nuisance_model, alpha, treatment_cost, heterogeneity_model)
    if str(categories).strip().lower() != "auto":
        from workspace.errors import NotSupportedLocallyError

        raise NotSupportedLocallyError.field("categories", categories, "categories are read from the data ('auto')")
    check_categories(insights.train, insights.categorical, upper_bound_on_cat_expansion, skip_cat_limit_checks)
    seed = 0 if checks.is_unset(random_state) else int(random_state)
    result = analyse(insights.train, insights.test, insights.features, insights.categorical, insights.target, insights.task_type, treatments,
                     heterogeneity=heterogeneity, nuisance_model=nuisance_model, heterogeneity_model=heterogeneity_model,
                     alpha=float(alpha), treatment_cost=cost,
                     max_tree_depth=max_tree_depth, min_tree_leaf_samples=min_tree_leaf_samples, seed=seed)
    write_insight(out, "causal", result)
    return result


if __name__ == "__main__":
    run(main)
