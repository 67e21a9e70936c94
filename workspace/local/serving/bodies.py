"""Request bodies → rows in the model's column order, checked against its signature.

Accepted: Azure's ``{"input_data": {"columns", "index", "data"}}`` (or a list
of rows), and MLflow's ``dataframe_split``, ``dataframe_records``,
``instances`` and ``inputs``. The numeric path parses straight into one numpy
matrix; a wrong column, a missing one or a value of the wrong type is a
``BodyError`` naming that column, which the worker answers with 400.
"""

from __future__ import annotations

import json
from typing import Any

MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
NUMERIC_TYPES = ("double", "float", "long", "integer")
_INTEGRAL = ("long", "integer")


class BodyError(Exception):
    """The request is wrong; the message is one line that names what is wrong."""


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(f"the body is not valid JSON: {str(exc).splitlines()[0]}") from None


def extract_rows(payload: Any) -> tuple[list[str] | None, list, str]:
    """(columns or None, rows, style); style ``azure`` answers a bare list, ``mlflow`` {"predictions": ...}."""
    if not isinstance(payload, dict):
        raise BodyError(f"the body is a JSON {type(payload).__name__}; send an object with input_data or one of {', '.join(MLFLOW_KEYS)}")
    if "input_data" in payload:
        return (*_split_or_rows(payload["input_data"], "input_data"), "azure")
    for key in MLFLOW_KEYS:
        if key in payload:
            value = payload[key]
            if key == "inputs" and isinstance(value, dict):
                return (*_columnar(value), "mlflow")
            return (*_split_or_rows(value, key), "mlflow")
    raise BodyError(f"the body has none of input_data, {', '.join(MLFLOW_KEYS)} (it has: {', '.join(map(str, payload)) or 'nothing'})")


def _split_or_rows(value: Any, key: str) -> tuple[list[str] | None, list]:
    if isinstance(value, dict):
        if not isinstance(value.get("data"), list):
            raise BodyError(f"{key}.data: a list of rows is required")
        columns = value.get("columns")
        if columns is not None and not isinstance(columns, list):
            raise BodyError(f"{key}.columns: {columns!r} is not a list of column names")
        return columns, value["data"]
    if isinstance(value, list):
        return None, value
    raise BodyError(f"{key}: {type(value).__name__} is neither a split table nor a list of rows")


def _columnar(value: dict) -> tuple[list[str], list]:
    columns = list(value)
    lengths = {len(v) if isinstance(v, list) else 1 for v in value.values()}
    if len(lengths) > 1:
        raise BodyError("inputs: the columns have different lengths")
    values = [v if isinstance(v, list) else [v] for v in value.values()]
    return columns, [list(row) for row in zip(*values)]


def to_matrix(columns: list[str] | None, rows: list, signature: list[tuple[str, str]]):
    """A float64 matrix with the signature's columns in order."""
    import numpy as np

    names = [name for name, _ in signature]
    if not rows:
        raise BodyError("the body has no rows")
    if isinstance(rows[0], dict):
        rows = _records_to_rows(rows, names)
    elif columns is not None:
        rows = _reorder(columns, rows, names)
    try:
        matrix = np.asarray(rows)
    except ValueError:  # ragged rows
        _explain(rows, signature)
    if matrix.ndim != 2 or matrix.shape[1] != len(names) or matrix.dtype.kind not in "iuf":
        _explain(rows, signature)
    matrix = matrix.astype(np.float64, copy=False)
    for j, (name, kind) in enumerate(signature):
        if kind in _INTEGRAL and not np.all(np.mod(matrix[:, j], 1) == 0):
            bad = float(matrix[np.mod(matrix[:, j], 1) != 0, j][0])
            raise BodyError(f"column {name!r}: {bad!r} is not a {kind} (an integer is required)")
    return matrix


def _records_to_rows(records: list, names: list[str]) -> list[list]:
    wanted = set(names)
    rows = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise BodyError(f"row {i}: {type(record).__name__} is not a record like {{column: value}}")
        if record.keys() != wanted:
            _check_columns(list(record), names)
        rows.append([record[name] for name in names])
    return rows


def _reorder(columns: list, rows: list, names: list[str]) -> list:
    if columns == names:
        return rows
    _check_columns(columns, names)
    order = [columns.index(name) for name in names]
    try:
        return [[row[i] for i in order] for row in rows]
    except (IndexError, TypeError):
        raise BodyError(f"each row needs {len(columns)} values, one per column") from None


def _check_columns(given: list, names: list[str]) -> None:
    for name in given:
        if name not in names:
            raise BodyError(f"column {name!r} is not in the model signature; the model takes {', '.join(names)}")
    for name in names:
        if name not in given:
            raise BodyError(f"column {name!r} is missing; the model takes {', '.join(names)}")


def _explain(rows: list, signature: list[tuple[str, str]]) -> None:
    """Find the first row or value that made the matrix not numeric, and say which column it is."""
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) != len(signature):
            size = len(row) if isinstance(row, (list, tuple)) else 1
            raise BodyError(f"row {i} has {size} values; the model takes {len(signature)} ({', '.join(n for n, _ in signature)})")
        for value, (name, kind) in zip(row, signature):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BodyError(f"column {name!r}: {value!r} is not a {kind}")
    raise BodyError("the rows are not a numeric table")


def signature_columns(model_dir) -> list[tuple[str, str]] | None:
    """[(column, type)] from the MLmodel signature when every input is a numeric column, else None."""
    import yaml
    from pathlib import Path

    meta = yaml.safe_load((Path(model_dir) / "MLmodel").read_text())
    inputs = (meta.get("signature") or {}).get("inputs")
    if not inputs:
        return None
    spec = json.loads(inputs)
    if not all(c.get("type") in NUMERIC_TYPES and c.get("name") for c in spec):
        return None
    return [(c["name"], c["type"]) for c in spec]
