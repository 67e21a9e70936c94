"""What every step entry point shares: reading tables, argument parsing, and one-line failures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from workspace.errors import AmlPilotError, UserInputError


def read_table(path: str | Path, field: str):
    """An MLTable folder (with the mltable package), or a folder/file of csv or parquet."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise UserInputError.missing_path(field, path)
    if path.is_dir() and (path / "MLTable").is_file():
        import mltable

        return mltable.load(str(path)).to_pandas_dataframe()
    files = sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.suffix in (".csv", ".parquet"))
    if not files:
        raise UserInputError.invalid(field, str(path), "holds no MLTable, .csv or .parquet file")
    return pd.concat([pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f) for f in files], ignore_index=True)


def parser(description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(description=description, allow_abbrev=False)


def flag(value: str) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def run(main: Callable[[list[str] | None], None]) -> None:
    """Run a step; a user error is its last log line (the job's error) and exit code 2."""
    import logging
    import warnings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    try:
        main(None)
    except AmlPilotError as exc:
        print(f"error: {exc.message}", file=sys.stderr, flush=True)
        sys.exit(exc.exit_code)


def constructor_input(path: str):
    from workspace.local.rai.folder import load

    return load(Path(path))
