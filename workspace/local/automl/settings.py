"""An azure-ai-ml AutoML job entity -> the plain settings the local trainer follows (JSON, stored on the job).

Every field is either applied, refused with a one-line error naming it, or
stored with a warning that the job log and properties show: a user's Azure
settings are never silently dropped.
"""

from __future__ import annotations

from typing import Any

from workspace.errors import NotSupportedLocallyError, UserInputError
from workspace.local.automl.names import check_metric, check_task, choose_algorithms, flaml_learners, key

DEFAULT_TIMEOUT_MINUTES = 360  # Azure's experiment timeout when none is given (6 hours)
DEFAULT_MAX_TRIALS = 1000
COLUMN_PURPOSES = ("Numeric", "Categorical", "DateTime", "Ignore")
IMPUTE_STRATEGIES = ("mean", "median", "most_frequent", "constant")


def value(x: Any) -> Any:
    return getattr(x, "value", x)


def translate(job: Any) -> dict:
    """The trainer's settings for ``job``; raises on what can't run locally, before anything is queued."""
    task = check_task(getattr(job, "task_type", None) or job._to_dict().get("task"))
    target = getattr(job, "target_column_name", None)
    if not target:
        raise UserInputError.missing("target_column_name", "the column AutoML learns to predict")
    warnings: list[str] = []
    settings = {
        "task": task, "target": str(target), "primary_metric": check_metric(task, job.primary_metric),
        "validation": _validation(job), "test_data_size": getattr(job, "test_data_size", None),
        "weight_column": getattr(job, "weight_column_name", None),
        "positive_label": getattr(job, "positive_label", None),
        "limits": _limits(job.limits, warnings),
        "featurization": _featurization(job.featurization, warnings),
        "warnings": warnings,
    }
    algorithms = _algorithms(task, job.training, warnings)
    settings.update(algorithms=algorithms, learners=flaml_learners(task, algorithms))
    if task == "forecasting":
        settings["forecasting"] = _forecasting(job.forecasting_settings, warnings)
    return settings


def _validation(job: Any) -> dict:
    folds, size = getattr(job, "n_cross_validations", None), getattr(job, "validation_data_size", None)
    if getattr(job, "cv_split_column_names", None):
        raise NotSupportedLocallyError.field("cv_split_column_names", job.cv_split_column_names, "use n_cross_validations or validation_data")
    folds = None if value(folds) in (None, "auto", "Auto") else int(value(folds))
    if folds is not None and folds < 2:
        raise UserInputError.invalid("n_cross_validations", folds, "needs at least 2 folds")
    if size is not None and not 0 < float(size) < 1:
        raise UserInputError.invalid("validation_data_size", size, "is a fraction of the training rows, between 0 and 1")
    if job.validation_data is not None and (folds or size):
        field = "n_cross_validations" if folds else "validation_data_size"
        raise UserInputError.invalid(field, folds or size, "can't be combined with validation_data; give one way to validate")
    if folds and size:
        raise UserInputError.invalid("validation_data_size", size, "can't be combined with n_cross_validations")
    return {"n_cross_validations": folds, "validation_data_size": float(size) if size else None}


def _limits(limits: Any, warnings: list[str]) -> dict:
    get = (lambda name: getattr(limits, name, None)) if limits is not None else (lambda name: None)
    if get("exit_score") is not None:
        raise NotSupportedLocallyError.field("limits.exit_score", get("exit_score"), "FLAML stops on time, trial count or convergence; use timeout_minutes or max_trials")
    result = {
        "timeout_minutes": get("timeout_minutes") or DEFAULT_TIMEOUT_MINUTES,
        "trial_timeout_minutes": get("trial_timeout_minutes"),
        "max_trials": get("max_trials") or DEFAULT_MAX_TRIALS,
        "max_concurrent_trials": get("max_concurrent_trials") or 1,
        "max_cores_per_trial": get("max_cores_per_trial") or -1,
        "enable_early_termination": True if get("enable_early_termination") is None else bool(get("enable_early_termination")),
    }
    for field in ("timeout_minutes", "max_trials", "max_concurrent_trials"):
        if int(result[field]) < 1:
            raise UserInputError.invalid(f"limits.{field}", result[field], "must be at least 1")
    if result["max_concurrent_trials"] > 1:
        warnings.append(f"limits.max_concurrent_trials={result['max_concurrent_trials']}: trials run one after another "
                        "locally (parallel FLAML trials need Ray); each trial may use every core")
    if get("max_nodes"):
        warnings.append(f"limits.max_nodes={get('max_nodes')}: the job runs on this machine, in one slot of its compute")
    return result


