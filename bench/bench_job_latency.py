"""Submit -> Running latency of a hello-world command job on the local workspace.

Measures, with the control plane already up, the wall time from calling
``client.jobs.create_or_update(command(...))`` until ``client.jobs.get(name).status``
first reads Running. The reference measured in the same run is the floor any
local engine pays: starting a bare Python interpreter (``python -c pass``).
Azure ML itself takes minutes to reach Running on a cold cluster.

    .venv/bin/python bench/bench_job_latency.py --runs 10
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def submit_to_running(client, code: Path) -> float:
    from azure.ai.ml import command

    job = command(code=str(code), command="python hello.py", environment="azureml:AzureML-sklearn-1.5@latest",
                  compute="bench-cluster", display_name="hello")
    started = time.perf_counter()
    name = client.jobs.create_or_update(job).name
    while client.jobs.get(name).status not in ("Running", "Completed", "Failed", "Canceled"):
        time.sleep(0.005)
    return time.perf_counter() - started


def interpreter_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    from azure.ai.ml.entities import AmlCompute

    from workspace.local import LocalMLClient
    from workspace.local.controlplane import ensure_controlplane, stop_controlplane

    root = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    code = root / "src"
    code.mkdir()
    (code / "hello.py").write_text("print('hello')\n")
    client = LocalMLClient(root / "ws")
    client.compute.begin_create_or_update(AmlCompute(name="bench-cluster", max_instances=4)).result()
    ensure_controlplane(client.root)
    try:
        submit_to_running(client, code)  # warm-up: MLflow store, experiment, imports
        ours = [submit_to_running(client, code) for _ in range(args.runs)]
        floor = [interpreter_start() for _ in range(args.runs)]
    finally:
        stop_controlplane(client.root)
    ours_median, floor_median = statistics.median(ours), statistics.median(floor)
    print(f"submit->Running  median {ours_median * 1000:.0f} ms  min {min(ours) * 1000:.0f}  max {max(ours) * 1000:.0f}")
    print(f"python -c pass   median {floor_median * 1000:.0f} ms")
    print(f"ratio            {ours_median / floor_median:.1f}x the bare interpreter start")


if __name__ == "__main__":
    main()
