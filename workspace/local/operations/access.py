"""``client.role_assignments``: who holds which built-in role on this workspace.

Azure keeps these in Azure RBAC (azure-mgmt-authorization), not in MLClient;
the local workspace keeps them in its database. The user who creates a
workspace becomes its Owner.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from workspace.errors import ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.store import utcnow

ROLES = ("Owner", "Contributor", "Reader", "AzureML Data Scientist", "AzureML Compute Operator")


@dataclass(frozen=True)
class RoleAssignment:
    principal: str
    role: str
    scope: str
    created_by: str | None
    created_at: str

    def to_dict(self) -> dict:
        return asdict(self)


def canonical_role(role: str) -> str:
    lookup = {r.lower(): r for r in ROLES}
    if role.lower() not in lookup:
        raise UserInputError.invalid("role", role, f"is not a built-in role; use one of: {', '.join(ROLES)}")
    return lookup[role.lower()]


class RoleAssignmentOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store

    def list(self, principal: str | None = None) -> list[RoleAssignment]:
        sql = "SELECT * FROM role_assignments"
        params: tuple = ()
        if principal is not None:
            sql, params = sql + " WHERE principal=?", (principal,)
        rows = self._store.read().execute(sql + " ORDER BY principal, role", params).fetchall()
        return [RoleAssignment(r["principal"], r["role"], r["scope"], r["created_by"], r["created_at"]) for r in rows]

    def roles_of(self, principal: str) -> list[str]:
        return [a.role for a in self.list(principal)]

    def create(self, principal: str, role: str) -> RoleAssignment:
        principal = _check_principal(principal)
        role = canonical_role(role)
        with self._store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO role_assignments(principal, role, scope, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                (principal, role, "workspace", self._ctx.user, utcnow()),
            )
        return next(a for a in self.list(principal) if a.role == role)

    def delete(self, principal: str, role: str) -> None:
        role = canonical_role(role)
        if role not in self.roles_of(principal):
            raise ResourceNotFoundError(
                f"role: {principal!r} does not hold {role!r} (holds: {', '.join(self.roles_of(principal)) or 'nothing'})",
                field="role", value=role,
            )
        owners = [a.principal for a in self.list() if a.role == "Owner"]
        if role == "Owner" and owners == [principal]:
            raise UserInputError.invalid("principal", principal, "is the workspace's last Owner; make someone else Owner first")
        with self._store.transaction() as db:
            db.execute("DELETE FROM role_assignments WHERE principal=? AND role=?", (principal, role))


def _check_principal(principal: str) -> str:
    if not principal or not principal.strip() or len(principal) > 256 or any(c.isspace() for c in principal):
        raise UserInputError.invalid("principal", principal, "is not a user name (no spaces, at most 256 characters)")
    return principal
