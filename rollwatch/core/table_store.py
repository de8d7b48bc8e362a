"""Faust tables on disk: faust's own RocksDB store (one database per table partition under the
stream data folder, rebuilt from the table's changelog topic when the folder is lost) on the
rocksdict driver, registered as the `rocksdict://` store.

Two changes to faust's store, both about partitions. Faust files a key in the partition of the
event being processed and looks it up only there; the alert service also writes from its timer
(no event) and writes a replaced UPN's state to that UPN's own partition, giving the partition
itself with the changelog record. So `put` takes the partition (the same one the changelog record
goes to, so a rebuild files the key where it was), and reads look a key up wherever it is (faust's
key index, else each open partition's bloom filter) instead of in the current event's partition
only. The sizes keep a process with a dozen of these databases small: the data lives on disk,
and RocksDB's defaults (64 MiB write buffers, a 2 GiB block cache per database) are for servers."""

from __future__ import annotations

from typing import Any

from faust.stores import STORES
from faust.stores.rocksdb import Store

SCHEME = "rocksdict"
_SIZES = {
    "write_buffer_size": 4 * 1024 * 1024,
    "max_write_buffer_number": 2,
    "target_file_size_base": 16 * 1024 * 1024,
    "block_cache_size": 8 * 1024 * 1024,
}


class PartitionedStore(Store):
    def __init__(self, *args: Any, options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, options={**_SIZES, **(options or {}), "driver": "rocksdict"}, **kwargs)

    def put(self, partition: int, key: Any, value: Any) -> None:
        """Store `value` under `key` in the database of `partition`."""
        raw_key = self._encode_key(key)
        self._db_for_partition(partition).put(raw_key, self._encode_value(value))
        self._key_index[raw_key] = partition

    def value_of(self, key: Any) -> Any:
        """The key's value, or None: one lookup (a faust table's `get` makes two, each through
        its LRU key index, and they were a third of the alert service's judging time)."""
        raw = self._get(self._encode_key(key))
        return None if raw is None else self._decode_value(raw)

    def _get(self, key: bytes) -> bytes | None:
        found = self._get_bucket_for_key(key)
        return None if found is None else found.value

    def _contains(self, key: bytes) -> bool:
        return self._get_bucket_for_key(key) is not None


def get(table: Any, key: Any) -> Any:
    """A table's value for `key`, or None, on disk or in memory alike (for tables whose default is
    None: faust's table sensors are not told of the read)."""
    store = table.data
    return store.value_of(key) if isinstance(store, PartitionedStore) else store.get(key)


def put(table: Any, partition: int, key: Any, value: Any) -> None:
    """Set a table's key in `partition` (the partition its changelog record is sent to), on disk
    or in memory alike."""
    store = table.data
    if isinstance(store, PartitionedStore):
        store.put(partition, key, value)
    else:
        store[key] = value


# Faust finds stores by URL scheme in this registry.
STORES.aliases.setdefault(SCHEME, f"{__name__}:PartitionedStore")
STORE_URL = f"{SCHEME}://"
