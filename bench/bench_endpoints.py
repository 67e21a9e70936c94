"""Online endpoint throughput and latency against MLflow's server and the bare HTTP floor.

One run measures, with ``wrk`` (Debian package) POSTing the same single-row
body (diabetes, 8 features, ``dataframe_split``) at concurrency 1, 16 and 64:

  mlflow   ``mlflow models serve --env-manager local`` on the same model
  ours     a local online endpoint (gateway + worker processes, micro-batching)
  floor    a bare Starlette app on uvicorn that parses the JSON and returns a constant

Every server runs alone on the machine while it is measured; each cell is the
median of ``--repeat`` runs of ``--seconds`` each.

    .venv/bin/python bench/bench_endpoints.py --seconds 5 --repeat 3 [--instances N] [--targets ours]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "diabetes" / "diabetes.csv"
FEATURES = ["Pregnancies", "PlasmaGlucose", "DiastolicBloodPressure", "TricepsThickness",
            "SerumInsulin", "BMI", "DiabetesPedigree", "Age"]
FLOOR_APP = textwrap.dedent("""
    import json
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def score(request):
        json.loads(await request.body())
        return Response(b"[0]", media_type="application/json")

    app = Starlette(routes=[Route("/score", score, methods=["POST"])])
""")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers: up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def train(folder: Path) -> tuple[Path, dict]:
    import mlflow.sklearn
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    frame = pd.read_csv(DATA, nrows=2000)
    model = LogisticRegression(max_iter=500).fit(frame[FEATURES], frame["Diabetic"])
    path = folder / "model"
    mlflow.sklearn.save_model(model, path, signature=infer_signature(frame[FEATURES], model.predict(frame[FEATURES])))
    row = frame[FEATURES].iloc[0].tolist()
    return path, {"dataframe_split": {"columns": FEATURES, "data": [row]}}


def wrk(url: str, body: dict, concurrency: int, seconds: int, headers: dict) -> dict:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}",
             'wrk.headers["Content-Type"] = "application/json"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    threads = min(2, concurrency)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    script.unlink()
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": _latency(out, "50%"), "p99_ms": _latency(out, "99%"),
            "errors": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0}


def _latency(out: str, label: str) -> float:
    value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(name: str, url: str, body: dict, args, headers: dict | None = None) -> dict:
    results = {}
    wrk(url, body, 16, 2, headers or {})  # warm-up
    for concurrency in (1, 16, 64):
        runs = [wrk(url, body, concurrency, args.seconds, headers or {}) for _ in range(args.repeat)]
        results[concurrency] = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms", "errors")}
        print(f"{name:6s} c={concurrency:<3d} {results[concurrency]}", file=sys.stderr, flush=True)
    return results


def run_mlflow(model: Path, body: dict, args) -> dict:
    port = free_port()
    # MLflow execs `uvicorn` by name: the venv's bin must be on PATH.
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen([sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model), "--env-manager", "local",
                             "-h", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/ping")
        return measure("mlflow", f"http://127.0.0.1:{port}/invocations", body, args)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait()


def run_floor(folder: Path, body: dict, args) -> dict:
    (folder / "floor_app.py").write_text(FLOOR_APP)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor_app:app", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning", "--no-access-log"], cwd=folder, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/score")
        return measure("floor", f"http://127.0.0.1:{port}/score", body, args)
    finally:
        proc.terminate()
        proc.wait()


def run_ours(folder: Path, model: Path, body: dict, args) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ["AMLPILOT_SECRETS_BACKEND"] = "file"
    from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint, Model, OnlineRequestSettings

    from workspace.local import LocalMLClient
    from workspace.local.controlplane import stop_controlplane

    client = LocalMLClient(folder / "ws", secrets_backend="file")
    try:
        client.models.create_or_update(Model(name="diabetes", path=str(model), type="mlflow_model"))
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="bench-ep")).result()
        settings = OnlineRequestSettings(max_concurrent_requests_per_instance=64, request_timeout_ms=10000, max_queue_wait_ms=2000)
        client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
            name="blue", endpoint_name="bench-ep", model="azureml:diabetes:1", instance_count=args.instances,
            request_settings=settings)).result()
        endpoint = client.online_endpoints.get("bench-ep")
        endpoint.traffic = {"blue": 100}
        endpoint = client.online_endpoints.begin_create_or_update(endpoint).result()
        auth = {"Authorization": client.online_endpoints.auth_header("bench-ep")}
        results = measure("ours", endpoint.scoring_uri, body, args, auth)
        results["metrics"] = client.online_endpoints.get_metrics("bench-ep")
        return results
    finally:
        stop_controlplane(client.root)
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--instances", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="worker processes of our deployment (default: one per core, less one for the gateway)")
    parser.add_argument("--targets", default="mlflow,floor,ours", help="which servers to measure (the ratios need all three)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    folder = Path(tempfile.mkdtemp(prefix="bench-endpoints-"))
    try:
        model, body = train(folder)
        runners = {"mlflow": lambda: run_mlflow(model, body, args), "floor": lambda: run_floor(folder, body, args),
                   "ours": lambda: run_ours(folder, model, body, args)}
        report = {name: runners[name]() for name in args.targets.split(",")}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if len(report) < 3:
        print(json.dumps(report, indent=2, default=str))
        return 0
    c16 = {k: report[k][16] for k in ("mlflow", "floor", "ours")}
    report["ratios_c16"] = {"ours_vs_mlflow": round(c16["ours"]["rps"] / c16["mlflow"]["rps"], 2),
                            "ours_vs_floor": round(c16["ours"]["rps"] / c16["floor"]["rps"], 2)}
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
