"""Ingest: the schools' door. Validates events and publishes them to Kafka, answering only once
the broker has acknowledged them."""
