"""amlpilot's settings: one place, one declaration per environment variable.

Precedence, highest first: command-line flags, ``AMLPILOT_*`` environment
variables, the config file (``AMLPILOT_CONFIG`` or
``<user config dir>/amlpilot/config.toml``), then the defaults below.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

ENV_PREFIX = "AMLPILOT_"
ROLES = ("Owner", "Contributor", "Reader", "AzureML Data Scientist", "AzureML Compute Operator")


def default_workspace_root(name: str = "default") -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("amlpilot", appauthor=False)) / "workspaces" / name


def default_config_file() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("amlpilot", appauthor=False)) / "config.toml"


def config_file() -> Path:
    """The config file in force: ``AMLPILOT_CONFIG`` if set, else the per-user default."""
    override = os.environ.get(f"{ENV_PREFIX}CONFIG")
    return Path(override).expanduser() if override else default_config_file()


class Settings(BaseSettings):
    """Every setting, with its environment variable ``AMLPILOT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_default=True)

    workspace: Path | None = Field(
        default=None,
        description="The local workspace folder. Default: the user data dir's amlpilot/workspaces/default.",
    )
    backend: Literal["local", "azure"] = Field(
        default="local",
        description="Which workspace backend to operate: the embedded local workspace, or Azure ML.",
    )
    model: str = Field(
        default="offline",
        description="The chat model: 'offline' (the embedded planner) or a provider model such as 'openai:gpt-4o'.",
    )
    user: str = Field(
        default_factory=getpass.getuser,
        description="The identity acting on the workspace, as recorded in the audit log and checked against role assignments.",
    )
    roles: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Override the identity's roles, comma-separated ("
        + ", ".join(ROLES)
        + "). Default: the roles assigned to the user in the workspace; a new workspace makes its creator Owner.",
    )
    read_only: bool = Field(default=False, description="Hide and refuse every tool that changes the workspace.")
    secrets_backend: Literal["auto", "keyring", "file"] = Field(
        default="auto",
        description="Where datastore secrets are kept: the OS keyring, a 0600 file in the workspace, or auto (keyring when usable).",
    )
    openai_api_key: SecretStr | None = Field(default=None, description="API key for OpenAI-compatible model providers.")

    @field_validator("roles", mode="before")
    @classmethod
    def _split_roles(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        lookup = {role.lower(): role for role in ROLES}
        unknown = [role for role in value if role.lower() not in lookup]
        if unknown:
            raise ValueError(f"unknown role {unknown[0]!r}; use one of: {', '.join(ROLES)}")
        return [lookup[role.lower()] for role in value]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return init_settings, env_settings, toml

    @property
    def workspace_root(self) -> Path:
        return (self.workspace or default_workspace_root()).expanduser()


def load_settings(**overrides: Any) -> Settings:
    """Settings with command-line overrides; ``None`` means 'not given on the command line'.

    Invalid values raise ``UserInputError`` naming the setting and its variable.
    """
    from pydantic import ValidationError

    from workspace.errors import UserInputError

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        message = error["msg"].removeprefix("Value error, ")
        raise UserInputError(
            f"{field} ({ENV_PREFIX}{field.upper()}): {error.get('input')!r} is invalid: {message}", field=field
        ) from None


def describe_settings() -> list[dict[str, str]]:
    """One row per setting: variable, type, default and doc (for `amlpilot config` and docs)."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default_factory.__name__ if field.default_factory else repr(field.default)
        rows.append(
            {
                "variable": f"{ENV_PREFIX}{name.upper()}",
                "type": str(field.annotation).replace("typing.", ""),
                "default": default,
                "doc": field.description or "",
            }
        )
    return rows
