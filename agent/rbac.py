"""Azure RBAC, as the workspace's built-in roles define it, checked before any preview.

Permissions are Azure action names (``Microsoft.MachineLearningServices/
workspaces/computes/write``). Each role is a list of allowed patterns and of
excluded patterns (Azure's Actions / NotActions); ``fnmatch`` matches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

ML = "Microsoft.MachineLearningServices/workspaces"
GRANT_ACCESS = "Microsoft.Authorization/roleAssignments/write"


@dataclass(frozen=True)
class RoleDefinition:
    name: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    summary: str = ""

    def allows(self, permission: str) -> bool:
        return any(fnmatchcase(permission, p) for p in self.actions) and not any(
            fnmatchcase(permission, p) for p in self.not_actions
        )


ROLE_DEFINITIONS: dict[str, RoleDefinition] = {
    role.name: role
    for role in (
        RoleDefinition("Owner", ("*",), summary="everything, including granting access"),
        RoleDefinition(
            "Contributor", ("*",), ("Microsoft.Authorization/*/write", "Microsoft.Authorization/*/delete"),
            summary="everything except granting access",
        ),
        RoleDefinition("Reader", ("*/read",), summary="reads only"),
        RoleDefinition(
            "AzureML Data Scientist",
            (f"{ML}/*",),
            (f"{ML}/write", f"{ML}/delete", f"{ML}/computes/write", f"{ML}/computes/delete", "Microsoft.Authorization/*"),
            summary="everything in the workspace except creating or deleting compute and changing workspace settings",
        ),
        RoleDefinition(
            "AzureML Compute Operator", (f"{ML}/computes/*", f"{ML}/read"),
            summary="compute only",
        ),
    )
}


def allowed(roles: list[str] | tuple[str, ...], permission: str | None) -> bool:
    """Whether any role allows the action; an undeclared permission needs Owner or Contributor."""
    if permission is None:
        return any(r in ("Owner", "Contributor") for r in roles)
    return any(ROLE_DEFINITIONS[r].allows(permission) for r in roles if r in ROLE_DEFINITIONS)


def denial(user: str, roles: list[str] | tuple[str, ...], permission: str | None, tool: str) -> str:
    """The sentence a user sees when a role does not allow an action."""
    held = ", ".join(roles) if roles else "no role"
    needed = [name for name, role in ROLE_DEFINITIONS.items() if permission and role.allows(permission)]
    hint = f"; it needs one of: {', '.join(needed)}" if needed else ""
    return f"{user} ({held}) may not run {tool} ({permission or 'undeclared permission'}){hint}."


def roles_allowing(permission: str) -> list[str]:
    return [name for name, role in ROLE_DEFINITIONS.items() if role.allows(permission)]
