"""A DataTable that a worker refills on every poll without losing the user's place.

The trial table, the leaderboard and the endpoint metrics are redrawn as fresh
readings arrive; ``refill`` replaces columns and rows and puts the cursor back
on the row with the same key, so reading down a table isn't interrupted.
"""

from __future__ import annotations

from typing import Any, Iterable

from textual.widgets import DataTable


class LiveTable(DataTable):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)

    def refill(self, columns: Iterable[tuple[Any, str]], rows: Iterable[tuple[str, list[Any]]]) -> None:
        """``columns`` as (label, key); ``rows`` as (key, cells)."""
        kept = self._cursor_key()
        self.clear(columns=True)
        for label, key in columns:
            self.add_column(label, key=key)
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if kept is not None and kept in self.rows:
            self.move_cursor(row=self.get_row_index(kept), animate=False)

    def _cursor_key(self) -> str | None:
        if not self.row_count or not self.is_valid_coordinate(self.cursor_coordinate):
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
