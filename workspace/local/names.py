"""Azure ML's naming rules, checked before anything is written.

Azure checks these on the service; the local workspace checks the same rules
so that a name that works here also works when the user moves to Azure.
"""

from __future__ import annotations

import re

from workspace.errors import UserInputError

_ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,29}$")
_DATASTORE = re.compile(r"^[a-z0-9_]{1,255}$")
_COMPUTE_LIMITS = {"amlcompute": (2, 16), "computeinstance": (3, 24)}


def check_asset_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name:
        raise UserInputError.missing(field)
    if not _ASSET_NAME.match(name):
        raise UserInputError.invalid(
            field, name, "is not a valid asset name: use letters, digits, '-', '_' and '.', starting with a letter or digit (at most 255 characters)"
        )
    return name


def check_version(version: object, field: str = "version") -> str:
    text = str(version)
    if not _VERSION.match(text):
        raise UserInputError.invalid(
            field, text, "is not a valid version: use letters, digits, '-', '_' and '.', starting with a letter or digit (at most 30 characters)"
        )
    return text


def check_compute_name(name: object, compute_type: str = "amlcompute") -> str:
    low, high = _COMPUTE_LIMITS.get(compute_type, (2, 16))
    if not isinstance(name, str) or not name:
        raise UserInputError.missing("name")
    if not (low <= len(name) <= high) or not re.match(r"^[A-Za-z][A-Za-z0-9\-]*$", name) or name.endswith("-"):
        raise UserInputError.invalid(
            "name", name,
            f"is not a valid {compute_type} name: {low}-{high} characters, letters, digits and hyphens, "
            "starting with a letter and not ending with a hyphen",
        )
    return name


def check_datastore_name(name: object) -> str:
    if not isinstance(name, str) or not _DATASTORE.match(name):
        raise UserInputError.invalid("name", name, "is not a valid datastore name: use lowercase letters, digits and underscores")
    return name
