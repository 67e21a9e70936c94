"""Forecasting as regression on lag features, the way Azure's AutoML featurizes time series.

Each training row gets the series' target lags, a rolling mean, a period
index (the trend) and the date parts of its time; FLAML then searches
regression learners on rows in time order, validating on the latest rows. The
model keeps each series' last values so it can forecast recursively
(``model.AutoMLForecaster``).
"""

from __future__ import annotations

from workspace.errors import UserInputError

_SEASONS = {"D": 7, "B": 5, "H": 24, "h": 24, "M": 12, "MS": 12, "ME": 12, "W": 52, "Q": 4, "QS": 4, "QE": 4}


def prepare(frame, settings: dict):
    """(features, target, forecaster spec, history) from the training data, rows in time order."""
    import pandas as pd

    from workspace.local.automl.model import DATE_PARTS, calendar, _series_key

    forecast, target = settings["forecasting"], settings["target"]
    time_column, ids = forecast["time_column"], forecast["id_columns"]
    _check_columns(frame, [time_column, *ids, *forecast["unknown_features"]])
    frame = frame.drop(columns=forecast["unknown_features"]).copy()
    frame[time_column] = _times(frame[time_column], time_column)
    frame = frame.dropna(subset=[target]).sort_values([*ids, time_column], kind="stable")
    step = _step(frame, forecast, ids)
    spec = {
        "time_column": time_column, "id_columns": ids, "target": target, "origin": str(frame[time_column].min()),
        "step": str(step), "lags": forecast["target_lags"] or _default_lags(forecast, step),
        "window": forecast["rolling_window"], "horizon": forecast["horizon"],
        "known_columns": [c for c in frame.columns if c not in (target, time_column, *ids)],
        "input_columns": [c for c in frame.columns if c != target],
    }
    spec["date_parts"] = [p for p in DATE_PARTS if getattr(frame[time_column].dt, p).nunique() >= 2]
    frame = _with_lags(frame, spec)
    warmup = max([*spec["lags"], spec["window"] or 0])
    enough = frame.groupby(ids, sort=False).cumcount() >= warmup if ids else pd.Series(range(len(frame)), index=frame.index) >= warmup
    if enough.sum() >= max(20, 3 * spec["horizon"]):  # drop the warm-up rows whose lags are missing, if data allows
        frame = frame[enough]
    history = _history(frame.sort_values([*ids, time_column]), spec, _series_key, settings)
    frame = frame.sort_values([time_column, *ids], kind="stable")  # FLAML's time split validates on the latest rows
    features = calendar(frame.drop(columns=[target]), spec)
    spec["feature_columns"] = list(features.columns)
    return features, frame[target], spec, history


def _check_columns(frame, columns: list[str]) -> None:
    for column in columns:
        if column not in frame.columns:
            raise UserInputError.invalid("forecasting_settings", column, f"names no column of the training data (columns: {', '.join(map(str, frame.columns[:8]))})")


def _times(series, name: str):
    import pandas as pd

    stamps = pd.to_datetime(series, errors="coerce", format="mixed")
    if stamps.isna().any():
        bad = series[stamps.isna()].iloc[0]
        raise UserInputError.invalid(f"forecasting_settings.time_column_name ({name})", bad, "is not a date or time")
    return stamps


def _step(frame, forecast: dict, ids: list[str]):
    """The series' period: the given frequency, else the most common gap between consecutive times."""
    import pandas as pd

    if forecast.get("frequency"):
        try:
            return pd.Timedelta(pd.tseries.frequencies.to_offset(forecast["frequency"]).nanos)
        except ValueError:  # a calendar frequency (months): its typical length
            return frame.groupby(ids, sort=False)[forecast["time_column"]].diff().mode().iloc[0] if ids else frame[forecast["time_column"]].diff().mode().iloc[0]
    gaps = (frame.groupby(ids, sort=False)[forecast["time_column"]].diff() if ids else frame[forecast["time_column"]].diff()).dropna()
    if gaps.empty or gaps.mode().iloc[0] <= pd.Timedelta(0):
        raise UserInputError.invalid("forecasting_settings.time_column_name", forecast["time_column"], "needs at least two distinct times per series")
    return gaps.mode().iloc[0]


def _default_lags(forecast: dict, step) -> list[int]:
    """Azure chooses lags itself; locally: the last three periods and one season back."""
    import pandas as pd

    season = forecast.get("seasonality")
    if season is None:
        alias = pd.tseries.frequencies.to_offset(step).name if step else None
        season = _SEASONS.get(str(alias).rstrip("0123456789"), None)
    return sorted({1, 2, 3, *([season] if season and season > 3 else [])})


def _with_lags(frame, spec: dict):
    target, ids = spec["target"], spec["id_columns"]
    values = frame.groupby(ids, sort=False)[target] if ids else frame[target]
    for k in spec["lags"]:
        frame[f"lag_{k}"] = values.shift(k)
    window = spec["window"]
    if window:
        rolling = lambda s: s.shift(1).rolling(window).mean()  # noqa: E731  (the periods before each row)
        frame[f"rolling_mean_{window}"] = values.transform(rolling) if ids else rolling(values)
    return frame


def _history(frame, spec: dict, series_key, settings: dict) -> dict:
    """Each series' last values and time: what recursive forecasting starts from."""
    keep = max([*spec["lags"], spec["window"] or 0])
    groups = frame.groupby(spec["id_columns"], sort=False) if spec["id_columns"] else [((), frame)]
    history = {}
    for series, rows in groups:
        series = series if isinstance(series, tuple) else (series,)
        history[series_key(series)] = {
            "values": [float(v) for v in rows[spec["target"]].tail(keep)],
            "last_time": str(rows[spec["time_column"]].iloc[-1]),
        }
    return history
