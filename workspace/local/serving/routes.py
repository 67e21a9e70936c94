"""An endpoint's routing table: who may call it, and where each request goes.

A ``Route`` is immutable. The gateway builds a new one whenever an endpoint,
its keys or its deployments change and swaps it in with one assignment, so a
request sees either the old table or the new one, never a mix, and requests
already routed keep the instance they were given.
"""

from __future__ import annotations

import bisect
import hmac
import random
from dataclasses import dataclass, field

from workspace.local.serving import keys


@dataclass(frozen=True)
class Route:
    endpoint: str
    auth_mode: str
    secrets: tuple[str, ...]          # the accepted keys (key mode) or the token signing secret
    weights: tuple[tuple[int, str], ...]  # (cumulative weight, deployment) for deployments with traffic
    mirror: tuple[str, int] | None    # (shadow deployment, percent)
    deployments: frozenset[str] = field(default_factory=frozenset)

    @property
    def total(self) -> int:
        return self.weights[-1][0] if self.weights else 0

    def authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        presented = header[len("Bearer "):].strip()
        if self.auth_mode == "aml_token":
            return keys.verify_token(self.secrets[0] if self.secrets else "", self.endpoint, presented)
        return any(secret and hmac.compare_digest(presented, secret) for secret in self.secrets)

    def pick(self, rng: random.Random) -> str | None:
        if not self.total:
            return None
        point = rng.randrange(self.total)
        return self.weights[bisect.bisect_right(self.weights, (point, "\uffff"))][1]

    def shadow(self, rng: random.Random) -> str | None:
        if self.mirror and rng.random() * 100 < self.mirror[1]:
            return self.mirror[0]
        return None


def build_route(spec: dict, deployments: list[str], secrets: tuple[str, ...]) -> Route:
    cumulative, weights = 0, []
    for name, weight in sorted((spec.get("traffic") or {}).items()):
        if int(weight) > 0:
            cumulative += int(weight)
            weights.append((cumulative, name))
    mirror = next(((name, int(pct)) for name, pct in (spec.get("mirror_traffic") or {}).items() if int(pct) > 0), None)
    return Route(
        endpoint=spec["name"], auth_mode=spec.get("auth_mode") or "key", secrets=secrets,
        weights=tuple(weights), mirror=mirror, deployments=frozenset(deployments),
    )
