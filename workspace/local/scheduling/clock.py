"""The scheduler's clock: real time, or, for tests only, a sped-up or shifted one.

``AMLPILOT_SCHEDULER_CLOCK="anchor=<epoch>,origin=<epoch>,scale=<factor>"``
makes "now" ``origin + (time() - anchor) * scale`` in every process that has
it (the client and the control plane it starts), so a test sees a per-minute
schedule fire every second, or the clock jump past a downtime. Local only:
Azure ML has no such thing.
"""

from __future__ import annotations

import os
import time

ENV = "AMLPILOT_SCHEDULER_CLOCK"


def now() -> float:
    setting = os.environ.get(ENV)
    if not setting:
        return time.time()
    values = dict(part.split("=", 1) for part in setting.split(",") if "=" in part)
    anchor = float(values.get("anchor", time.time()))
    origin = float(values.get("origin", anchor))
    return origin + (time.time() - anchor) * float(values.get("scale", 1))


def setting(*, origin: float, scale: float = 1.0, anchor: float | None = None) -> str:
    """The environment value for a clock at ``origin`` now, running ``scale`` times faster than real time."""
    return f"anchor={time.time() if anchor is None else anchor},origin={origin},scale={scale}"
