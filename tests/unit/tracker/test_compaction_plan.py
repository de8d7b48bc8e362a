"""What `rollwatch compact` asks of ClickHouse, without it: the statement for one server and for a
cluster (the shards' local tables, which rollwatch/core/cluster_ddl.py makes for every table a
history reads), and the refusal of a disk without room for the merge's copy."""

from __future__ import annotations

import pytest

from rollwatch.core.cluster_ddl import SHARDED
from services.tracker.compaction import HISTORY_TABLES, NoRoom, Parts, check_room, optimize_sql


def test_one_server_merges_the_table_itself() -> None:
    assert optimize_sql("pupil_history_rows", None) == "OPTIMIZE TABLE `pupil_history_rows` FINAL"


def test_a_cluster_merges_each_shards_local_table() -> None:
    assert (
        optimize_sql("pupil_placements", "rollwatch")
        == "OPTIMIZE TABLE `pupil_placements_local` ON CLUSTER `rollwatch` FINAL"
    )
    assert set(HISTORY_TABLES) <= set(SHARDED)  # each has a `_local` table on a cluster


def test_a_disk_without_room_for_the_copy_is_refused_naming_the_table_and_both_sizes() -> None:
    parts = Parts(count=9, rows=10_018_128, bytes=1010 * 2**20)
    check_room("pupil_history_rows", parts, free=1011 * 2**20)
    with pytest.raises(
        NoRoom, match=r"^pupil_history_rows: the merge needs 1,010.0 MiB free .* 1,009.0 MiB is free"
    ):
        check_room("pupil_history_rows", parts, free=1009 * 2**20)
