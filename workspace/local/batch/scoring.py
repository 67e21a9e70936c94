"""What a batch worker runs on one mini-batch, and how its rows are written.

Two scorers, as on Azure ML:

- ``MlflowScorer`` (an MLflow model without a scoring script): reads each file
  (``.csv``, ``.parquet``, ``.pqt``) into a DataFrame, calls ``predict`` once
  per file, and writes one row per input row: ``row, prediction..., file_name``.
  A file that can't be read or scored is one failed file; the other files of
  its mini-batch still count.
- ``ScriptScorer`` (``code_configuration.scoring_script``): ``init()`` once,
  then ``run(mini_batch)`` with the list of file paths; what it returns (a
  DataFrame, or a list whose elements become rows) is appended as-is. As Azure
  documents, each returned element stands for one input processed: fewer
  elements than files count the difference as failed files.

Rows are CSV without a header (Azure's output file has none either).
"""

from __future__ import annotations

import csv
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

TABULAR = {".csv": "csv", ".parquet": "parquet", ".pqt": "parquet"}


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The exception as one line, cut at ``limit`` characters (schema errors can run to pages)."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


class MlflowScorer:
    def __init__(self, model_path: str) -> None:
        import mlflow.pyfunc

        self.model = mlflow.pyfunc.load_model(model_path)

    def score(self, files: list[str], part: Path) -> tuple[int, list[list[str]]]:
        """(rows written, [[file, error], ...] for the files that failed)."""
        frames, failed = [], []
        for path in files:
            try:
                frames.append(prediction_frame(self.model.predict(read_table(path)), Path(path).name))
            except Exception as exc:  # one bad file fails alone, as a file failure
                failed.append([Path(path).name, one_line(exc)])
        return write_frames(frames, part), failed


def read_table(path: str):
    import pandas as pd

    kind = TABULAR.get(Path(path).suffix.lower())
    if kind is None:
        raise ValueError(f"file type {Path(path).suffix.lstrip('.') or '(none)'!r} is not supported; MLflow batch scoring reads csv and parquet")
    return pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)


def prediction_frame(predictions: Any, file_name: str):
    """``row, prediction columns..., file_name``: the row is the position in the input file."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        frame = predictions.reset_index(drop=True)
    elif isinstance(predictions, pd.Series):
        frame = predictions.reset_index(drop=True).to_frame("prediction")
    else:
        values = np.asarray(predictions)
        frame = pd.DataFrame(values.reshape(len(values), -1) if values.ndim != 1 else {"prediction": values})
    frame.insert(0, "row", np.arange(len(frame)))
    frame["file_name"] = file_name
    return frame


def write_frames(frames: list, part: Path) -> int:
    import pandas as pd

    if not frames:
        part.write_text("")
        return 0
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    write_csv(frame, part)
    return len(frame)


def write_csv(frame, path: Path) -> None:
    """A DataFrame as CSV rows without a header, as pandas writes them.

    Arrow's writer is about ten times faster; it is used unquoted when no text value needs
    quotes (Arrow would quote every string). Values that need quotes, or that Arrow can't
    type (mixed Python objects), are written by pandas.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        if _needs_quotes(frame):
            raise ValueError("quoted values")
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pa_csv.write_csv(table, str(path), pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    except Exception:  # no pyarrow, quotes needed, or values it can't type: pandas writes them
        frame.to_csv(path, header=False, index=False)


def _needs_quotes(frame) -> bool:
    import pandas as pd

    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            if any(isinstance(v, str) and any(c in v for c in ',"\r\n') for v in pd.unique(column)):
                return True
    return False


class ScriptScorer:
    def __init__(self, code_dir: str, script: str) -> None:
        sys.path.insert(0, code_dir)
        spec = importlib.util.spec_from_file_location(Path(script).stem, os.path.join(code_dir, script))
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        if not callable(getattr(self.module, "run", None)):
            raise AttributeError(f"{script} has no run(mini_batch) function")
        if callable(getattr(self.module, "init", None)):
            self.module.init()

    def score(self, files: list[str], part: Path) -> tuple[int, list[list[str]]]:
        results = self.module.run(list(files))
        written = write_results(results, part)
        missing = max(0, len(files) - written)
        reason = f"run() returned {written} result(s) for {len(files)} file(s)"
        return written, [["", reason]] * missing


def write_results(results: Any, part: Path) -> int:
    """Append ``run()``'s return value: a DataFrame's rows, or one row per list element."""
    import pandas as pd

    if results is None:
        raise TypeError("run() returned None; return a list or a pandas DataFrame (one element per input processed)")
    if isinstance(results, pd.DataFrame):
        write_csv(results, part)
        return len(results)
    if isinstance(results, (str, bytes, dict)) or not hasattr(results, "__iter__"):
        raise TypeError(f"run() returned {type(results).__name__}; return a list or a pandas DataFrame")
    count = 0
    with open(part, "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for element in results:
            writer.writerow(_fields(element))
            count += 1
    return count


def _fields(element: Any) -> list:
    if isinstance(element, (str, bytes)) or not hasattr(element, "__iter__"):
        return [element]
    if isinstance(element, dict):
        return list(element.values())
    return list(element)
