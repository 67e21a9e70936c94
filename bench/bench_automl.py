"""AutoML through a local job vs FLAML called directly: same data, same budget, same run.

    .venv/bin/python bench/bench_automl.py --repeats 3 --minutes 1

Each repeat runs both, one after the other (alternating which goes first, so
neither always gets the cooler machine): our AutoML job (submitted through
``client.jobs``, queued by the control plane, featurized, searched by FLAML,
best model exported and logged to MLflow) and ``flaml.AutoML.fit`` on the raw
training frame with the same time budget, learners, folds, metric and seed.
Both models are scored on the same held-out 20% of ../shared/data/diabetes.

Score ratio = our held-out accuracy / FLAML's. Overhead = our wall time
(create_or_update -> Completed) / FLAML's (fit -> done) - 1. Medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "diabetes" / "diabetes.csv"
LEARNERS = ["lgbm", "rf", "extra_tree", "lrl1", "sgd"]  # the local default for classification (names.DEFAULT_ALGORITHMS)
MLTABLE = "paths:\n  - file: ./train.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n      encoding: 'utf8'\n"


def split():
    import pandas as pd
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(DATA)
    return train_test_split(frame, test_size=0.2, random_state=7, stratify=frame["Diabetic"])


def workspace(folder: Path, train):
    """A workspace with the training split registered and its control plane and MLflow store up (a user's is)."""
    from azure.ai.ml.entities import Data

    from workspace.local import LocalMLClient, mlflow_store
    from workspace.local.controlplane import ensure_controlplane

    data = folder / "train"
    data.mkdir(parents=True)
    train.to_csv(data / "train.csv", index=False)
    (data / "MLTable").write_text(MLTABLE)
    client = LocalMLClient(folder / "ws", user="bench", secrets_backend="file")
    client.data.create_or_update(Data(name="diabetes-train", path=str(data), type="mltable"))
    mlflow_store.ensure_store(client._ctx)
    ensure_controlplane(client.root)
    return client


def ours(client, held_out, minutes: int) -> dict:
    from azure.ai.ml import Input, automl

    from workspace.local import mlflow_store

    job = automl.classification(training_data=Input(type="mltable", path="azureml:diabetes-train@latest"),
                                target_column_name="Diabetic", primary_metric="accuracy", experiment_name="bench")
    job.set_limits(timeout_minutes=minutes)
    from workspace.local.controlplane import state

    started = time.perf_counter()
    name = client.jobs.create_or_update(job).name
    # Poll the job's row, not client.jobs.get: building the entity costs ~30 ms of CPU the job itself should get.
    while (status := state.get_job(client._ctx.store, name).status) not in state.TERMINAL:
        time.sleep(0.1)
    wall = time.perf_counter() - started
    if status != "Completed":
        raise SystemExit(f"our AutoML job {name} ended {status}; see {client.root}/jobs/{name}/user_logs/std_log.txt")
    import mlflow.artifacts
    import mlflow.pyfunc

    run_id = client.jobs.get(name).properties["mlflow.runId"]
    local = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{run_id}/best_model", tracking_uri=mlflow_store.tracking_uri(client._ctx))
    model = mlflow.pyfunc.load_model(local)
    predicted = [int(p) for p in model.predict(held_out.drop(columns=["Diabetic"]))]
    trials = int(client.jobs.get(name).properties["azureml.automl.trials"])
    return {"wall": wall, "accuracy": _accuracy(predicted, held_out), "trials": trials}


def direct(train, held_out, minutes: int) -> dict:
    from workspace.local.automl.trainer import SEED, load_automl

    AutoML = load_automl()
    X, y = train.drop(columns=["Diabetic"]), train["Diabetic"]
    automl = AutoML()
    log = tempfile.NamedTemporaryFile(suffix=".log", delete=False).name
    started = time.perf_counter()
    automl.fit(X_train=X, y_train=y, task="classification", metric="accuracy", time_budget=minutes * 60, estimator_list=LEARNERS,
               eval_method="cv", n_splits=3, seed=SEED, verbose=0, mlflow_logging=False, log_file_name=log, log_type="all")
    wall = time.perf_counter() - started
    trials = sum(1 for line in open(log) if '"learner"' in line)
    os.unlink(log)
    return {"wall": wall, "accuracy": _accuracy([int(p) for p in automl.predict(held_out.drop(columns=["Diabetic"]))], held_out), "trials": trials}


def _accuracy(predicted, held_out) -> float:
    truth = held_out["Diabetic"].astype(int).tolist()
    return sum(p == t for p, t in zip(predicted, truth)) / len(truth)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    import flaml
    import lightgbm
    import sklearn

    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release().split('-')[0]}, "
            f"FLAML {flaml.__version__}, LightGBM {lightgbm.__version__}, scikit-learn {sklearn.__version__}; load average {load:.1f} at start")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--minutes", type=int, default=1, help="AutoML timeout_minutes = FLAML time_budget / 60")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from workspace.local.controlplane import stop_controlplane

    train, held_out = split()
    header = machine()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-automl-") as tmp:
        client = workspace(Path(tmp), train)
        try:
            for repeat in range(args.repeats):
                order = (("ours", "flaml") if repeat % 2 == 0 else ("flaml", "ours"))
                result = {}
                for which in order:
                    result[which] = ours(client, held_out, args.minutes) if which == "ours" else direct(train, held_out, args.minutes)
                result["ratio"] = result["ours"]["accuracy"] / result["flaml"]["accuracy"]
                result["overhead"] = result["ours"]["wall"] / result["flaml"]["wall"] - 1
                rows.append(result)
                print(f"repeat {repeat + 1}: ours {result['ours']['accuracy']:.4f} in {result['ours']['wall']:.1f} s "
                      f"({result['ours']['trials']} trials); FLAML {result['flaml']['accuracy']:.4f} in {result['flaml']['wall']:.1f} s "
                      f"({result['flaml']['trials']} trials); ratio {result['ratio']:.4f}, overhead {result['overhead']:+.1%}", flush=True)
        finally:
            stop_controlplane(client.root)
    print(report(rows, args, header))
    if args.json:
        args.json.write_text(json.dumps({"machine": header, "runs": rows}, indent=1))
    return 0


def report(rows: list[dict], args, header: str) -> str:
    median = lambda values: statistics.median(values)  # noqa: E731
    lines = [f"Machine: {header}.", "", f"Budget {args.minutes} min, {len(rows)} repeats, medians (min-max):", "",
             "| measure | ours (AutoML job) | FLAML directly |", "|---|---|---|"]
    for key, fmt in (("accuracy", "{:.4f}"), ("wall", "{:.1f} s"), ("trials", "{:.0f}")):
        cells = []
        for who in ("ours", "flaml"):
            values = [r[who][key] for r in rows]
            cells.append(f"{fmt.format(median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})")
        lines.append(f"| held-out {key} |" if key == "accuracy" else f"| {key} |")
        lines[-1] += f" {cells[0]} | {cells[1]} |"
    ratio, overhead = [r["ratio"] for r in rows], [r["overhead"] for r in rows]
    lines += ["", f"Score ratio median **{median(ratio):.4f}** (goal >= 0.99; {min(ratio):.4f}-{max(ratio):.4f}); "
                  f"wall-time overhead median **{median(overhead):+.1%}** (goal <= 10%; {min(overhead):+.1%} to {max(overhead):+.1%})."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
