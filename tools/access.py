"""access-*: who holds which built-in role on the workspace, and who may do what."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import Plan, ToolCall, ToolPlugin, one_of, tool
from workspace.errors import ResourceNotFoundError, UserInputError

AUTH = "Microsoft.Authorization/roleAssignments"
ROLES = ("Owner", "Contributor", "Reader", "AzureML Data Scientist", "AzureML Compute Operator")

Principal = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^\S+$"), "User or service principal, e.g. alice@contoso.com"]
Role = Annotated[Literal[ROLES], one_of(*ROLES),
                 "Built-in role: Owner (everything), Contributor (all but access), Reader (read only), "
                 "AzureML Data Scientist (all but compute create/delete and workspace settings), AzureML Compute Operator (compute only)"]


class AccessPlugin(ToolPlugin):
    plugin_name = "access"
    description = "Access control: role assignments on the workspace and who is allowed to do what."

    @property
    def assignments(self) -> Any:
        operations = getattr(self.client, "role_assignments", None)
        if operations is None:
            raise UserInputError("access: this backend keeps roles in Azure RBAC; manage them in the Azure portal or with az role assignment")
        return operations

    def _roles_of(self, principal: str) -> list[str]:
        return sorted(self.assignments.roles_of(principal))

    @tool(effect="read", permission=f"{AUTH}/read", examples=[
        "who has access to this workspace?", "list role assignments", "what roles does alice@contoso.com have?",
        "who are the owners?", "show access", "which users can use this workspace?",
    ])
    def list(self, principal: Annotated[str | None, Field(max_length=256), "Only this user's roles; omit for everyone"] = None) -> list[dict]:
        """List role assignments on the workspace: who holds which built-in role, and who granted it."""
        return [{"principal": a.principal, "role": a.role, "granted_by": a.created_by, "granted_at": a.created_at}
                for a in self.assignments.list(principal)]

    @tool(effect="write", permission=f"{AUTH}/write", examples=[
        "give alice@contoso.com the Reader role", "make bob a data scientist here", "grant Contributor to carol",
        "let dave manage compute", "add erin as an owner of the workspace", "allow frank to read the workspace",
    ])
    def grant(self, principal: Principal, role: Role) -> dict:
        """Grant a built-in role on this workspace to a user or service principal. Only Owners may grant access."""
        plan = self.preview_grant(principal, role)
        self.assignments.create(principal, role)
        return {"status": "granted", "principal": principal, "roles": self._roles_of(principal), "summary": plan.summary}

    def preview_grant(self, principal: Principal, role: Role) -> Plan:
        held = self._roles_of(principal)
        desired = sorted(set(held) | {role})
        already = role in held
        return Plan(
            action="grant role", target=f"access/{principal}", current={"principal": principal, "roles": held},
            desired={"principal": principal, "roles": desired},
            summary=f"access {principal}: {_roles_line(held)} -> {_roles_line(desired)}", resource_name=principal,
            inverse=None if already else ToolCall(tool="access-revoke", arguments={"principal": principal, "role": role}),
            warnings=[f"{principal} already holds {role}"] if already else [],
        )

    @tool(effect="destructive", permission=f"{AUTH}/delete", resource_arg="principal", examples=[
        "remove alice's Reader role", "revoke Contributor from bob", "take away carol's access",
        "bob should no longer be an owner", "revoke the data scientist role from dave",
    ])
    def revoke(self, principal: Principal, role: Role) -> dict:
        """Remove one role assignment from a user. The workspace's last Owner can't be removed."""
        plan = self.preview_revoke(principal, role)
        self.assignments.delete(principal, role)
        return {"status": "revoked", "principal": principal, "roles": self._roles_of(principal), "summary": plan.summary}

    def preview_revoke(self, principal: Principal, role: Role) -> Plan:
        held = self._roles_of(principal)
        if role not in held:
            raise ResourceNotFoundError(f"role: {principal!r} does not hold {role!r} (holds: {', '.join(held) or 'nothing'})",
                                        field="role", value=role)
        if role == "Owner" and [a.principal for a in self.assignments.list() if a.role == "Owner"] == [principal]:
            raise UserInputError.invalid("principal", principal, "is the workspace's last Owner; make someone else Owner first")
        desired = [r for r in held if r != role]
        warnings = [f"you are {principal}: you lose what {role} allowed"] if principal == self.context.user else []
        return Plan(
            action="revoke role", target=f"access/{principal}", current={"principal": principal, "roles": held},
            desired={"principal": principal, "roles": desired},
            summary=f"access {principal}: {_roles_line(held)} -> {_roles_line(desired)}", resource_name=principal,
            inverse=ToolCall(tool="access-grant", arguments={"principal": principal, "role": role}), warnings=warnings,
        )

    @tool(effect="read", permission=f"{AUTH}/read", examples=[
        "who can create compute here?", "who is allowed to delete models?", "can anyone besides me grant access?",
        "which roles allow compute-delete?", "who may register data?", "who can deploy here?",
    ])
    def check(
        self,
        action: Annotated[str, Field(min_length=3, max_length=300),
                          "A tool name such as compute-create, or an Azure action such as "
                          "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write"],
    ) -> dict:
        """Say which built-in roles allow an action and which people hold one of them ("who can deploy here?")."""
        from agent.rbac import roles_allowing

        permission = _permission_of(action)
        roles = roles_allowing(permission)
        holders: dict[str, list[str]] = {}
        for assignment in self.assignments.list():
            if assignment.role in roles:
                holders.setdefault(assignment.principal, []).append(assignment.role)
        return {"action": action, "permission": permission, "roles": roles,
                "principals": [{"principal": p, "roles": r} for p, r in sorted(holders.items())]}


def _permission_of(action: str) -> str:
    """An Azure action name as given, or the permission a tool declares."""
    if "/" in action:
        return action
    from tools.catalog import all_specs

    spec = all_specs().get(action)
    if spec is None:
        raise UserInputError.invalid("action", action, "is neither a tool name (like compute-create) nor an Azure action name")
    return spec.permission or "*"


def _roles_line(roles: list[str]) -> str:
    return ", ".join(roles) if roles else "no role"
