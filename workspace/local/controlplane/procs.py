"""Process identity and termination.

A pid alone can be reused by an unrelated process after a restart, so every
process the control plane records is stored as (pid, start time) and is only
treated as alive, or killed, when both match.
"""

from __future__ import annotations

import os
import signal
import time

_TOLERANCE = 1.0  # seconds; start times are derived from clock ticks since boot


def start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def is_alive(pid: int | None, started: float | None) -> bool:
    """True if ``pid`` is still the process that started at ``started`` and is not a zombie."""
    if not pid:
        return False
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < _TOLERANCE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def terminate_group(pid: int | None, started: float | None, grace: float = 5.0) -> bool:
    """SIGTERM the process group led by ``pid``, then SIGKILL what is left after ``grace`` seconds.

    Job runners start their own session, so the group holds the runner and every
    process of the user's command. The group is killed even when its leader has
    died already (an id of a live group is never handed out as a new pid), but
    not when the pid now belongs to a different process. True if anything was signalled.
    """
    if not pid or (start_time(pid) is not None and not is_alive(pid, started) and not _is_zombie(pid)):
        return False  # the pid was reused: not our group
    if not _group_alive(pid):
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _group_alive(pid):
            return True
        time.sleep(0.05)
    _signal_group(pid, signal.SIGKILL)
    return True


def terminate(pid: int, started: float | None, grace: float = 10.0) -> bool:
    """SIGTERM one process, SIGKILL after ``grace`` seconds; True if it is gone."""
    if not is_alive(pid, started):
        return True
    os.kill(pid, signal.SIGTERM)
    if wait_gone(pid, started, grace):
        return True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    return wait_gone(pid, started, 5.0)


def wait_gone(pid: int, started: float | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while is_alive(pid, started):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _is_zombie(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    """Any non-zombie process left in the group?"""
    import psutil

    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(proc.info["pid"]) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return False
