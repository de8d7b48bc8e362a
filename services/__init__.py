"""Rollwatch's services: ingest writes, the tracker records, alerts judge."""
