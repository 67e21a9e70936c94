"""Model overview: overall metrics and the same metrics per cohort, with fairlearn's MetricFrame.

Feature cohorts split each feature into at most three groups (terciles for
numbers, values for categories with few of them); the score card's fairness
section compares groups of its sensitive features the same way.
"""

from __future__ import annotations

from typing import Any

CLASSIFICATION_METRICS = ("accuracy_score", "precision_score", "recall_score", "f1_score", "selection_rate")
REGRESSION_METRICS = ("mean_absolute_error", "mean_squared_error", "r2_score")
MAX_CATEGORIES = 6


def metric_functions(task_type: str, positive: Any = None) -> dict:
    """Metric name -> function(y_true, y_pred). Classification labels arrive as integer codes (see ``overview``):
    scikit-learn's metrics are a hundred times slower on text labels."""
    from fairlearn.metrics import selection_rate
    from sklearn import metrics

    if task_type == "regression":
        return {"mean_absolute_error": metrics.mean_absolute_error, "mean_squared_error": metrics.mean_squared_error,
                "r2_score": metrics.r2_score}

    def averaged(function):
        def score(y_true, y_pred):
            if positive is not None and len(set(y_true) | set(y_pred) | {positive}) <= 2:
                return function(y_true, y_pred, pos_label=positive, zero_division=0)
            return function(y_true, y_pred, average="macro", zero_division=0)
        return score

    return {
        "accuracy_score": metrics.accuracy_score, "precision_score": averaged(metrics.precision_score),
        "recall_score": averaged(metrics.recall_score), "f1_score": averaged(metrics.f1_score),
        "selection_rate": lambda t, p: selection_rate(t, p, pos_label=positive),
    }


def cohort_labels(values, categorical: bool):
    """Each row's group for one feature: its value, or which tercile it falls in."""
    import numpy as np

    if categorical or values.dtype == object or values.nunique() <= MAX_CATEGORIES:
        return values.astype(str).to_numpy()
    edges = np.unique(np.quantile(values.to_numpy(dtype=float), [0, 1 / 3, 2 / 3, 1]))
    codes = np.clip(np.searchsorted(edges, values.to_numpy(dtype=float), side="right") - 1, 0, len(edges) - 2)
    names = [f"{edges[i]:.4g}–{edges[i + 1]:.4g}" for i in range(len(edges) - 1)]
    return np.asarray([names[c] for c in codes], dtype=object)


def by_group(functions: dict, y_true, y_pred, groups) -> dict:
    import numpy as np
    from fairlearn.metrics import MetricFrame

    frame = MetricFrame(metrics=functions, y_true=np.asarray(y_true), y_pred=np.asarray(y_pred), sensitive_features=np.asarray(groups))
    counts = {str(k): int(v) for k, v in zip(*np.unique(groups, return_counts=True))}
    table = frame.by_group
    return {
        "groups": [{"group": str(g), "size": counts.get(str(g), 0), **{m: _num(table.loc[g, m]) for m in functions}} for g in table.index],
        "difference": {m: _num(v) for m, v in frame.difference().items()},
        "ratio": {m: _num(v) for m, v in frame.ratio().items()},
    }


def overview(test, features: list[str], categorical: list[str], target: str, y_pred, task_type: str, classes: list | None) -> dict:
    import numpy as np

    y_true = test[target].to_numpy()
    positive = None
    if task_type == "classification":
        from workspace.local.rai.compute.encoding import label_text

        names = sorted(set(label_text(y_true)) | set(label_text(y_pred)) | set(label_text(classes or [])))
        positive_name = str(label_text(classes[-1:])[0]) if classes else names[-1]
        code = {name: i for i, name in enumerate(names)}
        y_true = np.asarray([code[v] for v in label_text(y_true)])
        y_pred = np.asarray([code[v] for v in label_text(y_pred)])
        positive = code[positive_name]
    functions = metric_functions(task_type, positive)
    overall = {name: _num(function(y_true, y_pred)) for name, function in functions.items()}
    cohorts = {f: by_group(functions, y_true, y_pred, cohort_labels(test[f], f in categorical)) for f in features}
    return {"metrics": overall, "size": len(test), "positive_class": positive_name if positive is not None else None, "feature_cohorts": cohorts}


def _num(value: Any) -> float | None:
    import math

    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number
