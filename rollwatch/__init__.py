"""Rollwatch's shared core: settings, topic names, the ledger connection, the local broker,
the composed all-in-one app and the command line. The services live in `services/`."""
