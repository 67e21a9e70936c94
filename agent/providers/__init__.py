"""Chat services, registered by name: ``get_provider("openai:gpt-4o", settings)``.

A model string is ``<provider>`` or ``<provider>:<rest>``. Each provider's
factory lives in its own module and is imported only when chosen, so naming
``offline`` never imports the OpenAI client. An unknown provider is a one-line
error listing the valid forms.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from workspace.errors import UserInputError


@dataclass(frozen=True)
class Provider:
    name: str
    usage: str          # how to write the model string
    factory: str        # "module:function", called as factory(rest, settings)
    needs_rest: bool = True


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("offline", "offline", "agent.providers.offline:offline_service", needs_rest=False),
        Provider("openai", "openai:<model>", "agent.providers.openai:openai_service"),
        Provider("azure-openai", "azure-openai:<deployment>", "agent.providers.openai:azure_openai_service"),
        Provider("openai-compatible", "openai-compatible:<model>@<base_url>", "agent.providers.openai:openai_compatible_service"),
    )
}


def provider_names() -> list[str]:
    return list(PROVIDERS)


def valid_forms() -> str:
    return ", ".join(p.usage for p in PROVIDERS.values())


def parse_model(model: str) -> tuple[Provider, str]:
    """Split ``provider:rest`` and check both halves; raises ``UserInputError``."""
    text = (model or "").strip()
    name, _, rest = text.partition(":")
    provider = PROVIDERS.get(name.lower())
    if provider is None:
        raise UserInputError(f"model: unknown provider {name!r} in {text!r}; use one of: {valid_forms()}", field="model", value=text)
    rest = rest.strip()
    if provider.needs_rest and not rest:
        raise UserInputError(f"model: {text!r} names no model; write it as {provider.usage}", field="model", value=text)
    if not provider.needs_rest and rest:
        message = f"model: {text!r}: the {provider.name} provider takes no model name; write {provider.usage}"
        raise UserInputError(message, field="model", value=text)
    return provider, rest


def get_provider(model: str, settings: Any = None) -> Any:
    """The semantic-kernel chat service for a model string."""
    provider, rest = parse_model(model)
    module_name, _, function_name = provider.factory.partition(":")
    factory = getattr(importlib.import_module(module_name), function_name)
    return factory(rest, settings)