def _algorithms(task: str, training: Any, warnings: list[str]) -> list[str]:
    allowed = getattr(training, "allowed_training_algorithms", None) if training else None
    blocked = getattr(training, "blocked_training_algorithms", None) if training else None
    chosen = choose_algorithms(task, [value(a) for a in allowed or []], [value(b) for b in blocked or []])
    if training is not None:
        if getattr(training, "enable_dnn_training", None):
            raise NotSupportedLocallyError.field("training.enable_dnn_training", True, "deep-learning models need Azure ML")
        for flag in ("enable_stack_ensemble", "enable_vote_ensemble", "enable_onnx_compatible_models", "enable_model_explainability"):
            if getattr(training, flag, None):
                warnings.append(f"training.{flag}=True: not done locally; the best single model is returned")
    return chosen


def _featurization(featurization: Any, warnings: list[str]) -> dict:
    if featurization is None:
        return {"mode": "auto", "blocked_transformers": [], "column_purposes": {}, "imputers": {}}
    mode = key(getattr(featurization, "mode", None) or "auto")
    if mode not in ("auto", "off", "custom"):
        raise UserInputError.invalid("featurization.mode", featurization.mode, "is not auto, custom or off")
    purposes = {}
    for column, purpose in (getattr(featurization, "column_name_and_types", None) or {}).items():
        purposes[str(column)] = _purpose(column, purpose)
    blocked = [str(value(b)) for b in getattr(featurization, "blocked_transformers", None) or []]
    if getattr(featurization, "enable_dnn_featurization", None):
        warnings.append("featurization.enable_dnn_featurization=True: not done locally")
    return {"mode": mode, "blocked_transformers": blocked, "column_purposes": purposes,
            "imputers": _imputers(getattr(featurization, "transformer_params", None) or {})}


def _purpose(column: str, purpose: Any) -> str:
    text = str(value(purpose))
    for name in COLUMN_PURPOSES:
        if key(name) == key(text):
            return name
    if key(text) in ("text", "categoricalhash"):
        raise NotSupportedLocallyError.field(f"featurization.column_name_and_types.{column}", text,
                                             "text features need Azure ML; use Categorical or Ignore")
    raise UserInputError.invalid(f"featurization.column_name_and_types.{column}", text, f"is not one of {', '.join(COLUMN_PURPOSES)}")


def _imputers(params: dict) -> dict:
    imputers = {}
    for transformer, settings in params.items():
        if key(transformer) != "imputer":
            raise NotSupportedLocallyError.field("featurization.transformer_params", transformer, "local featurization takes imputer settings only")
        for entry in settings or []:
            strategy = str((entry.parameters or {}).get("strategy", "mean"))
            if strategy not in IMPUTE_STRATEGIES:
                raise UserInputError.invalid("featurization.transformer_params.imputer.strategy", strategy, f"is not one of {', '.join(IMPUTE_STRATEGIES)}")
            for column in entry.fields or []:
                imputers[str(column)] = {"strategy": strategy, "fill_value": (entry.parameters or {}).get("fill_value")}
    return imputers


def _forecasting(forecast: Any, warnings: list[str]) -> dict:
    get = (lambda name: getattr(forecast, name, None)) if forecast is not None else (lambda name: None)
    if not get("time_column_name"):
        raise UserInputError.missing("forecasting_settings.time_column_name", "the column holding each row's date or time")
    horizon = value(get("forecast_horizon")) or 1
    if str(horizon).lower() == "auto":
        warnings.append("forecasting_settings.forecast_horizon='auto': a horizon of 1 period is used locally")
        horizon = 1
    if int(horizon) < 1:
        raise UserInputError.invalid("forecasting_settings.forecast_horizon", horizon, "must be at least 1")
    for field in ("country_or_region_for_holidays", "use_stl", "target_aggregate_function", "feature_lags", "short_series_handling_config"):
        if get(field) not in (None, "none", "None", "auto", "Auto"):
            warnings.append(f"forecasting_settings.{field}={value(get(field))!r}: not applied locally")
    return {
        "time_column": str(get("time_column_name")), "horizon": int(horizon),
        "id_columns": [str(c) for c in get("time_series_id_column_names") or []],
        "frequency": value(get("frequency")), "target_lags": _lags(get("target_lags")),
        "rolling_window": _window(get("target_rolling_window_size")), "seasonality": _seasonality(get("seasonality")),
        "unknown_features": [str(c) for c in get("features_unknown_at_forecast_time") or []],
    }


def _lags(lags: Any) -> list[int] | None:
    lags = value(lags)
    if lags is None or str(lags).lower() == "auto":
        return None
    items = lags if isinstance(lags, (list, tuple)) else [lags]
    result = sorted({int(value(x)) for x in items})
    if not result or result[0] < 1:
        raise UserInputError.invalid("forecasting_settings.target_lags", lags, "are positive numbers of periods")
    return result


def _window(window: Any) -> int | None:
    window = value(window)
    if window is None or str(window).lower() == "auto":
        return None
    if int(window) < 2:
        raise UserInputError.invalid("forecasting_settings.target_rolling_window_size", window, "must be at least 2 periods")
    return int(window)


def _seasonality(seasonality: Any) -> int | None:
    seasonality = value(seasonality)
    return None if seasonality is None or str(seasonality).lower() == "auto" else int(seasonality)
