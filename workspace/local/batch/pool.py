"""Batch worker processes as the driver sees them: start, score one mini-batch within a timeout, restart.

Workers stay in the job's process group, so cancelling the job kills them with
it. A worker that times out or dies is killed with its children and started
again. Two ways to start one:

- ``SpawnLauncher``: a fresh interpreter per worker, which runs the scoring
  script's ``init()`` itself, as on Azure ML (a restarted worker runs it again).
- ``ForkLauncher`` (MLflow models without a script): one host process loads the
  model, then forks the workers, which share it. Importing MLflow and the
  model's flavor takes seconds of CPU; paid once, not once per worker. The
  driver talks to a forked worker over two FIFOs in the job folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workspace.errors import AmlPilotError


class InitFailed(AmlPilotError):
    """The scoring script's ``init()`` (or loading the model) failed: the job can't score anything."""


@dataclass
class Outcome:
    ok: bool
    rows: int = 0
    failed: list | None = None  # [[file, reason], ...] of files that failed inside a scored mini-batch
    error: str | None = None  # why the whole mini-batch failed (this attempt)


@dataclass
class Channel:
    pid: int
    send: IO[str]
    receive: IO[str]
    popen: subprocess.Popen | None = None


def read_lines(stream: IO[str], lines: queue.Queue) -> None:
    """Put each JSON line of ``stream`` on ``lines``; None once it ends (the process exited)."""
    for line in stream:
        try:
            lines.put(json.loads(line))
        except ValueError:
            continue  # not ours: the protocol stream only carries JSON lines
    lines.put(None)


def kill_tree(pid: int) -> None:
    import psutil

    try:
        family = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for member in reversed(family):
        with contextlib.suppress(psutil.NoSuchProcess):  # it ended meanwhile
            member.kill()
    psutil.wait_procs(family, timeout=10)


class SpawnLauncher:
    def __init__(self, command: list[str], env: dict, cwd: Path) -> None:
        self.command, self.env, self.cwd = command, env, cwd

    def launch(self, number: int, log_path: Path) -> Channel:
        with open(log_path, "a") as log:
            popen = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                     cwd=self.cwd, env=self.env, text=True, bufsize=1)
        return Channel(popen.pid, popen.stdin, popen.stdout, popen)

    def close(self) -> None:
        return None


class ForkLauncher:
    """Starts the host (which loads the model once) and asks it for a forked worker per launch."""

    def __init__(self, command: list[str], env: dict, cwd: Path, folder: Path, log_path: Path) -> None:
        self.folder, self.lock, self.count = folder, threading.Lock(), 0
        self.lines: queue.Queue = queue.Queue()
        with open(log_path, "a") as log:
            self.host = subprocess.Popen([*command, "--host"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                         cwd=cwd, env=env, text=True, bufsize=1)
        threading.Thread(target=read_lines, args=(self.host.stdout, self.lines), daemon=True).start()
        first = self.lines.get()
        if first is None or "ready" not in first:
            reason = (first or {}).get("init_error") or f"the worker host exited with code {self.host.wait()}"
            self.close()
            raise InitFailed(f"init: the model could not be loaded: {reason} (see user_logs/{log_path.name})")

    def launch(self, number: int, log_path: Path) -> Channel:
        with self.lock:
            self.count += 1
            tasks, answers = (self.folder / f"worker_{number}_{self.count}.{end}" for end in ("tasks", "answers"))
            for fifo in (tasks, answers):
                os.mkfifo(fifo)
            self.host.stdin.write(json.dumps({"tasks": str(tasks), "answers": str(answers), "log": str(log_path)}) + "\n")
            self.host.stdin.flush()
            reply = self.lines.get()
        if reply is None:
            raise InitFailed(f"init: the worker host exited with code {self.host.wait()}; see user_logs/{log_path.name}")
        try:
            # The worker opens answers (to write), then tasks (to read). Opening answers without
            # blocking lets it start; tasks opens once it has, and then answers has its writer, so
            # the reader never sees a premature end. A worker that dies first can't hang the driver.
            receive = os.open(answers, os.O_RDONLY | os.O_NONBLOCK)
            send = _open_writer(tasks, reply["pid"])
            os.set_blocking(receive, True)
        finally:
            for fifo in (tasks, answers):
                fifo.unlink()  # open (or given up): the names are no longer needed
        return Channel(reply["pid"], os.fdopen(send, "w", buffering=1), os.fdopen(receive))

    def close(self) -> None:
        if self.host.poll() is None:
            self.host.stdin.close()
            try:
                self.host.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_tree(self.host.pid)
        self.host.wait()


def _open_writer(fifo: Path, pid: int, timeout: float = 60.0) -> int:
    """Open the FIFO for writing once its reader (the forked worker) has opened it."""
    import errno
    import time

    import psutil

    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            if not psutil.pid_exists(pid) or time.monotonic() > deadline:
                raise InitFailed(f"init: forked worker {pid} ended before it was ready") from None
            time.sleep(0.01)
            continue
        os.set_blocking(fd, True)
        return fd


class Worker:
    def __init__(self, number: int, launcher, log_path: Path) -> None:
        self.number, self.launcher, self.log_path = number, launcher, log_path
        self.channel: Channel | None = None
        self.lines: queue.Queue = queue.Queue()

    def start(self) -> None:
        """Start the process and wait until it is ready; raises ``InitFailed`` if it can't be."""
        self.channel = self.launcher.launch(self.number, self.log_path)
        self.lines = queue.Queue()
        threading.Thread(target=read_lines, args=(self.channel.receive, self.lines), daemon=True).start()
        first = self.lines.get()
        if first is None or "ready" not in first:
            reason = (first or {}).get("init_error") or "the worker exited before it was ready"
            self.stop()
            raise InitFailed(f"init: worker {self.number} could not start scoring: {reason} (see user_logs/{self.log_path.name})")

    def score(self, index: int, files: list[str], part: Path, timeout: float) -> Outcome:
        """One attempt at one mini-batch; a timeout or a crash restarts the worker."""
        try:
            self.channel.send.write(json.dumps({"index": index, "files": files, "part": str(part)}) + "\n")
            self.channel.send.flush()
            answer = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.restart()
            return Outcome(False, error=f"timed out after {timeout:g} s (retry_settings.timeout)")
        except OSError:  # a broken pipe: the worker is gone
            answer = None
        if answer is None:
            self.restart()
            return Outcome(False, error="the worker process died while scoring it")
        if not answer.get("ok"):
            return Outcome(False, error=answer.get("error"))
        return Outcome(True, rows=answer["rows"], failed=answer.get("failed") or [])

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        """Kill the process and everything it started."""
        if self.channel is None:
            return
        kill_tree(self.channel.pid)
        if self.channel.popen is not None:
            self.channel.popen.wait()
        for stream in (self.channel.send, self.channel.receive):
            with contextlib.suppress(OSError):  # the worker is dead: a failed flush changes nothing
                stream.close()
        self.channel = None

    def close(self) -> None:
        """Let the worker finish (end of input), or kill it if it lingers."""
        if self.channel is None:
            return
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):  # stop() kills what didn't finish
            self.channel.send.close()
            if self.channel.popen is not None:
                self.channel.popen.wait(timeout=10)
        self.stop()
