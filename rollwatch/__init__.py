"""Rollwatch. `rollwatch.core` is what every service stands on; `rollwatch.app` composes the
services (`services/`) into the HTTP app and the command line. See docs/architecture.md."""
