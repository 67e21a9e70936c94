"""Keep secrets out of everything the agent writes or shows.

Two rules, applied to tool arguments and results before they reach the model,
events, transcripts, logs or the audit log:

- a field whose *name* looks secret (``account_key``, ``sas_token``,
  ``client_secret``, ``api_key``, ``password``, ``authorization`` ...) has its
  value replaced by ``***``;
- a *value* registered with the redactor (API keys from the settings, a
  datastore key the user passed as an argument) is replaced by ``***``
  wherever it appears inside any string.

A value seen once under a secret-looking name is registered too, so it stays
hidden when it comes back later inside free text (an error message, a model's
answer).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import traceback
import weakref
from typing import Any, Iterable

MASK = "***"
# Shorter values would mask ordinary words; real keys and tokens are far longer.
MIN_SECRET_LENGTH = 4

# Last word of a field name that marks it secret: ``account_key``, ``sasToken``.
_SECRET_LAST_WORDS = frozenset({"key", "secret", "token", "password", "passwd", "pwd", "authorization", "signature", "certificate"})
_SECRET_NAMES = frozenset({"connection_string", "credential", "sas", "bearer", "cookie", "set_cookie", "x_api_key"})
# Environment variables whose values are secrets wherever they turn up.
SECRET_ENV_VARS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AMLPILOT_OPENAI_API_KEY", "AZURE_CLIENT_SECRET")


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_secret_name(name: Any) -> bool:
    """Whether a field called ``name`` holds a secret (``max_tokens`` does not, ``api_key`` does)."""
    if not isinstance(name, str):
        return False
    words = _words(name)
    if not words:
        return False
    return words[-1] in _SECRET_LAST_WORDS or "_".join(words) in _SECRET_NAMES


class Redactor:
    """Masks secret fields and known secret values; safe to share between threads."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        for value in values:
            self.add(value)

    def add(self, value: Any) -> None:
        """Register a secret value (a ``SecretStr`` is unwrapped); short or empty values are ignored."""
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH or value == MASK:
            return
        with self._lock:
            if value not in self._values:
                self._values.add(value)
                self._pattern = None

    def add_settings(self, settings: Any) -> None:
        """Register every ``SecretStr`` field of a settings object."""
        for name in type(settings).model_fields:
            value = getattr(settings, name, None)
            if hasattr(value, "get_secret_value"):
                self.add(value)

    def add_environment(self, names: Iterable[str] = SECRET_ENV_VARS) -> None:
        for name in names:
            self.add(os.environ.get(name))

    def learn(self, data: Any) -> None:
        """Register the values of secret-looking fields found anywhere in ``data``."""
        if isinstance(data, dict):
            for key, value in data.items():
                if is_secret_name(key) and isinstance(value, str):
                    self.add(value)
                else:
                    self.learn(value)
        elif isinstance(data, (list, tuple)):
            for item in data:
                self.learn(item)

    def values(self) -> list[str]:
        with self._lock:
            return list(self._values)

    def text(self, text: str) -> str:
        """``text`` with every known secret value masked, and the values of secret-named
        fields written inside it (``"account_key": "..."``, ``api_key=...``, ``Authorization: ...``)."""
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return _mask_named_fields(text)

    def __call__(self, data: Any) -> Any:
        """A redacted copy of plain data (dicts, lists, strings, scalars)."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {key: (MASK if is_secret_name(key) and value not in (None, "") else self(value)) for key, value in data.items()}
        if isinstance(data, (list, tuple)):
            return [self(item) for item in data]
        return data

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                # Longest first, so a secret containing another is masked whole.
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            return self._pattern


# "name": "value" / 'name': 'value' (JSON, Python reprs), name=value (command lines), Header: value.
_QUOTED_FIELD = re.compile(r"""(?P<q>["'])(?P<name>[\w.-]+)(?P=q)(?P<sep>\s*:\s*)(?P<vq>["'])(?P<value>(?:\\.|(?!(?P=vq)).)*)(?P=vq)""")
_ASSIGNED_FIELD = re.compile(r"""(?<![\w.-])(?P<name>[\w.-]+)(?P<sep>=)(?P<value>"[^"]*"|'[^']*'|[^\s,;&"'}\]]+)""")
_HEADER_FIELD = re.compile(
    r"""(?im)\b(?P<name>authorization|api-key|x-api-key|ocp-apim-subscription-key)(?P<sep>\s*:\s*)"""
    r"""(?P<value>(?:bearer\s+|basic\s+)?[^\s"',}]+)"""
)


def _mask_named_fields(text: str) -> str:
    if "=" not in text and ":" not in text:
        return text

    def quoted(match: re.Match[str]) -> str:
        if not is_secret_name(match["name"]) or match["value"] in ("", MASK):
            return match[0]
        return f"{match['q']}{match['name']}{match['q']}{match['sep']}{match['vq']}{MASK}{match['vq']}"

    def assigned(match: re.Match[str]) -> str:
        if not is_secret_name(match["name"]) or match["value"].strip("\"'") in ("", MASK):
            return match[0]
        return f"{match['name']}{match['sep']}{MASK}"

    text = _QUOTED_FIELD.sub(quoted, text)
    text = _ASSIGNED_FIELD.sub(assigned, text)
    return _HEADER_FIELD.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)


class StreamMask:
    """Redacts streamed text chunk by chunk without ever showing part of a secret.

    A chunk may end in the first characters of a known secret; that tail is held
    back until the next chunk shows whether the whole secret follows.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._held = ""

    def feed(self, chunk: str) -> str:
        text = self._held + chunk
        cut = len(text) - self._secret_prefix_at_end(text)
        self._held = text[cut:]
        return self.redactor.text(text[:cut])

    def flush(self) -> str:
        text, self._held = self._held, ""
        return self.redactor.text(text)

    def _secret_prefix_at_end(self, text: str) -> int:
        """Length of the longest end of ``text`` that begins some secret without completing it."""
        longest = 0
        for value in self.redactor.values():
            for size in range(min(len(value) - 1, len(text)), longest, -1):
                if text.endswith(value[:size]):
                    longest = size
                    break
        return longest


# -- logs -----------------------------------------------------------------------

_ACTIVE: "weakref.WeakSet[Redactor]" = weakref.WeakSet()
_factory_lock = threading.Lock()
_factory_installed = False


def redact_logs(redactor: Redactor) -> None:
    """Mask this redactor's secrets in every log record created from now on, by any library.

    semantic-kernel and the OpenAI client log call arguments and requests at
    INFO/DEBUG; a log-record factory is the one place that sees all of them.
    The redactor is held weakly: when its session goes, so does its masking.
    """
    global _factory_installed
    _ACTIVE.add(redactor)
    with _factory_lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if len(_ACTIVE):
                _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


def _scrub(record: logging.LogRecord) -> None:
    redactors = list(_ACTIVE)
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return
    for redactor in redactors:
        message = redactor.text(message)
    record.msg, record.args = message, None
    if record.exc_info and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        for redactor in redactors:
            text = redactor.text(text)
        record.exc_text = text
