"""The TUI in a real pseudo-terminal: start it, skip the guided start, ask for a cluster, approve, quit.

It runs ``python -m tui`` (what ``amlpilot`` with no arguments will call) and
always stops the process it started, even when an expectation fails.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from test_tui_support import local_client, tui_root  # noqa: F401

pexpect = pytest.importorskip("pexpect")
ROOT = Path(__file__).resolve().parent.parent
WAIT = 60


def wait_for_compute(root: Path, name: str, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (root / "workspace.db").exists():
            client = local_client(root)
            try:
                if name in {c.name for c in client.compute.list()}:
                    return True
            finally:
                client.close()
        time.sleep(0.2)
    return False


def test_amlpilot_in_a_pseudo_terminal_takes_a_request_and_an_approval(tui_root):
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40", "PYTHONPATH": str(ROOT)}
    child = pexpect.spawn(
        sys.executable, ["-m", "tui", "--workspace", str(tui_root), "--as", "tester"],
        cwd=str(ROOT), env=env, dimensions=(40, 120), encoding="utf-8", codec_errors="replace", timeout=WAIT,
    )
    try:
        child.expect("This workspace is empty")  # the guided start, offered on a first launch
        child.send("\x1b")                       # Escape skips it
        time.sleep(0.5)                       # let the terminal tell a lone Escape from a key sequence
        child.send("/compute-create name=pty1 max_instances=1")
        child.send("\r")
        child.expect("Always for this tool")  # the approval dialog
        assert not wait_for_compute(tui_root, "pty1", timeout=0.5)  # nothing before the approval
        child.send("y")
        assert wait_for_compute(tui_root, "pty1"), "the approved cluster never appeared in the workspace"
        child.send("\x11")                    # ctrl+q
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
    finally:
        if child.isalive():
            child.terminate(force=True)
