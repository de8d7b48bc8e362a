"""Webhook signatures.

Every POST carries:
- `X-Rollwatch-Timestamp`: the send time, whole seconds since the Unix epoch (UTC), in ASCII;
- `X-Rollwatch-Signature`: `sha256=` and the lower-case hex HMAC-SHA256, keyed with the route's
  secret (the UTF-8 bytes of the environment variable's value), of exactly these bytes:

      <X-Rollwatch-Timestamp value> "." <raw request body>

  e.g. `1767225600.{"schema_version":1,...}`. The body is signed as sent, byte for byte: verify
  before parsing it.
- `Idempotency-Key`: the delivery id, the same on every attempt of one delivery and for the same
  alert transition on the same route, also after a restart (the body carries it too).

A receiver recomputes the HMAC, compares in constant time, and refuses a timestamp more than a
few minutes from its own clock (`verify_signature`'s `tolerance_s`), which stops a recorded
request being replayed later. Each attempt is signed afresh with its own timestamp.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Rollwatch-Signature"
TIMESTAMP_HEADER = "X-Rollwatch-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-Rollwatch-Attempt"
SCHEME = "sha256="
DEFAULT_TOLERANCE_S = 300


def signed_content(timestamp: int, body: bytes) -> bytes:
    return str(timestamp).encode("ascii") + b"." + body


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The `X-Rollwatch-Signature` value for `body` sent at `timestamp`."""
    digest = hmac.new(secret, signed_content(timestamp, body), hashlib.sha256).hexdigest()
    return SCHEME + digest


def verify_signature(
    secret: bytes,
    body: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    *,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """What a receiver does: True only for a well-formed, fresh and matching signature."""
    if not timestamp_header or not signature_header or not timestamp_header.isdigit():
        return False
    timestamp = int(timestamp_header)
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), signature_header.strip().encode("ascii", "replace"))
