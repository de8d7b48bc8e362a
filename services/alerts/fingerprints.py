"""Alert fingerprints: a stable id for "this rule about this subject", keyed so that it cannot be
reversed over the space of UPNs by anyone who sees it (the alerts API returns it).

A fingerprint is the HMAC-SHA256 (64 hex digits) under the fingerprint key
(`ROLLWATCH_FINGERPRINT_KEY`, or derived from `ROLLWATCH_SECRET_KEY`) of the subject digest: the
SHA-256 of rule and subject, which is what fingerprints were before they were keyed (32 hex
digits). So a stored fingerprint of the old kind is re-keyed by one HMAC (`rekeyed`), without
knowing its subject, and alerts raised before the change keep folding with new candidates.

The key is not rotated with the secret: a new key would give every open alert a new fingerprint
and a duplicate (docs/operations.md, "Rotating secrets")."""

from __future__ import annotations

import hashlib

from rollwatch.core.settings import get_settings
from rollwatch.core.signing import SecretKeys, Signer

_LEGACY_LENGTH = 32
_signer: Signer | None = None


def use_key(key: bytes) -> None:
    """The key for this process (from its settings), before any fingerprint is made."""
    global _signer
    _signer = SecretKeys(key).signer("alert-fingerprint")


def _current() -> Signer:
    if _signer is None:
        use_key(get_settings().fingerprint_secret)
    assert _signer is not None
    return _signer


def subject_digest(rule: str, *subject: str) -> str:
    text = "\x1f".join((rule, *subject))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_LEGACY_LENGTH]


def fingerprint(rule: str, *subject: str) -> str:
    """The same inputs give the same value in every process and every release (under one key), so
    duplicate candidates fold into one alert."""
    return _current().digest(subject_digest(rule, *subject).encode())


def rekeyed(stored: str) -> str:
    """A stored fingerprint as this release makes it: one from before fingerprints were keyed (32
    hex digits, the subject digest) is keyed now; a keyed one is returned as it is."""
    return _current().digest(stored.encode()) if len(stored) == _LEGACY_LENGTH else stored
