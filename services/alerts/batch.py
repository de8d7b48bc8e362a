"""What one batch of the alert service's work changes, held until its alert steps are stored.

The service judges `pupil-moves` records a batch at a time (and each tick's clocks as one batch).
Its lifecycle steps go to the alert store in one append, and only after that do the batch's table
writes (pupils' recent events, their clocks, the partitions' watermarks) reach the Faust tables
and their changelogs. So a crash before the append leaves the tables as they were: the records,
not yet acknowledged, are judged again rather than skipped as "judged already" with their alerts
lost. Within the batch, reads see the batch's own writes first (`get`), so a pupil with two
records in one batch is judged on both in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faust.types.tables import TableT

from rollwatch.core.table_store import get
from services.alerts.lifecycle import Alert


@dataclass
class Batch:
    steps: list[Alert] = field(default_factory=list)
    # (table name, key) -> (table, key, value, the partition its changelog record goes to)
    writes: dict[tuple[str, Any], tuple[TableT[Any, Any], Any, Any, int]] = field(default_factory=dict)

    # (table name, key) -> the table's value when first read in this batch: nothing else writes the
    # tables during a batch (the service's turn), and a record reads its pupil's keys more than once
    reads: dict[tuple[str, Any], Any] = field(default_factory=dict)

    def get(self, table: TableT[Any, Any], key: Any) -> Any:
        """The key's value as this batch leaves it (the table's, if the batch has not written it)."""
        slot = (table.name, key)
        written = self.writes.get(slot)
        if written is not None:
            return written[2]
        if slot not in self.reads:
            self.reads[slot] = get(table, key)
        return self.reads[slot]

    def put(self, table: TableT[Any, Any], key: Any, value: Any, partition: int) -> None:
        self.writes[(table.name, key)] = (table, key, value, partition)
