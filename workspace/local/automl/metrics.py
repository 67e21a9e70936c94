"""Azure ML's AutoML metrics, computed the way Azure documents them, and FLAML's objective built from them.

FLAML minimises a loss; every trial is scored with the whole metric set of
its task (so each MLflow child run carries them all) and the loss is the
primary metric turned around when higher is better.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from workspace.local.automl.names import LOWER_IS_BETTER


def loss_of(metric: str, value: float) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.inf
    return value if metric in LOWER_IS_BETTER else 1.0 - value


def value_of(metric: str, loss: float) -> float:
    return loss if metric in LOWER_IS_BETTER else 1.0 - loss


def classification_scores(y_true, proba, n_classes: int) -> dict[str, float]:
    """Azure's classification metrics from class probabilities; ``y_true`` holds class indices 0..n-1."""
    import numpy as np
    from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

    y_true = np.asarray(y_true).astype(int)
    proba = np.asarray(proba, dtype=float)
    predicted = proba.argmax(axis=1)
    labels = list(range(n_classes))
    onehot = np.eye(n_classes)[y_true]
    macro_recall = recall_score(y_true, predicted, labels=labels, average="macro", zero_division=0)
    chance = 1.0 / n_classes  # what random guessing scores: norm_macro_recall rescales it to 0
    scores = {
        "accuracy": float((predicted == y_true).mean()),
        "norm_macro_recall": max(0.0, (macro_recall - chance) / (1.0 - chance)),
        "precision_score_weighted": float(precision_score(y_true, predicted, labels=labels, average="weighted", zero_division=0)),
        "AUC_weighted": math.nan, "average_precision_score_weighted": math.nan,
    }
    present = onehot.sum(axis=0) > 0
    if present.sum() >= 2:  # AUC needs both positives and negatives of some class
        weights = onehot[:, present].sum(axis=0)
        aucs = [roc_auc_score(onehot[:, k], proba[:, k]) for k in np.flatnonzero(present)]
        scores["AUC_weighted"] = float(np.average(aucs, weights=weights))
        scores["average_precision_score_weighted"] = float(
            average_precision_score(onehot[:, present], proba[:, present], average="weighted"))
    return scores


def regression_scores(y_true, y_pred, y_range: float) -> dict[str, float]:
    """Azure's regression metrics; the normalised errors divide by the target's range in the training data."""
    import numpy as np
    from scipy.stats import spearmanr

    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    errors = y_pred - y_true
    rmse, mae = float(np.sqrt(np.mean(errors ** 2))), float(np.mean(np.abs(errors)))
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    scale = y_range if y_range > 0 else 1.0
    rho = spearmanr(y_true, y_pred).statistic if len(y_true) > 1 else math.nan
    return {
        "spearman_correlation": float(rho) if rho == rho else 0.0,  # a constant prediction has no rank order
        "normalized_root_mean_squared_error": rmse / scale,
        "r2_score": 1.0 - float(np.sum(errors ** 2)) / total if total > 0 else 0.0,
        "normalized_mean_absolute_error": mae / scale,
        "root_mean_squared_error": rmse,
        "mean_absolute_error": mae,
    }


def score(task: str, y_true, model_output, *, n_classes: int = 0, y_range: float = 1.0) -> dict[str, float]:
    """Probabilities (classification) or predictions (regression, forecasting) -> Azure's metrics."""
    if task == "classification":
        return classification_scores(y_true, model_output, n_classes)
    return regression_scores(y_true, model_output, y_range)


def flaml_objective(task: str, primary: str, *, n_classes: int = 0, y_range: float = 1.0) -> Callable[..., tuple[float, dict]]:
    """A FLAML custom metric: (loss to minimise, every Azure metric of the trial)."""

    def objective(X_val, y_val, estimator, labels, X_train, y_train, *_: Any, **__: Any) -> tuple[float, dict]:
        if task == "classification":
            output = _full_proba(estimator.predict_proba(X_val), getattr(estimator, "classes_", None), n_classes)
        else:
            output = estimator.predict(X_val)
        scores = score(task, y_val, output, n_classes=n_classes, y_range=y_range)
        return loss_of(primary, scores[primary]), scores

    return objective


def _full_proba(proba, classes, n_classes: int):
    """A fold whose training part lacked a rare class gives fewer columns: put them back in place."""
    import numpy as np

    proba = np.asarray(proba, dtype=float)
    if proba.shape[1] == n_classes or classes is None:
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, np.asarray(classes).astype(int)] = proba
    return full
