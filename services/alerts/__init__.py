"""Alerts: the rules that flag unexplained removals from roll for a local authority officer.

The pure core (no Kafka, no ClickHouse) lives here: the school-day calendar (`calendar`), the
facts the rules read (`facts`), the thresholds (`parameters`), one module per rule (`rules`),
what a new fact resolves or inhibits (`resolution`) and the single entry point that runs them
all (`judge`). Every alert is a prompt for enquiry by a person, never a finding.
"""
