"""Per-deployment request counts and latency percentiles, kept by the gateway.

Latencies go into logarithmic buckets 2% wide, so memory stays constant
however long a deployment serves and a percentile is within 2% of the truth.
"""

from __future__ import annotations

import math

_BASE_MS = 0.01
_GROWTH = math.log(1.02)


class DeploymentMetrics:
    def __init__(self) -> None:
        self.request_count = 0
        self.error_count = 0
        self._buckets: dict[int, int] = {}

    def record(self, elapsed_ms: float, ok: bool) -> None:
        self.request_count += 1
        if not ok:
            self.error_count += 1
        index = int(math.log(max(elapsed_ms, _BASE_MS) / _BASE_MS) / _GROWTH)
        self._buckets[index] = self._buckets.get(index, 0) + 1

    def percentile(self, q: float) -> float | None:
        total = sum(self._buckets.values())
        if total == 0:
            return None
        rank = max(1, math.ceil(q / 100.0 * total))
        seen = 0
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if seen >= rank:
                return round(_BASE_MS * math.exp((index + 1) * _GROWTH), 3)
        return None

    def snapshot(self) -> dict:
        return {
            "request_count": self.request_count,
            "error_count": self.error_count,
            "p50_ms": self.percentile(50),
            "p95_ms": self.percentile(95),
            "p99_ms": self.percentile(99),
        }


def empty() -> dict:
    return DeploymentMetrics().snapshot()
