"""Prompts as files: the system prompt is ``system.md``, overridable by path.

Templates use ``$name`` placeholders (``string.Template``), so Markdown and JSON
braces in a prompt need no escaping; an unknown placeholder is left as it is.
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Any

PROMPTS_DIR = Path(__file__).resolve().parent


def prompt_path(name: str = "system", override: str | Path | None = None) -> Path:
    return Path(override).expanduser() if override else PROMPTS_DIR / f"{name}.md"


def load_prompt(name: str = "system", override: str | Path | None = None) -> str:
    """The template text; a missing override is a one-line ``UserInputError``."""
    path = prompt_path(name, override)
    if not path.is_file():
        from workspace.errors import UserInputError

        raise UserInputError.missing_path("system_prompt", path)
    return path.read_text(encoding="utf-8")


def render(template: str, **values: Any) -> str:
    return Template(template).safe_substitute({key: str(value) for key, value in values.items()})


def system_prompt(override: str | Path | None = None, **values: Any) -> str:
    return render(load_prompt("system", override), **values)
