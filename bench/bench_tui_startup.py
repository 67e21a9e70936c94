"""Time to first paint of the TUI, measured in a real pseudo-terminal; goal: under 1 s.

    .venv/bin/python bench/bench_tui_startup.py [--runs 10]

Each run starts ``python -m tui`` (what ``amlpilot`` with no arguments calls)
on a prepared workspace, and records when the status bar's text first
reaches the terminal (first paint) and when the status bar says ``ready`` (the
agent session is open: settings, client, semantic-kernel, tools). Then it
quits with ctrl+q. One warm-up run is not counted (it creates the workspace).
Finally ``python -X importtime`` shows what importing the app costs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PAINT = "backend"             # a label of the status bar: part of the first frame
READY = "ready"                     # the status bar once the session is open
TIMEOUT = 60


def one_launch(workspace: Path) -> tuple[float, float]:
    import pexpect

    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-m", "tui", "--workspace", str(workspace), "--no-guide"],
                          cwd=str(ROOT), env=env, dimensions=(40, 120), encoding="utf-8",
                          codec_errors="replace", timeout=TIMEOUT)
    try:
        child.expect(FIRST_PAINT)
        painted = time.perf_counter() - started
        child.expect(READY)
        ready = time.perf_counter() - started
        child.send("\x11")  # ctrl+q
        child.expect(pexpect.EOF)
        return painted, ready
    finally:
        if child.isalive():
            child.terminate(force=True)


def import_breakdown(top: int = 15) -> tuple[float, list[tuple[float, int, str]]]:
    """All import time of ``python -m tui`` before it runs, and the dearest imports (cumulative seconds, depth)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import tui.__main__, tui.app"],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    rows = []
    for line in result.stderr.splitlines():
        _, _, fields = line.partition("import time:")
        parts = fields.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header line
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip()) - 1) // 2  # importtime indents nested imports by two spaces
        rows.append((int(parts[1]) / 1e6, depth, name.strip()))
    total = sum(seconds for seconds, depth, _ in rows if depth == 0)
    return total, sorted((r for r in rows if r[1] <= 2), reverse=True)[:top]


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU") if Path("/proc/cpuinfo").exists() else platform.processor()
    return f"{os.cpu_count()} CPUs (nproc), {model}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "ws"
        os.environ.setdefault("AMLPILOT_CONFIG", str(Path(folder) / "no-config.toml"))
        os.environ.setdefault("AMLPILOT_SECRETS_BACKEND", "file")
        one_launch(workspace)  # warm-up: creates the workspace, fills the OS file cache
        runs = [one_launch(workspace) for _ in range(args.runs)]
    paints, readies = [p for p, _ in runs], [r for _, r in runs]
    print(f"machine: {machine()}")
    print(f"runs: {args.runs}")
    print(f"first paint: median {statistics.median(paints):.3f} s (min {min(paints):.3f}, max {max(paints):.3f})")
    print(f"agent ready: median {statistics.median(readies):.3f} s (min {min(readies):.3f}, max {max(readies):.3f})")
    total, dearest = import_breakdown()
    print(f"imports before the app runs: {total:.3f} s in all (python -X importtime; cumulative, nesting depth)")
    for seconds, depth, name in dearest:
        print(f"  {seconds:7.3f} s  {'  ' * depth}{name}")


if __name__ == "__main__":
    main()
