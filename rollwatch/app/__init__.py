"""Composition: the all-in-one HTTP app, the command line and the demo. The only place that knows
every service; nothing below imports it."""
