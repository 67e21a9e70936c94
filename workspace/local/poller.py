"""A finished long-running operation, shaped like azure.core's ``LROPoller``.

Local creates finish before ``begin_*`` returns, so the poller only carries the
result; callers written for Azure (``.result()``, ``.wait()``, ``.done()``)
work unchanged.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class LocalPoller(Generic[T]):
    def __init__(self, value: T) -> None:
        self._value = value

    def result(self, timeout: float | None = None) -> T:
        return self._value

    def wait(self, timeout: float | None = None) -> None:
        return None

    def done(self) -> bool:
        return True

    def status(self) -> str:
        return "Succeeded"
