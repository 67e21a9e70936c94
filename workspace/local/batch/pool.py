"""A batch worker process as the driver sees it: start, score one mini-batch within a timeout, restart.

Workers stay in the job's process group (cancelling the job kills them with
it). A worker that times out or dies is killed with its children and started
again, which runs ``init()`` again, as a restarted Azure ML worker does.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from workspace.errors import AmlPilotError


class InitFailed(AmlPilotError):
    """The scoring script's ``init()`` (or loading the model) failed: the job can't score anything."""


@dataclass
class Outcome:
    ok: bool
    rows: int = 0
    failed: list | None = None  # [[file, reason], ...] of files that failed inside a scored mini-batch
    error: str | None = None  # why the whole mini-batch failed (this attempt)


class Worker:
    def __init__(self, number: int, command: list[str], env: dict, cwd: Path, log_path: Path) -> None:
        self.number, self.command, self.env, self.cwd, self.log_path = number, command, env, cwd, log_path
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()

    def start(self) -> None:
        """Start the process and wait for its ``init()``; raises ``InitFailed`` if it fails."""
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                         cwd=self.cwd, env=self.env, text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()
        first = self.lines.get()
        if first is None or "ready" not in first:
            reason = (first or {}).get("init_error") or f"the worker exited with code {self.proc.wait()}"
            self.stop()
            raise InitFailed(f"init: worker {self.number} could not start scoring: {reason} (see user_logs/{self.log_path.name})")

    def score(self, index: int, files: list[str], part: Path, timeout: float) -> Outcome:
        """One attempt at one mini-batch; a timeout or a crash restarts the worker."""
        try:
            self.proc.stdin.write(json.dumps({"index": index, "files": files, "part": str(part)}) + "\n")
            self.proc.stdin.flush()
            answer = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.restart()
            return Outcome(False, error=f"timed out after {timeout:g} s (retry_settings.timeout)")
        except (BrokenPipeError, OSError):
            answer = None
        if answer is None:
            code = self.proc.wait()
            self.restart()
            return Outcome(False, error=f"the worker process died (exit code {code})")
        if not answer.get("ok"):
            return Outcome(False, error=answer.get("error"))
        return Outcome(True, rows=answer["rows"], failed=answer.get("failed") or [])

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        """Kill the process and everything it started."""
        import psutil

        if self.proc is None:
            return
        try:
            family = [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        for member in reversed(family):
            try:
                member.kill()
            except psutil.NoSuchProcess:
                pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc = None

    def close(self) -> None:
        """Let the worker finish (end of input), or kill it if it lingers."""
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.stop()

    @staticmethod
    def _read(proc: subprocess.Popen, lines: queue.Queue) -> None:
        for line in proc.stdout:
            try:
                lines.put(json.loads(line))
            except ValueError:
                continue  # not ours: the protocol stream only carries JSON lines
        lines.put(None)  # end of stream: the worker exited
