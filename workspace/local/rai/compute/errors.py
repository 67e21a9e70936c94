"""Error analysis: a surrogate tree on the model's errors, and a 1-2 feature error heat map.

As the erroranalysis package does: a decision tree learns where the model is
wrong; each node is a cohort (the rows its path selects) with its size, its
error count and its error rate, measured on those rows (not the tree's guess).
For regression the "error" is the absolute error and the rate is its mean.
"""

from __future__ import annotations

from typing import Any

from workspace.local.rai.compute.encoding import encode, label_text

HEATMAP_BINS = 6


def errors_of(task_type: str, y_true, y_pred):
    import numpy as np

    if task_type == "classification":
        return (label_text(y_true) != label_text(y_pred)).astype(float)
    return np.abs(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))


def error_tree(frame, features: list[str], categorical: list[str], errors, *, max_depth: int = 3,
               num_leaves: int = 31, min_child_samples: int = 20) -> dict:
    """Nodes in preorder; each names its parent, the condition that leads to it, and its cohort's errors."""
    from sklearn.tree import DecisionTreeRegressor

    matrix, categories = encode(frame, features, categorical)
    tree = DecisionTreeRegressor(max_depth=max_depth, max_leaf_nodes=max(2, num_leaves),
                                 min_samples_leaf=max(1, min_child_samples), random_state=0)
    tree.fit(matrix, errors)
    paths = tree.decision_path(matrix).tocsc()
    t = tree.tree_
    nodes: list[dict] = []

    def visit(node: int, parent: int | None, condition: dict | None, depth: int) -> None:
        rows = paths[:, node].nonzero()[0]
        nodes.append(_node(node, parent, condition, depth, errors[rows], len(errors)))
        if t.children_left[node] == -1:
            nodes[-1]["leaf"] = True
            return
        feature = features[t.feature[node]]
        left, right = _split(feature, float(t.threshold[node]), categories.get(feature))
        visit(int(t.children_left[node]), node, left, depth + 1)
        visit(int(t.children_right[node]), node, right, depth + 1)

    visit(0, None, None, 0)
    importances = dict(zip(features, map(float, tree.feature_importances_)))
    return {"nodes": nodes, "surrogate_importances": importances}


def _node(node: int, parent: int | None, condition: dict | None, depth: int, node_errors, total: int) -> dict:
    size = int(len(node_errors))
    error_sum = float(node_errors.sum())
    return {
        "id": int(node), "parent": parent, "condition": condition, "depth": depth, "size": size,
        "error": error_sum, "error_rate": error_sum / size if size else 0.0,
        "coverage": size / total if total else 0.0, "leaf": False,
    }


def _split(feature: str, threshold: float, categories: list | None) -> tuple[dict, dict]:
    if categories is None:
        return ({"feature": feature, "op": "<=", "value": threshold}, {"feature": feature, "op": ">", "value": threshold})
    left = [c for i, c in enumerate(categories) if i <= threshold]
    return ({"feature": feature, "op": "in", "value": left}, {"feature": feature, "op": "not in", "value": left})


def path_of(nodes: list[dict], node_id: int) -> list[dict]:
    """The conditions from the root to ``node_id``."""
    by_id = {n["id"]: n for n in nodes}
    conditions = []
    node = by_id[node_id]
    while node["parent"] is not None:
        conditions.append(node["condition"])
        node = by_id[node["parent"]]
    return conditions[::-1]


def describe(conditions: list[dict]) -> str:
    """A path as text; bounds on the same number merge ("58.5 < Age <= 67.5")."""
    if not conditions:
        return "all data"
    bounds: dict[str, list] = {}
    parts: dict[str, str] = {}
    for c in conditions:
        if c["op"] in ("<=", ">"):
            low, high = bounds.setdefault(c["feature"], [None, None])
            if c["op"] == "<=":
                bounds[c["feature"]][1] = c["value"] if high is None else min(high, c["value"])
            else:
                bounds[c["feature"]][0] = c["value"] if low is None else max(low, c["value"])
            parts[c["feature"]] = ""
        else:
            parts[f"{c['feature']} {c['op']}"] = f"{c['feature']} {c['op']} " + "{" + ", ".join(map(str, c["value"])) + "}"
    for feature, (low, high) in bounds.items():
        if low is not None and high is not None:
            parts[feature] = f"{low:.4g} < {feature} <= {high:.4g}"
        else:
            parts[feature] = f"{feature} <= {high:.4g}" if high is not None else f"{feature} > {low:.4g}"
    return " and ".join(parts.values())


