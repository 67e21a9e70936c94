"""``session-undo``: revert this conversation's last change by running its inverse.

Write tools put the call that reverts them in their plan (``Plan.inverse``) and
the audit log keeps it. Undo finds the session's newest approved change that
has one and was not undone yet, and runs the inverse through the kernel, so
the inverse meets the same RBAC check, preview and approval as any other call.
Undo itself changes nothing, hence ``read``; it is not offered in read-only mode.
"""

from __future__ import annotations

from typing import Annotated, Any, Awaitable, Callable

from agent.audit import AuditLog
from tools.base import ML, ToolCall, ToolContext, ToolPlugin, tool

# (the inverse call, the audit seq it reverts) -> what the inverse returned
InverseRunner = Callable[[ToolCall, int], Awaitable[Any]]


class UndoPlugin(ToolPlugin):
    plugin_name = "session"
    description = "This conversation: undo its last change."

    def __init__(
        self,
        client: Any,
        context: ToolContext | None = None,
        *,
        audit: AuditLog | None = None,
        session_id: str = "",
        runner: InverseRunner | None = None,
    ) -> None:
        super().__init__(client, context)
        self.audit = audit
        self.session_id = session_id
        self.runner = runner

    @tool(effect="read", permission=f"{ML}/read", examples=("undo that", "revert the last change"))
    async def undo(self) -> Annotated[Any, "What the inverse call returned, or why there is nothing to undo."]:
        """Undo the last change made in this conversation.

        Proposes the inverse of the newest approved change (for example deleting a
        compute that was just created); the user is asked to approve it as usual.
        """
        if self.audit is None or self.runner is None:
            return "Nothing to undo: this session keeps no audit log."
        row = self.audit.last_undoable(self.session_id)
        if row is None:
            return "Nothing to undo: no change in this session has an inverse that was not undone already."
        inverse = ToolCall.model_validate_json(row["inverse"])
        result = await self.runner(inverse, row["seq"])
        return {"undoing": row["tool"], "audit_seq": row["seq"], "inverse": inverse.tool, "result": result}
