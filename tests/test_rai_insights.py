"""Each insight's numbers against an independent computation on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from test_rai_support import FEATURES, TARGET, diabetes_split, insights_folder  # noqa: F401


@pytest.fixture(scope="module")
def insights(insights_folder):  # noqa: F811
    from workspace.local.rai.folder import load

    return load(insights_folder)


def _rows_on_path(frame: pd.DataFrame, conditions: list[dict]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for c in conditions:
        column = frame[c["feature"]]
        if c["op"] == "<=":
            mask &= column <= c["value"]
        elif c["op"] == ">":
            mask &= column > c["value"]
        elif c["op"] == "in":
            mask &= column.astype(str).isin(c["value"])
        else:
            mask &= ~column.astype(str).isin(c["value"])
    return mask


def test_every_error_tree_node_has_the_error_rate_of_the_rows_its_path_selects(insights, tmp_path):
    from workspace.local.rai.compute.errors import path_of
    from workspace.local.rai.erroranalysis import compute

    result = compute(insights, tmp_path / "ea", max_depth=3, min_child_samples=10)
    test = insights.test.assign(wrong=insights.test[TARGET].astype(int).to_numpy() != insights.y_pred().astype(int))
    assert len(result["tree"]) > 3
    for node in result["tree"]:
        rows = test[_rows_on_path(test, path_of(result["tree"], node["id"]))]
        assert node["size"] == len(rows)
        assert node["error_rate"] == pytest.approx(rows["wrong"].mean())
    leaves = [n for n in result["tree"] if n["leaf"]]
    assert sum(n["size"] for n in leaves) == len(test)
    assert result["overall_error_rate"] == pytest.approx(test["wrong"].mean())
    assert result["top_cohorts"][0]["error_rate"] == max(n["error_rate"] for n in leaves)


def test_heat_map_cells_count_the_errors_of_their_rows(insights, tmp_path):
    from workspace.local.rai.erroranalysis import compute

    heat = compute(insights, tmp_path / "ea", filter_features=["Pregnancies", "Age"])["heatmap"]
    test = insights.test.assign(wrong=insights.test[TARGET].astype(int).to_numpy() != insights.y_pred().astype(int))
    assert heat["features"] == ["Pregnancies", "Age"] and len(heat["cells"]) > 4
    for cell in heat["cells"]:
        mask = pd.Series(True, index=test.index)
        for feature, edges, i in zip(heat["features"], heat["edges"], cell["index"]):
            upper = test[feature] <= edges[i + 1] if i + 2 == len(edges) else test[feature] < edges[i + 1]
            mask &= (test[feature] >= edges[i]) & upper
        assert (cell["size"], cell["error"]) == (mask.sum(), test.loc[mask, "wrong"].sum())
    assert sum(c["size"] for c in heat["cells"]) == len(test)


def test_top_features_agree_with_permutation_importance(insights, tmp_path):
    from sklearn.inspection import permutation_importance

    from workspace.local.rai.explanation import compute

    result = compute(insights, tmp_path / "ex")
    estimator = insights.model().estimator
    reference = permutation_importance(estimator, insights.test[FEATURES], insights.test[TARGET], n_repeats=10, random_state=0)
    by_permutation = [FEATURES[i] for i in np.argsort(-reference.importances_mean)[:3]]
    by_shap = sorted(result["global_importance"], key=lambda f: -result["global_importance"][f])[:3]
    assert by_shap[0] == by_permutation[0]
    assert len(set(by_shap) & set(by_permutation)) >= 2
    local = pd.read_parquet(tmp_path / "ex" / "local_importance.parquet")
    assert local.shape == (len(insights.test), len(FEATURES))
    # mean |SHAP| over rows is what the aggregate view shows
    assert local.abs().mean().to_dict() == pytest.approx(result["global_importance"])


def test_counterfactuals_really_flip_the_models_prediction(insights, tmp_path):
    from workspace.local.rai.counterfactual import compute

    result = compute(insights, tmp_path / "cf", total_cfs=4, desired_class="opposite", max_rows=20)
    estimator = insights.model().estimator
    checked = 0
    for row in result["rows"]:
        original = insights.test[FEATURES].iloc[[row["row"]]]
        before = estimator.predict(original)[0]
        assert row["found"] >= 1
        for cf in row["counterfactuals"]:
            candidate = pd.DataFrame([cf["values"]])[FEATURES].astype(original.dtypes.to_dict())
            assert estimator.predict(candidate)[0] != before
            differs = {f for f in FEATURES if candidate[f].iloc[0] != original[f].iloc[0]}
            assert differs == set(cf["changed"]) and differs
            checked += 1
    assert checked >= 20


def test_regression_counterfactuals_land_in_the_desired_range(tmp_path, diabetes_split):  # noqa: F811
    from workspace.local.rai.compute.counterfactuals import search
    from workspace.local.rai.model import LoadedModel
    from test_rai_support import train_model

    train, test = diabetes_split
    features = [f for f in FEATURES if f != "BMI"]
    estimator = train_model(train, features, "BMI", kind="regressor")
    rows = search(LoadedModel(estimator, features, native=True), train, test.head(10), features, [], "regression",
                  total_cfs=3, desired_range=[40.0, 50.0])
    found = [cf for row in rows for cf in row["counterfactuals"]]
    assert found
    predicted = estimator.predict(pd.DataFrame([cf["values"] for cf in found])[features])
    assert ((predicted >= 40.0) & (predicted <= 50.0)).all()


def _confounded(n: int, effect: float, seed: int = 0) -> pd.DataFrame:
    """Age drives both the treatment and the outcome; the treatment's own effect is ``effect``."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 70, n)
    group = rng.integers(0, 3, n)
    dose = 0.1 * age + rng.normal(0, 1, n)
    outcome = effect * dose + 0.3 * age + 0.5 * group + rng.normal(0, 1, n)
    return pd.DataFrame({"age": age, "group": group, "dose": dose, "outcome": outcome})


