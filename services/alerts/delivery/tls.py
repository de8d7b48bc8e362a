"""TLS for both channels: certificates and host names always verified."""

from __future__ import annotations

import ssl
from pathlib import Path


def verifying_context(ca_file: Path | None) -> ssl.SSLContext:
    """Trusts the system's CAs, plus those in `ca_file` (an LA's private CA) when given."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context
