"""A ledger database migrated once a session, and copies of it: a test that needs the migrated
schema gets a copy (its tables created from the template's own definitions, about half the time
of applying every migration), not the migrations applied afresh. The test of the migrations
themselves, and `test_a_copy_of_the_template_is_the_migrated_schema`, keep them."""

from __future__ import annotations

from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from rollwatch.core.clickhouse import connect
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings


@dataclass(frozen=True)
class LedgerTemplate:
    database: str
    # (name, CREATE statement): the tables first, then the materialised views that write into them.
    definitions: tuple[tuple[str, str], ...]

    @classmethod
    def migrated(cls, settings: Settings) -> LedgerTemplate:
        """Every migration applied to the (empty) database `settings` names."""
        client = connect(settings)
        migrate(client)
        rows = client.query(
            "SELECT name, create_table_query, engine = 'MaterializedView' AS is_view FROM system.tables "
            "WHERE database = currentDatabase() ORDER BY is_view, name"
        ).result_rows
        return cls(settings.clickhouse_database, tuple((name, create) for name, create, _ in rows))

    def copy_into(self, settings: Settings) -> Client:
        """The template's tables and views, and its record of the migrations applied, in the (empty)
        database `settings` names; a client on it."""
        client = connect(settings)
        # The definitions name their database (`db.table`, and a view's `TO db.target` and `FROM`);
        # the template's name is unique to this session, so nothing else in them matches it.
        for _, create in self.definitions:
            client.command(create.replace(f"{self.database}.", f"{settings.clickhouse_database}."))
        client.command(f"INSERT INTO schema_migrations SELECT * FROM `{self.database}`.schema_migrations")
        return client
