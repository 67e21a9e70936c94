"""Causal analysis with econml's double machine learning (LinearDML, cross-fitted).

For each treatment feature: the outcome is the target (the positive class as
0/1 for a binary classifier), the heterogeneity features are X (effects may
vary with them), every other feature is a confounder W. Results: the average
effect with its confidence interval and p-value, individual effects for test
rows, and a treatment policy: a shallow tree over X that says where treating
(raising a continuous treatment by one unit, or switching a binary one on)
pays more than its cost, with the policy's gain against treating all or none.
"""

from __future__ import annotations

from typing import Any


def analyse(train, test, features: list[str], categorical: list[str], target: str, task_type: str, treatments: list[str], *,
            heterogeneity: list[str] | None = None, nuisance_model: str = "linear", heterogeneity_model: str = "linear",
            alpha: float = 0.05, treatment_cost: float = 0.0,
            max_tree_depth: int = 2, min_tree_leaf_samples: int = 2, max_rows: int = 500, seed: int = 0) -> dict:
    heterogeneity = [h for h in (heterogeneity or []) if h not in treatments]
    y = _outcome(train[target], task_type)
    results = []
    for treatment in treatments:
        confounders = [f for f in features if f not in heterogeneity and f != treatment]
        discrete = treatment in categorical or train[treatment].nunique() <= 2
        X = _matrix(train, heterogeneity, categorical)
        estimator = _estimator(nuisance_model, "forest" if heterogeneity_model == "forest" and X is not None else "linear", discrete, seed)
        W = _matrix(train, confounders, categorical)
        T = _treatment(train[treatment]) if discrete else train[treatment].to_numpy(dtype=float)
        estimator.fit(y, T, X=X, W=W)
        results.append(_effects(estimator, treatment, discrete, test.iloc[:max_rows], heterogeneity, categorical, alpha,
                                treatment_cost, max_tree_depth, min_tree_leaf_samples, seed))
    return {"treatments": results, "heterogeneity_features": heterogeneity, "outcome": target,
            "config": {"nuisance_model": nuisance_model, "heterogeneity_model": heterogeneity_model, "alpha": alpha, "treatment_cost": treatment_cost}}


def _treatment(values):
    """A discrete treatment as integer codes in sorted order (econml's encoder can't take text arrays here)."""
    import numpy as np

    from workspace.local.rai.compute.encoding import label_text

    labels = label_text(values)
    return np.searchsorted(np.asarray(sorted(set(labels)), dtype=object), labels)


def _outcome(values, task_type: str):
    import numpy as np

    if task_type == "regression":
        return values.to_numpy(dtype=float)
    from workspace.local.rai.compute.encoding import label_text

    labels = label_text(values)
    classes = sorted(set(labels))
    return (labels == classes[-1]).astype(float) if len(classes) == 2 else np.asarray(values, dtype=float)


def _matrix(frame, columns: list[str], categorical: list[str]):
    import pandas as pd

    if not columns:
        return None
    data = frame[columns]
    dummies = [c for c in columns if c in categorical or data[c].dtype == object]
    return pd.get_dummies(data, columns=dummies, dtype=float).to_numpy(dtype=float)


def _estimator(nuisance_model: str, heterogeneity_model: str, discrete: bool, seed: int):
    """LinearDML (effects linear in X), or CausalForestDML for heterogeneity_model=forest (needs X)."""
    from econml.dml import CausalForestDML, LinearDML
    from sklearn.linear_model import LassoCV, LogisticRegressionCV

    if nuisance_model == "automl":
        from lightgbm import LGBMClassifier, LGBMRegressor

        model_y = LGBMRegressor(n_estimators=100, verbose=-1, random_state=seed)
        model_t = LGBMClassifier(n_estimators=100, verbose=-1, random_state=seed) if discrete else LGBMRegressor(n_estimators=100, verbose=-1, random_state=seed)
    else:
        model_y = LassoCV(cv=3, random_state=seed)
        model_t = LogisticRegressionCV(cv=3, max_iter=500) if discrete else LassoCV(cv=3, random_state=seed)
    if heterogeneity_model == "forest":
        return CausalForestDML(model_y=model_y, model_t=model_t, discrete_treatment=discrete, cv=3, n_estimators=100, random_state=seed)
    return LinearDML(model_y=model_y, model_t=model_t, discrete_treatment=discrete, cv=3, random_state=seed)


