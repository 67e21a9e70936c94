"""Where datastore credentials live: the OS keyring, or a 0600 file.

Secrets never enter ``workspace.db``; the database holds a placeholder and the
real value is looked up only when a caller asks for it (``include_secrets``).
``auto`` uses the keyring when a real backend is available (a desktop session)
and the file otherwise (servers, containers, CI).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path

REDACTED = "<stored-in-secret-store>"
BACKENDS = ("auto", "keyring", "file")


def keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # keyring missing or broken: fall back to the file
        return False
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or type(backend).__module__.startswith("keyring.backends.null"):
        return False
    return getattr(backend, "priority", 0) > 0


class SecretStore:
    def __init__(self, folder: Path, backend: str = "auto") -> None:
        self.folder = Path(folder)
        if backend not in BACKENDS:
            from workspace.errors import UserInputError

            raise UserInputError.invalid("secrets_backend", backend, f"is not one of {', '.join(BACKENDS)}")
        self.backend = "keyring" if backend == "keyring" or (backend == "auto" and keyring_usable()) else "file"
        self._service = "amlpilot:" + hashlib.sha256(str(self.folder.resolve()).encode()).hexdigest()[:16]

    def set(self, key: str, value: str) -> None:
        if self.backend == "keyring":
            import keyring

            keyring.set_password(self._service, key, value)
            return
        with self._file() as data:
            data[key] = value

    def get(self, key: str) -> str | None:
        if self.backend == "keyring":
            import keyring

            return keyring.get_password(self._service, key)
        with self._file(write=False) as data:
            return data.get(key)

    def delete_prefix(self, prefix: str) -> None:
        if self.backend == "keyring":
            import keyring

            for field in ("account_key", "sas_token", "client_secret", "certificate"):
                try:
                    keyring.delete_password(self._service, f"{prefix}{field}")
                except Exception:  # keyring raises PasswordDeleteError for absent keys
                    pass
            return
        with self._file() as data:
            for key in [k for k in data if k.startswith(prefix)]:
                del data[key]

    @property
    def file(self) -> Path:
        return self.folder / "secrets.json"

    @contextmanager
    def _file(self, write: bool = True):
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        fd = os.open(self.folder / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
            data = json.loads(self.file.read_text()) if self.file.exists() else {}
            yield data
            if write:
                tmp = self.folder / f".secrets.{os.getpid()}.tmp"
                with os.fdopen(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "w") as fh:
                    json.dump(data, fh)
                os.replace(tmp, self.file)
        finally:
            os.close(fd)
