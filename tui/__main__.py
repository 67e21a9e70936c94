"""``python -m tui``: the TUI without the ``amlpilot`` CLI (handy before it is wired, and for benchmarks)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui", description="amlpilot's terminal UI")
    parser.add_argument("--workspace", "-w", help="workspace folder (overrides AMLPILOT_WORKSPACE)")
    parser.add_argument("--as", dest="user", help="act as this identity (overrides AMLPILOT_USER)")
    parser.add_argument("--model", "-m", help="chat model, e.g. offline (overrides AMLPILOT_MODEL)")
    parser.add_argument("--read-only", action="store_true", help="offer and allow only tools that change nothing")
    parser.add_argument("--resume", help="continue a saved session by id")
    parser.add_argument("--no-guide", action="store_true", help="never offer the guided start")
    args = parser.parse_args(argv)

    from tui.app import run_tui

    return run_tui(
        workspace=args.workspace, user=args.user, model=args.model, read_only=args.read_only,
        resume=args.resume, guided_start=False if args.no_guide else None,
    )


if __name__ == "__main__":
    sys.exit(main())
