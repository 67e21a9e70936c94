"""Azure ML's AutoML vocabulary: tasks, primary metrics and training algorithms, and their FLAML names.

Names are matched ignoring case and underscores, so the entity's enum values
(``AUCWeighted``), the YAML's snake case (``auc_weighted``) and the documented
names (``AUC_weighted``) all mean the same metric.
"""

from __future__ import annotations

import re
from typing import Any

from workspace.errors import NotSupportedLocallyError, UserInputError

TASKS = ("classification", "regression", "forecasting")

CLASSIFICATION_METRICS = (
    "accuracy", "AUC_weighted", "norm_macro_recall", "average_precision_score_weighted", "precision_score_weighted",
)
REGRESSION_METRICS = (
    "spearman_correlation", "normalized_root_mean_squared_error", "r2_score", "normalized_mean_absolute_error",
)
METRICS = {"classification": CLASSIFICATION_METRICS, "regression": REGRESSION_METRICS, "forecasting": REGRESSION_METRICS}
DEFAULT_METRIC = {"classification": "accuracy", "regression": "normalized_root_mean_squared_error",
                  "forecasting": "normalized_root_mean_squared_error"}
LOWER_IS_BETTER = frozenset({"normalized_root_mean_squared_error", "normalized_mean_absolute_error"})

# Azure's algorithm names -> FLAML learners. DecisionTree is a learner we add to FLAML (see trainer.py).
_SHARED = {
    "LightGBM": ("lgbm",), "RandomForest": ("rf",), "ExtremeRandomTrees": ("extra_tree",), "KNN": ("kneighbor",),
    "DecisionTree": ("dtree",), "GradientBoosting": ("histgb",), "SGD": ("sgd",),
}
ALGORITHMS = {
    "classification": {**_SHARED, "LogisticRegression": ("lrl1", "lrl2")},
    "regression": {**_SHARED, "ElasticNet": ("enet",), "LassoLars": ("lassolars",)},
    "forecasting": {**_SHARED, "ElasticNet": ("enet",), "LassoLars": ("lassolars",)},
}
# What runs when no algorithm is allowed explicitly: FLAML's own default list minus what needs xgboost or catboost.
DEFAULT_ALGORITHMS = {
    "classification": ("LightGBM", "RandomForest", "ExtremeRandomTrees", "LogisticRegression", "SGD"),
    "regression": ("LightGBM", "RandomForest", "ExtremeRandomTrees", "SGD"),
    "forecasting": ("LightGBM", "RandomForest", "ExtremeRandomTrees", "ElasticNet"),
}
_XGBOOST = "xgboost isn't installed locally (its wheels pull in CUDA); use LightGBM or GradientBoosting, or Azure ML"
_STATS = "statistical forecasters (statsmodels/prophet) aren't installed locally; use LightGBM, RandomForest or ElasticNet on lag features"
UNAVAILABLE = {
    "XGBoostClassifier": _XGBOOST, "XGBoostRegressor": _XGBOOST,
    "MultinomialNaiveBayes": "naive Bayes learners aren't part of the local search", "BernoulliNaiveBayes": "naive Bayes learners aren't part of the local search",
    "SVM": "kernel SVMs don't scale to AutoML searches locally", "LinearSVM": "LinearSVM gives no probabilities, which AUC and precision need",
    "TCNForecaster": "deep-learning forecasters need GPUs and Azure ML",
    **dict.fromkeys(("AutoArima", "Prophet", "Naive", "SeasonalNaive", "Average", "SeasonalAverage", "ExponentialSmoothing", "Arimax"), _STATS),
}


def key(name: Any) -> str:
    """'AUC_weighted', 'AUCWeighted' and 'auc_weighted' all become 'aucweighted'."""
    text = getattr(name, "value", name)
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def check_task(task: Any) -> str:
    name = key(task)
    if name in TASKS:
        return name
    raise NotSupportedLocallyError.field(
        "task", getattr(task, "value", task), f"local AutoML runs {', '.join(TASKS)}; image and text tasks need Azure ML"
    )


def check_metric(task: str, metric: Any, field: str = "primary_metric") -> str:
    """The metric's canonical Azure name; an unknown one (or one of another task) lists the valid names."""
    if metric is None:
        return DEFAULT_METRIC[task]
    for name in METRICS[task]:
        if key(name) == key(metric):
            return name
    shown = getattr(metric, "value", metric)
    raise UserInputError.invalid(field, shown, f"is not a {task} metric; use one of: {', '.join(METRICS[task])}")


def canonical_algorithm(task: str, name: Any, field: str) -> str:
    known = {key(n): n for n in [*ALGORITHMS[task], *UNAVAILABLE]}
    found = known.get(key(name))
    if found is None:
        valid = ", ".join(ALGORITHMS[task])
        raise UserInputError.invalid(field, getattr(name, "value", name), f"is not a {task} algorithm; use one of: {valid}")
    return found


def choose_algorithms(task: str, allowed: list | None, blocked: list | None) -> list[str]:
    """The Azure algorithm names to search; refuses unavailable allowed ones and a block that leaves none."""
    allowed_field, blocked_field = "training.allowed_training_algorithms", "training.blocked_training_algorithms"
    blocked_names = {canonical_algorithm(task, b, blocked_field) for b in blocked or []}
    if allowed:
        chosen = []
        for item in allowed:
            name = canonical_algorithm(task, item, allowed_field)
            if name in UNAVAILABLE:
                raise NotSupportedLocallyError.field(allowed_field, name, UNAVAILABLE[name])
            if name not in blocked_names and name not in chosen:
                chosen.append(name)
    else:
        chosen = [n for n in DEFAULT_ALGORITHMS[task] if n not in blocked_names]
        if not chosen:  # the defaults are all blocked: fall back to every other local algorithm
            chosen = [n for n in ALGORITHMS[task] if n not in blocked_names]
    if not chosen:
        field = blocked_field if blocked_names else allowed_field
        raise UserInputError.invalid(
            field, sorted(blocked_names), f"leaves no algorithm to try; local {task} algorithms are {', '.join(ALGORITHMS[task])}"
        )
    return chosen


def flaml_learners(task: str, algorithms: list[str]) -> list[str]:
    return [learner for name in algorithms for learner in ALGORITHMS[task][name]]


def algorithm_of(task: str, learner: str) -> str:
    """The Azure name of a FLAML learner, for child runs and the leaderboard."""
    return next((name for name, learners in ALGORITHMS[task].items() if learner in learners), learner)
