"""How long the offline planner takes per user turn, through the real agent loop.

Each round builds a fresh local workspace and runs a conversation of plain
requests through ``agent.session.Session`` (offline model, real tool catalog,
approval filter auto-approving, real ``LocalMLClient``). The planner's own time
is measured: every call of the offline service's ``plan_reply`` in a turn (the
planning round and the answering round) is summed; the tools' own work
(creating computes, uploading data, MLflow) is not the planner's and is left
out. The first round warms up (imports, the intent index) and is not counted.

    .venv/bin/python bench/bench_planner.py [--rounds 5]

Prints median and p95 per-turn milliseconds, and the machine it ran on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED_DATA = ROOT.parent / "shared" / "data" / "diabetes"

CONVERSATION = [
    "hi",
    "what's in my workspace?",
    "create a cpu cluster called train-cluster with 0 to 4 nodes of Standard_DS3_v2, low priority",
    "create a cpu cluster with up to 4 nodes",
    "register ./diabetes as an mltable data asset named diabetes-training",
    "what data do I have?",
    "show me my clusters",
    "scale train-cluster to 8 nodes",
    "scale my cluster to 2 nodes",          # a question: two clusters
    "cpu-cluster",                          # ...and its answer
    "show me 5 rows of diabetes-training",
    "who can deploy here?",
    "make bob a Reader",
    "what can bob do?",
    "register the model in ./model as diabetes-model",
    "what models do I have?",
    "archive version 1 of diabetes-training",
    "undo that",
    "create a cluster called etl and scale it to 3 nodes",
    "which environments can I use?",
    "delete it",                            # never guessed: a question
    "delete train-cluster",
    "what's the weather",
    "thanks",
]


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version()}


class Timer:
    """Sums, per turn, the time in the offline service's planning function and, of that, the time spent
    listing the workspace (``client.<group>.list()``, the backend's cost rather than the planner's)."""

    def __init__(self) -> None:
        import agent.providers.offline as offline
        from agent.planner.references import WorkspaceView

        self.turn, self.listing = 0.0, 0.0
        offline.plan_reply = self._timed(offline.plan_reply, "turn")
        WorkspaceView._list = self._timed(WorkspaceView._list, "listing")

    def _timed(self, function, counter: str):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                setattr(self, counter, getattr(self, counter) + time.perf_counter() - started)

        return timed

    def take(self) -> tuple[float, float]:
        spent, listing, self.turn, self.listing = self.turn, self.listing, 0.0, 0.0
        return spent * 1000, listing * 1000


async def converse(folder: Path, timer: Timer) -> list[tuple[float, float]]:
    from agent.approval import AutoApprover
    from agent.config import Settings
    from agent.session import Session
    from workspace.local import LocalMLClient

    shutil.copytree(SHARED_DATA, folder / "diabetes")
    (folder / "model").mkdir()
    (folder / "model" / "model.pkl").write_bytes(b"weights")
    os.chdir(folder)
    client = LocalMLClient(folder / "ws", user="bench", secrets_backend="file")
    try:
        settings = Settings(workspace=folder / "ws", user="bench")
        session = Session(settings, client, AutoApprover(yes=True, yes_destructive=True))
        per_turn = []
        for text in CONVERSATION:
            timer.take()
            async for _ in session.send(text):
                pass
            per_turn.append(timer.take())
        return per_turn
    finally:
        client.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds after one warm-up round")
    parser.add_argument("--by-request", action="store_true", help="also print each request's median and max")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("AMLPILOT_SECRETS_BACKEND", "file")
    timer = Timer()
    measured: list[float] = []
    listing: list[float] = []
    by_request: dict[str, list[float]] = {text: [] for text in CONVERSATION}
    here = os.getcwd()
    for round_number in range(args.rounds + 1):
        with tempfile.TemporaryDirectory() as folder:
            turns = asyncio.run(converse(Path(folder), timer))
            os.chdir(here)
        if round_number:  # round 0 warms up
            measured.extend(total for total, _ in turns)
            listing.extend(listed for _, listed in turns)
            for text, (spent, _) in zip(CONVERSATION, turns):
                by_request[text].append(spent)
    info = machine()
    print(f"machine: nproc {info['nproc']}, {info['cpu']}, Python {info['python']}")
    print(f"turns measured: {len(measured)} ({len(CONVERSATION)} requests x {args.rounds} rounds)")
    print(f"planner ms per turn: median {statistics.median(measured):.1f}, p95 {percentile(measured, 0.95):.1f}, "
          f"max {max(measured):.1f}")
    print(f"  of which listing the workspace: median {statistics.median(listing):.1f}, p95 {percentile(listing, 0.95):.1f}")
    if args.by_request:
        for text, values in by_request.items():
            print(f"  {statistics.median(values):6.1f} {max(values):6.1f}  {text}")


if __name__ == "__main__":
    main()
