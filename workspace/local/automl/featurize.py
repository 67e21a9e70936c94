"""Featurization as Azure's AutoML does it, built from scikit-learn parts only.

``plan_columns`` looks at the training data once and decides, per column:
numbers are imputed (mean unless told otherwise), low-cardinality categories
are one-hot encoded and others label (ordinal) encoded, dates become date parts,
and columns with no variance, all values missing, high cardinality or the look
of an ID are dropped. ``build`` turns the plan into a ``ColumnTransformer``
that becomes the first step of the logged model, so serving featurizes alike.

The output is all-numeric with no constant column and no missing value, so
FLAML's own data transformer changes nothing and the learner FLAML trained
fits behind this featurizer unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workspace.errors import UserInputError

ONE_HOT_MAX = 15        # categories up to this count are one-hot encoded, more are label encoded
HIGH_CARDINALITY = 0.5  # a text column with more distinct values than this share of rows is dropped
ID_LIKE = 0.95          # an integer or text column this unique, looking like an ID, is dropped
MIN_ROWS_FOR_RATIOS = 50
_ID_NAME = re.compile(r"(^|[^a-z])id$|^id[^a-z]|uuid|guid", re.IGNORECASE)
_NAME_CASE_ID = re.compile(r"[a-z](Id|ID)$")


@dataclass
class Column:
    name: str
    detected: str                  # Numeric, Categorical, DateTime, Ignore
    action: str                    # numeric, onehot, ordinal, dateparts, drop
    reason: str = ""
    imputer: dict = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)


def plan_columns(frame, featurization: dict, exclude: set[str]) -> list[Column]:
    """One decision per feature column of ``frame`` (the target and ``exclude`` are left out)."""
    mode = featurization["mode"]
    purposes, imputers = featurization["column_purposes"], featurization["imputers"]
    unknown = [c for c in [*purposes, *imputers] if c not in frame.columns]
    if unknown:
        raise UserInputError.invalid("featurization", unknown[0], f"names no column of the training data (columns: {_few(frame.columns)})")
    plan = []
    for name in (c for c in frame.columns if c not in exclude):
        column = _off(frame[name]) if mode == "off" else _auto(frame[name], purposes.get(name), featurization)
        if column.action == "numeric" and name in imputers:
            column.imputer = imputers[name]
        plan.append(column)
    if not any(c.action != "drop" for c in plan):
        raise UserInputError.invalid("training_data", _few(frame.columns), "has no usable feature column once the target, constant and ID-like columns are left out")
    return plan


def _few(columns, n: int = 8) -> str:
    names = [str(c) for c in columns]
    return ", ".join(names[:n]) + (", ..." if len(names) > n else "")


def _off(series) -> Column:
    import pandas as pd

    name = str(series.name)
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise UserInputError.invalid("featurization.mode", "off", f"needs numeric columns, but {name!r} holds {series.dtype} values; use auto")
    if series.nunique(dropna=True) < 2:
        return Column(name, "Numeric", "drop", "no variance")  # FLAML would drop it anyway
    return Column(name, "Numeric", "numeric", imputer={"strategy": "median"})  # what FLAML itself would impute


def _auto(series, purpose: str | None, featurization: dict) -> Column:
    import pandas as pd

    name, rows = str(series.name), len(series)
    if purpose == "Ignore":
        return Column(name, "Ignore", "drop", "column_name_and_types says Ignore")
    if series.notna().sum() == 0:
        return Column(name, purpose or "Ignore", "drop", "all values missing")
    distinct = series.nunique(dropna=True)
    if distinct < 2:
        return Column(name, purpose or "Ignore", "drop", "no variance")
    if purpose == "DateTime" or (purpose is None and _looks_like_dates(series)):
        return _dates(series)
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if purpose == "Numeric" or (purpose is None and numeric):
        if purpose is None and _id_like(series, distinct, rows):
            return Column(name, "Ignore", "drop", "looks like an ID (a unique integer per row)")
        return Column(name, "Numeric", "numeric", imputer={"strategy": "mean"})
    if purpose is None and rows >= MIN_ROWS_FOR_RATIOS:
        if distinct >= ID_LIKE * series.notna().sum():
            return Column(name, "Ignore", "drop", "looks like an ID, hash or GUID (unique per row)")
        if distinct > HIGH_CARDINALITY * series.notna().sum():
            return Column(name, "Ignore", "drop", f"high cardinality ({distinct} distinct values)")
    blocked = {b.lower() for b in featurization["blocked_transformers"]}
    one_hot = distinct <= ONE_HOT_MAX and "onehotencoder" not in blocked or "labelencoder" in blocked
    return Column(name, "Categorical", "onehot" if one_hot else "ordinal")


def _looks_like_dates(series) -> bool:
    import warnings

    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return False
    sample = series.dropna().astype(str).head(200)
    if sample.str.fullmatch(r"[-+]?\d+(\.\d+)?").all():
        return False  # numbers written as text are not dates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return parsed.notna().mean() >= 0.95


def _dates(series) -> Column:
    import pandas as pd

    from workspace.local.automl.model import DATE_PARTS

    stamps = pd.to_datetime(series, errors="coerce", format="mixed")
    parts = [p for p in DATE_PARTS if getattr(stamps.dt, p).nunique(dropna=True) >= 2]  # a constant part says nothing
    if not parts:
        return Column(str(series.name), "DateTime", "drop", "no variance in any date part")
    return Column(str(series.name), "DateTime", "dateparts", parts=parts)


def _id_like(series, distinct: int, rows: int) -> bool:
    import pandas as pd

    if not pd.api.types.is_integer_dtype(series) or rows < MIN_ROWS_FOR_RATIOS or distinct < ID_LIKE * rows:
        return False
    name = str(series.name)  # a unique measurement is no ID: the name has to say so too
    return bool(_ID_NAME.search(name) or _NAME_CASE_ID.search(name))


def build(plan: list[Column]):
    """The plan as an unfitted scikit-learn ``ColumnTransformer`` with pandas output."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder

    from workspace.local.automl.model import date_part_names, date_parts

    steps = []
    for column in plan:
        if column.action == "numeric":
            steps.append((f"num_{column.name}", _imputer(column.imputer), [column.name]))
        elif column.action == "onehot":
            encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            steps.append((f"onehot_{column.name}", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), [column.name]))
        elif column.action == "ordinal":
            encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
            steps.append((f"label_{column.name}", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), [column.name]))
        elif column.action == "dateparts":
            parts = FunctionTransformer(date_parts, kw_args={"parts": {column.name: column.parts}}, feature_names_out=date_part_names)
            steps.append((f"date_{column.name}", make_pipeline(parts, SimpleImputer(strategy="most_frequent")), [column.name]))
    transformer = ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)
    return transformer.set_output(transform="pandas")