def _effects(estimator, treatment: str, discrete: bool, test, heterogeneity: list[str], categorical: list[str], alpha: float,
             cost: float, depth: int, min_leaf: int, seed: int) -> dict:
    import numpy as np

    X = _matrix(test, heterogeneity, categorical)
    summary = estimator.ate_inference(X=X) if X is not None else estimator.effect_inference(X=None)
    low, high = summary.conf_int_mean(alpha=alpha) if X is not None else summary.conf_int(alpha=alpha)
    point = float(np.ravel(summary.mean_point if X is not None else summary.point_estimate)[0])
    stderr = float(np.ravel(summary.stderr_mean if X is not None else summary.stderr)[0])
    pvalue = float(np.ravel(summary.pvalue(value=0) if X is None else summary.pvalue(value=0))[0])
    individual = np.ravel(estimator.effect(X)) if X is not None else np.full(len(test), point)
    if X is not None:
        ind_low, ind_high = (np.ravel(b) for b in estimator.effect_interval(X, alpha=alpha))
    else:
        ind_low, ind_high = np.full(len(test), float(np.ravel(low)[0])), np.full(len(test), float(np.ravel(high)[0]))
    return {
        "feature": treatment, "discrete": discrete, "point": point, "stderr": stderr, "p_value": pvalue,
        "ci_lower": float(np.ravel(low)[0]), "ci_upper": float(np.ravel(high)[0]),
        "individual": {"point": individual.tolist(), "ci_lower": ind_low.tolist(), "ci_upper": ind_high.tolist()},
        "policy": _policy(test, heterogeneity, categorical, individual, cost, depth, min_leaf, seed),
    }


def _policy(test, heterogeneity: list[str], categorical: list[str], effects, cost: float, depth: int, min_leaf: int, seed: int) -> dict:
    """Treat where the (tree-smoothed) effect beats the cost; gains are mean effect minus cost over the treated."""
    import numpy as np

    gain = effects - cost
    if not heterogeneity:
        treat_all = bool(gain.mean() > 0)
        rules = [{"rule": "all rows", "size": len(effects), "mean_effect": float(effects.mean()), "treat": treat_all}]
        recommended = np.full(len(effects), treat_all)
    else:
        from sklearn.tree import DecisionTreeRegressor

        from workspace.local.rai.compute.encoding import encode
        from workspace.local.rai.compute.errors import describe, path_of

        matrix, categories = encode(test, heterogeneity, categorical)
        tree = DecisionTreeRegressor(max_depth=max(1, depth), min_samples_leaf=max(1, min_leaf), random_state=seed).fit(matrix, effects)
        leaves = tree.apply(matrix)
        nodes = _tree_nodes(tree, heterogeneity, categories)
        rules, recommended = [], np.zeros(len(effects), dtype=bool)
        for leaf in sorted(set(leaves.tolist())):
            rows = leaves == leaf
            treat = bool(gain[rows].mean() > 0)
            recommended[rows] = treat
            rules.append({"rule": describe(path_of(nodes, leaf)), "size": int(rows.sum()), "mean_effect": float(effects[rows].mean()), "treat": treat})
    return {
        "treatment_cost": cost, "rules": rules, "recommended": recommended.tolist(),
        "gain_policy": float((gain * recommended).mean()), "gain_treat_all": float(gain.mean()), "gain_treat_none": 0.0,
    }


def _tree_nodes(tree, features: list[str], categories: dict) -> list[dict[str, Any]]:
    from workspace.local.rai.compute.errors import _split

    t, nodes = tree.tree_, []

    def visit(node: int, parent: int | None, condition: dict | None) -> None:
        nodes.append({"id": node, "parent": parent, "condition": condition})
        if t.children_left[node] != -1:
            feature = features[t.feature[node]]
            left, right = _split(feature, float(t.threshold[node]), categories.get(feature))
            visit(int(t.children_left[node]), node, left)
            visit(int(t.children_right[node]), node, right)

    visit(0, None, None)
    return nodes
