"""Errors meant to be shown to a person.

Every error raised on purpose by a workspace backend is an ``AmlPilotError``:
its message is one line that names the field and the value at fault, and the
CLI prints it without a traceback. Anything else escaping is a bug.
"""

from __future__ import annotations

from typing import Any


class AmlPilotError(Exception):
    """Base class: a one-line message for the user, and the CLI's exit code."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UserInputError(AmlPilotError):
    """The request itself is wrong: a bad name, a missing file, a bad value."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value

    @classmethod
    def invalid(cls, field: str, value: Any, reason: str) -> "UserInputError":
        return cls(f"{field}: {value!r} {reason}", field=field, value=value)

    @classmethod
    def missing(cls, field: str, hint: str = "") -> "UserInputError":
        suffix = f" ({hint})" if hint else ""
        return cls(f"{field}: a value is required{suffix}", field=field)

    @classmethod
    def missing_path(cls, field: str, path: Any) -> "UserInputError":
        return cls(f"{field}: {str(path)!r} does not exist", field=field, value=path)


class ResourceNotFoundError(UserInputError):
    """A name, version or reference that the workspace does not hold."""

    @classmethod
    def of(cls, kind: str, name: str, version: str | None = None, known: list[str] | None = None) -> "ResourceNotFoundError":
        what = f"{name}:{version}" if version else name
        msg = f"{kind}: {what!r} was not found in this workspace"
        if known:
            shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
            msg += f" (known: {shown})"
        return cls(msg, field=kind, value=what)


class ConflictError(UserInputError):
    """The change contradicts what is stored, e.g. a version with new content."""

    @classmethod
    def immutable_version(cls, kind: str, name: str, version: str, detail: str = "") -> "ConflictError":
        extra = f": {detail}" if detail else ""
        return cls(
            f"version: {kind} {name!r} version {version!r} already exists with different content{extra}; "
            "versions are immutable, register a new version instead",
            field="version",
            value=version,
        )


class NotSupportedLocallyError(UserInputError):
    """A valid Azure ML request that the local backend cannot carry out (yet)."""

    @classmethod
    def field(cls, field: str, value: Any, why: str) -> "NotSupportedLocallyError":
        return cls(f"{field}: {value!r} is not supported on the local workspace: {why}", field=field, value=value)

    @classmethod
    def kind(cls, kind: str, arrives_with: str) -> "NotSupportedLocallyError":
        return cls(f"{kind}: not supported on the local workspace yet; it arrives with {arrives_with}", field="type", value=kind)


class JobFailedError(AmlPilotError):
    """``jobs.stream`` of a job that failed, as azure-ai-ml raises ``JobException``."""