def _imputer(settings: dict):
    from sklearn.impute import SimpleImputer

    if settings.get("strategy") == "constant":
        return SimpleImputer(strategy="constant", fill_value=settings.get("fill_value") or 0)
    return SimpleImputer(strategy=settings.get("strategy") or "mean", keep_empty_features=True)


def summary(plan: list[Column], fitted) -> list[dict]:
    """Azure's featurization summary: one entry per raw column, with what became of it."""
    produced: dict[str, int] = {}
    if fitted is not None:
        for name, _, columns in fitted.transformers_:
            if name != "remainder":
                produced[columns[0]] = len(fitted.named_transformers_[name].get_feature_names_out())
    return [{
        "RawFeatureName": c.name, "TypeDetected": c.detected, "Dropped": "Yes" if c.action == "drop" else "No",
        "EngineeredFeatureCount": produced.get(c.name, 0), "Transformations": _transformations(c),
    } for c in plan]


def _transformations(column: Column) -> list[str]:
    if column.action == "drop":
        return [f"Dropped: {column.reason}"]
    impute = f"ImputationMarker({column.imputer.get('strategy', 'mean')})" if column.action == "numeric" else "Imputer(most_frequent)"
    encode = {"numeric": [], "onehot": ["OneHotEncoder"], "ordinal": ["LabelEncoder"],
              "dateparts": [f"DateTimeTransformer({', '.join(column.parts)})"]}[column.action]
    return [impute, *encode]
