"""Endpoint keys and tokens, kept in the workspace's secret store, never in ``workspace.db``.

``key`` endpoints take either of two random keys. ``aml_token`` endpoints take
tokens that this module signs (HMAC-SHA256 with a per-endpoint secret) and
that carry their endpoint and expiry, so the gateway checks them without a
lookup and an expired or foreign token is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from workspace.local.secrets import SecretStore

KEY_TYPES = ("primary", "secondary")
TOKEN_LIFETIME = 3600.0  # seconds
_FIELDS = (*KEY_TYPES, "token-secret")


def _name(endpoint: str, field: str) -> str:
    return f"online-endpoint/{endpoint}/{field}"


def create(store: SecretStore, endpoint: str) -> None:
    for field in _FIELDS:
        store.set(_name(endpoint, field), secrets.token_urlsafe(32))


def regenerate(store: SecretStore, endpoint: str, key_type: str) -> None:
    store.set(_name(endpoint, key_type), secrets.token_urlsafe(32))


def delete(store: SecretStore, endpoint: str) -> None:
    # An emptied value, not a deletion: the keyring backend can't delete arbitrary names through SecretStore.
    for field in _FIELDS:
        store.set(_name(endpoint, field), "")


def get(store: SecretStore, endpoint: str, key_type: str) -> str | None:
    return store.get(_name(endpoint, key_type)) or None


def issue_token(store: SecretStore, endpoint: str, now: float | None = None) -> tuple[str, float]:
    """(token, expiry as epoch seconds)."""
    expiry = (now or time.time()) + TOKEN_LIFETIME
    claims = base64.urlsafe_b64encode(json.dumps({"ep": endpoint, "exp": expiry}).encode()).decode().rstrip("=")
    return f"{claims}.{_sign(get(store, endpoint, 'token-secret') or '', claims)}", expiry


def verify_token(secret: str, endpoint: str, token: str, now: float | None = None) -> bool:
    claims, _, signature = token.partition(".")
    if not secret or not signature or not hmac.compare_digest(signature, _sign(secret, claims)):
        return False
    try:
        data = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    except ValueError:
        return False
    return data.get("ep") == endpoint and float(data.get("exp", 0)) > (now or time.time())


def _sign(secret: str, claims: str) -> str:
    return hmac.new(secret.encode(), claims.encode(), hashlib.sha256).hexdigest()