def heatmap(frame, features: list[str], categorical: list[str], errors) -> dict:
    """Error rate per cell over one or two features: quantile bins for numbers, values for categories."""
    import numpy as np
    import pandas as pd

    axes = [_bins(frame[f], f in categorical) for f in features]
    keys = [labels for labels, _, _ in axes]
    codes = pd.DataFrame({f"a{i}": codes for i, (_, codes, _) in enumerate(axes)})
    codes["error"] = errors
    grouped = codes.groupby([f"a{i}" for i in range(len(axes))], observed=True)["error"].agg(["size", "sum"])
    cells = []
    for index, row in grouped.iterrows():
        index = index if isinstance(index, tuple) else (index,)
        cells.append({"index": [int(i) for i in index], "size": int(row["size"]), "error": float(row["sum"]),
                      "error_rate": float(row["sum"] / row["size"]) if row["size"] else 0.0})
    edges = [e for _, _, e in axes]
    return {"features": list(features), "labels": keys, "edges": edges, "cells": cells, "max_error_rate": float(np.max([c["error_rate"] for c in cells] or [0]))}


def _bins(values, categorical: bool) -> tuple[list[str], Any, list | None]:
    """(labels, each row's bin, numeric bin edges or None): bin i holds edges[i] <= x < edges[i+1], the last also its top."""
    import numpy as np
    import pandas as pd

    if categorical or values.dtype == object or values.nunique() <= HEATMAP_BINS:
        cats = sorted(values.astype(str).unique())
        lookup = {c: i for i, c in enumerate(cats)}
        return cats, values.astype(str).map(lookup).to_numpy(), None
    edges = np.unique(np.quantile(values.to_numpy(dtype=float), np.linspace(0, 1, HEATMAP_BINS + 1)))
    codes = np.clip(np.searchsorted(edges, values.to_numpy(dtype=float), side="right") - 1, 0, len(edges) - 2)
    labels = [f"{edges[i]:.4g}–{edges[i + 1]:.4g}" for i in range(len(edges) - 1)]
    return labels, pd.Series(codes).to_numpy(), [float(e) for e in edges]


def analyse(frame, features: list[str], categorical: list[str], y_true, y_pred, task_type: str, *, max_depth: int = 3,
            num_leaves: int = 31, min_child_samples: int = 20, filter_features: list[str] | None = None) -> dict:
    errors = errors_of(task_type, y_true, y_pred)
    tree = error_tree(frame, features, categorical, errors, max_depth=max_depth, num_leaves=num_leaves, min_child_samples=min_child_samples)
    chosen = list(filter_features or [])
    if not chosen:
        ranked = sorted(tree["surrogate_importances"].items(), key=lambda kv: -kv[1])
        chosen = [name for name, weight in ranked[:2] if weight > 0] or features[:1]
    metric = "error_rate" if task_type == "classification" else "mean_absolute_error"
    leaves = sorted((n for n in tree["nodes"] if n["leaf"]), key=lambda n: -n["error_rate"])
    cohorts = [{"node": n["id"], "description": describe(path_of(tree["nodes"], n["id"])), "size": n["size"],
                "error_rate": n["error_rate"], "error": n["error"]} for n in leaves]
    return {
        "metric": metric, "overall_error_rate": float(errors.mean()) if len(errors) else 0.0, "tree": tree["nodes"],
        "surrogate_importances": tree["surrogate_importances"], "heatmap": heatmap(frame, chosen, categorical, errors),
        "top_cohorts": cohorts, "config": {"max_depth": max_depth, "num_leaves": num_leaves, "min_child_samples": min_child_samples,
                                           "filter_features": chosen},
    }
