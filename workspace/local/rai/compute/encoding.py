"""Features as numbers for surrogate trees: numeric columns as they are, categoricals as ordinal codes."""

from __future__ import annotations


def encode(frame, features: list[str], categorical: list[str], known: dict | None = None):
    """(numeric matrix, {categorical feature: list of categories in code order})."""
    import numpy as np

    columns, categories = [], {}
    for name in features:
        values = frame[name]
        if name in categorical or values.dtype == object or str(values.dtype) in ("string", "category", "str"):
            cats = (known or {}).get(name) or sorted(values.astype(str).unique())
            categories[name] = cats
            lookup = {c: i for i, c in enumerate(cats)}
            columns.append(values.astype(str).map(lookup).fillna(-1).to_numpy(dtype=float))
        else:
            columns.append(values.to_numpy(dtype=float))
    return np.column_stack(columns) if columns else np.empty((len(frame), 0)), categories


def label_text(values):
    """Class labels as comparable text: True, 1 and 1.0 are all "1" (mltable reads 0/1 columns as booleans)."""
    import numpy as np

    array = np.asarray(values).ravel()
    if array.dtype == bool:
        return array.astype(int).astype(str).astype(object)
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(str).astype(object)
    if np.issubdtype(array.dtype, np.floating) and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.int64).astype(str).astype(object)

    def one(value) -> str:
        if isinstance(value, (bool, np.bool_)):
            return str(int(value))
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value))
        return str(value)

    return np.asarray([one(v) for v in array.astype(object)], dtype=object)
