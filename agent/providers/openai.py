"""OpenAI, Azure OpenAI and OpenAI-compatible servers (Ollama, vLLM, llama.cpp).

All three are semantic-kernel's own OpenAI connectors; where a base URL or a
token provider is needed they get an ``AsyncOpenAI`` / ``AsyncAzureOpenAI``
client built here. A missing credential is a one-line error naming the
environment variable to set.
"""

from __future__ import annotations

import os
from typing import Any

from workspace.errors import UserInputError

DEFAULT_AZURE_API_VERSION = "2024-10-21"
# Local servers ignore the key, but the OpenAI client insists on one.
UNUSED_KEY = "unused"


def _secret(settings: Any, field: str) -> str | None:
    value = getattr(settings, field, None) if settings is not None else None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def openai_service(model: str, settings: Any = None) -> Any:
    """``openai:<model>``: key from AMLPILOT_OPENAI_API_KEY or OPENAI_API_KEY; OPENAI_BASE_URL optional."""
    from openai import AsyncOpenAI
    from semantic_kernel.connectors.ai.open_ai import OpenAIChatCompletion

    api_key = _secret(settings, "openai_api_key") or os.environ.get("OPENAI_API_KEY")
    if not api_key:
        raise UserInputError(f"model: openai:{model} needs an API key; set OPENAI_API_KEY", field="OPENAI_API_KEY")
    client = AsyncOpenAI(api_key=api_key, base_url=os.environ.get("OPENAI_BASE_URL") or None)
    return OpenAIChatCompletion(ai_model_id=model, async_client=client, service_id="chat")


def openai_compatible_service(spec: str, settings: Any = None) -> Any:
    """``openai-compatible:<model>@<base_url>``; the key (AMLPILOT_OPENAI_API_KEY) is optional."""
    from openai import AsyncOpenAI
    from semantic_kernel.connectors.ai.open_ai import OpenAIChatCompletion

    model, _, base_url = spec.partition("@")
    if not model or not base_url.startswith(("http://", "https://")):
        raise UserInputError(
            f"model: openai-compatible:{spec!r} is not <model>@<base_url>, e.g. openai-compatible:llama3@http://localhost:11434/v1",
            field="model", value=spec,
        )
    api_key = _secret(settings, "openai_api_key") or UNUSED_KEY
    client = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=1)
    return OpenAIChatCompletion(ai_model_id=model, async_client=client, service_id="chat")


def azure_openai_service(deployment: str, settings: Any = None) -> Any:
    """``azure-openai:<deployment>``: AZURE_OPENAI_ENDPOINT, then AZURE_OPENAI_API_KEY or Entra ID."""
    from openai import AsyncAzureOpenAI
    from semantic_kernel.connectors.ai.open_ai import AzureChatCompletion

    endpoint = os.environ.get("AZURE_OPENAI_ENDPOINT")
    if not endpoint:
        raise UserInputError(
            f"model: azure-openai:{deployment} needs the resource endpoint; set AZURE_OPENAI_ENDPOINT", field="AZURE_OPENAI_ENDPOINT"
        )
    api_version = os.environ.get("AZURE_OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION
    api_key = os.environ.get("AZURE_OPENAI_API_KEY")
    if api_key:
        client = AsyncAzureOpenAI(azure_endpoint=endpoint, api_key=api_key, api_version=api_version)
    else:
        client = AsyncAzureOpenAI(azure_endpoint=endpoint, azure_ad_token_provider=_entra_token_provider(), api_version=api_version)
    return AzureChatCompletion(
        deployment_name=deployment, endpoint=endpoint, api_version=api_version, async_client=client, service_id="chat",
    )


def _entra_token_provider() -> Any:
    """Entra ID through DefaultAzureCredential (az login, managed identity, environment)."""
    try:
        from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider
    except ImportError:
        raise UserInputError(
            "model: azure-openai without AZURE_OPENAI_API_KEY uses Entra ID, which needs azure-identity; "
            "install it or set AZURE_OPENAI_API_KEY", field="AZURE_OPENAI_API_KEY",
        ) from None
    return get_bearer_token_provider(DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default")
