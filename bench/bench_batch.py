"""Batch scoring throughput (rows/s) of a local batch endpoint vs. one pandas process on the same files.

Builds a workspace with a registered MLflow model (scikit-learn logistic
regression on the diabetes data) and a model deployment on a cluster, writes
``--files`` CSV files of ``--rows`` rows each (diabetes rows drawn with
replacement), then alternates, ``--runs`` times each:

- **ours**: ``batch_endpoints.invoke`` (the files registered as a data asset)
  until the job is Completed, wall time end to end: queueing, worker start
  (interpreter, imports, model load), scoring and writing ``predictions.csv``;
- **baseline**: in this process, with the model already loaded and pandas
  already imported, ``pd.read_csv`` + ``model.predict`` per file, and the same
  predictions file written (row, prediction, file name);
- **cold baseline**: the same loop in a new ``python`` process, timed from its
  start, so that it too pays the interpreter, the imports and loading the model.

    .venv/bin/python bench/bench_batch.py --files 24 --rows 150000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FEATURES = ["Pregnancies", "PlasmaGlucose", "DiastolicBloodPressure", "TricepsThickness",
            "SerumInsulin", "BMI", "DiabetesPedigree", "Age"]


def make_model(folder: Path, frame) -> Path:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=1000).fit(frame[FEATURES], frame["Diabetic"])
    target = folder / "model"
    mlflow.sklearn.save_model(model, target, signature=infer_signature(frame[FEATURES][:5], model.predict(frame[FEATURES][:5])))
    return target


def make_files(folder: Path, frame, files: int, rows: int) -> int:
    folder.mkdir(parents=True)
    for i in range(files):
        frame[FEATURES].sample(rows, replace=True, random_state=i).to_csv(folder / f"part-{i:03d}.csv", index=False)
    return files * rows


def baseline(model, inputs: Path, out: Path) -> float:
    import numpy as np
    import pandas as pd

    started = time.perf_counter()
    with open(out, "w") as sink:
        for path in sorted(inputs.iterdir()):
            predictions = model.predict(pd.read_csv(path))
            frame = pd.DataFrame({"row": np.arange(len(predictions)), "prediction": predictions, "file_name": path.name})
            frame.to_csv(sink, header=False, index=False)
    return time.perf_counter() - started


def cold_baseline(model_dir: Path, inputs: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--baseline-only", str(model_dir), str(inputs), str(out)], check=True)
    return time.perf_counter() - started


def ours(client) -> float:
    from azure.ai.ml import Input

    from workspace.local.controlplane import state

    started = time.perf_counter()
    job = client.batch_endpoints.invoke("bench-ep", input=Input(type="uri_folder", path="azureml:bench-inputs:1"))
    # The job's row, not client.jobs.get: building the PipelineJob entity 50 times a second would
    # take CPU from the job being measured.
    while (status := state.get_job(client._ctx.store, job.name).status) not in ("Completed", "Failed", "Canceled"):
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if status != "Completed":
        raise SystemExit(f"job {job.name} {status}: {client.jobs.get(job.name).properties.get('error')}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--rows", type=int, default=150_000, help="rows per file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="max_concurrency_per_instance (default: CPUs)")
    parser.add_argument("--mini-batch-size", type=int, default=2)
    parser.add_argument("--baseline-only", nargs=3, metavar=("MODEL", "INPUTS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_only:  # the cold baseline's own process
        import mlflow.pyfunc

        model_dir, inputs, out = (Path(p) for p in args.baseline_only)
        baseline(mlflow.pyfunc.load_model(str(model_dir)), inputs, out)
        return

    import mlflow.pyfunc
    import pandas as pd
    from azure.ai.ml.entities import AmlCompute, BatchEndpoint, Data, Model, ModelBatchDeployment, ModelBatchDeploymentSettings

    from workspace.local import LocalMLClient
    from workspace.local.controlplane import ensure_controlplane, stop_controlplane

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    frame = pd.read_csv(ROOT.parent / "shared" / "data" / "diabetes" / "diabetes.csv")
    model_dir = make_model(tmp, frame)
    total_rows = make_files(tmp / "inputs", frame, args.files, args.rows)
    client = LocalMLClient(tmp / "ws")
    client.compute.begin_create_or_update(AmlCompute(name="bench-cluster", max_instances=1)).result()
    client.models.create_or_update(Model(name="bench-lr", path=str(model_dir), type="mlflow_model"))
    # Registered once, as batch inputs usually are: an invocation with a local folder would hash it each time.
    client.data.create_or_update(Data(name="bench-inputs", path=str(tmp / "inputs"), type="uri_folder"))
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="bench-ep")).result()
    client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
        name="bench-dep", endpoint_name="bench-ep", model="azureml:bench-lr:1", compute="bench-cluster",
        settings=ModelBatchDeploymentSettings(mini_batch_size=args.mini_batch_size, max_concurrency_per_instance=args.workers),
    )).result()
    model = mlflow.pyfunc.load_model(str(model_dir))
    ensure_controlplane(client.root)
    ours_times, base_times, cold_times = [], [], []
    try:
        ours(client)  # warm-up: MLflow experiment, file cache
        for _ in range(args.runs):
            ours_times.append(ours(client))
            base_times.append(baseline(model, tmp / "inputs", tmp / "baseline.csv"))
            cold_times.append(cold_baseline(model_dir, tmp / "inputs", tmp / "baseline.csv"))
    finally:
        stop_controlplane(client.root)
    report(total_rows, args, ours_times, base_times, cold_times)


def report(total_rows: int, args, ours_times: list, base_times: list, cold_times: list) -> None:
    rates = {name: total_rows / statistics.median(times) for name, times in
             (("ours", ours_times), ("base", base_times), ("cold", cold_times))}
    print(f"{args.files} files x {args.rows} rows = {total_rows} rows; {args.workers} workers, mini_batch_size {args.mini_batch_size}")
    for label, name, times in (("batch endpoint ", "ours", ours_times), ("pandas baseline", "base", base_times),
                               ("cold baseline  ", "cold", cold_times)):
        print(f"{label} median {statistics.median(times):.2f} s  {rates[name]:,.0f} rows/s  runs {[round(t, 2) for t in times]}")
    paired = statistics.median(b / o for o, b in zip(ours_times, base_times))  # each pair ran back to back
    print(f"ratio           {rates['ours'] / rates['base']:.2f}x the baseline (of medians); "
          f"{paired:.2f}x (median of the {len(base_times)} back-to-back pairs); {rates['ours'] / rates['cold']:.2f}x the cold baseline")

if __name__ == "__main__":
    main()