@pytest.mark.parametrize("effect", [-2.0, 1.5])
def test_the_aggregate_causal_effect_has_the_sign_of_the_planted_effect(effect):
    from workspace.local.rai.compute.causal import analyse

    frame = _confounded(1200, effect)
    naive = np.polyfit(frame["dose"], frame["outcome"], 1)[0]  # confounded: what a plain regression would say
    result = analyse(frame, frame.head(200), ["age", "group", "dose"], [], "outcome", "regression", ["dose"], heterogeneity=["group"])
    dose = result["treatments"][0]
    assert np.sign(dose["point"]) == np.sign(effect)
    assert dose["ci_lower"] < effect < dose["ci_upper"]
    assert abs(dose["point"] - effect) < abs(naive - effect)
    assert len(dose["individual"]["point"]) == 200
    assert dose["policy"]["recommended"] == [bool(effect > 0)] * 200


def test_binary_treatment_on_a_classifier_target_is_estimated_as_discrete():
    from workspace.local.rai.compute.causal import analyse

    rng = np.random.default_rng(1)
    n = 1500
    age = rng.uniform(20, 70, n)
    treated = (rng.random(n) < 1 / (1 + np.exp(-(age - 45) / 10))).astype(int)
    sick = (rng.random(n) < 0.2 + 0.004 * (age - 20) - 0.15 * treated).astype(int)
    frame = pd.DataFrame({"age": age, "treated": treated, "sick": sick})
    result = analyse(frame, frame.head(100), ["age", "treated"], [], "sick", "classification", ["treated"])
    treated_effect = result["treatments"][0]
    assert treated_effect["discrete"] and treated_effect["point"] < 0 and treated_effect["ci_upper"] < 0.05


def test_cohort_metrics_match_a_pandas_groupby(insights):
    from workspace.local.rai.compute.overview import cohort_labels, overview

    result = overview(insights.test, FEATURES, [], TARGET, insights.y_pred(), "classification", ["0", "1"])
    right = insights.test[TARGET].astype(int).to_numpy() == insights.y_pred().astype(int)
    assert result["metrics"]["accuracy_score"] == pytest.approx(right.mean())
    groups = pd.Series(right).groupby(cohort_labels(insights.test["Age"], False)).mean()
    for group in result["feature_cohorts"]["Age"]["groups"]:
        assert group["accuracy_score"] == pytest.approx(groups[group["group"]])
    spread = result["feature_cohorts"]["Age"]["difference"]["accuracy_score"]
    assert spread == pytest.approx(groups.max() - groups.min())


def test_a_regression_dashboard_measures_absolute_errors(tmp_path, diabetes_split):  # noqa: F811
    from sklearn.metrics import mean_absolute_error, r2_score

    from test_rai_support import save_model, train_model
    from workspace.local.rai.compute.overview import overview
    from workspace.local.rai.constructor import build
    from workspace.local.rai.erroranalysis import compute
    from workspace.local.rai.folder import load

    train, test = diabetes_split
    features = [f for f in FEATURES if f != "BMI"]
    model = save_model(train_model(train, features, "BMI", kind="regressor"), tmp_path / "model", train[features])
    config = build(tmp_path / "c", task_type="regression", model_dir=model, train=train, test=test, target="BMI")
    assert config["classes"] is None and config["features"] == features
    insights = load(tmp_path / "c")
    result = compute(insights, tmp_path / "ea", max_depth=2)
    truth, predicted = insights.y_test(), insights.y_pred()
    assert result["metric"] == "mean_absolute_error"
    assert result["overall_error_rate"] == pytest.approx(mean_absolute_error(truth, predicted))
    metrics = overview(insights.test, features, [], "BMI", predicted, "regression", None)["metrics"]
    assert metrics["r2_score"] == pytest.approx(r2_score(truth, predicted))


def test_a_causal_forest_finds_an_effect_that_varies_with_the_heterogeneity_feature():
    from workspace.local.rai.compute.causal import analyse

    rng = np.random.default_rng(2)
    n = 1500
    group = rng.integers(0, 2, n)
    age = rng.uniform(20, 70, n)
    dose = 0.05 * age + rng.normal(0, 1, n)
    outcome = np.where(group == 1, 3.0, -1.0) * dose + 0.2 * age + rng.normal(0, 1, n)
    frame = pd.DataFrame({"age": age, "group": group, "dose": dose, "outcome": outcome})
    result = analyse(frame, frame.head(300), ["age", "group", "dose"], [], "outcome", "regression", ["dose"],
                     heterogeneity=["group"], heterogeneity_model="forest")
    individual = np.asarray(result["treatments"][0]["individual"]["point"])
    groups = frame.head(300)["group"].to_numpy()
    assert individual[groups == 1].mean() > 2 and individual[groups == 0].mean() < 0
    policy = result["treatments"][0]["policy"]
    assert {r["treat"] for r in policy["rules"]} == {True, False} and policy["gain_policy"] > policy["gain_treat_all"]


def test_too_many_categories_are_refused_unless_the_check_is_skipped(insights, tmp_path):
    from workspace.errors import UserInputError
    from workspace.local.rai.causal import check_categories

    frame = insights.train.assign(code=[f"c{i}" for i in range(len(insights.train))])
    with pytest.raises(UserInputError, match=r"^upper_bound_on_cat_expansion: 50 is below the 300 values of categorical feature 'code'"):
        check_categories(frame, ["code"], 50, "False")
    check_categories(frame, ["code"], 50, "True")
