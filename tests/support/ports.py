"""Free loopback ports for servers the tests start (the helper the bench shares, in
`tools.harness.ports`)."""

from __future__ import annotations

from tools.harness.ports import free_port

__all__ = ["free_port"]
