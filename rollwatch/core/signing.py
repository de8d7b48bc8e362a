"""HMAC-SHA256 signatures and keyed digests under keys derived from `ROLLWATCH_SECRET_KEY`.

One secret serves several purposes, each under a key of its own (the HMAC of the purpose's name
under the secret), so what is signed for one purpose never verifies for another. The current
secret signs; previous secrets (`ROLLWATCH_PREVIOUS_SECRET_KEYS`) only verify, so a rotation needs
no flag day: what an old secret signed or hashed keeps verifying until that secret is dropped
from the list. A signature names the secret that made it (`<secret id>:<hex>`, the id a digest of
the secret, never the secret), so a check can tell "altered" from "signed by a secret this
process does not know"."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import orjson

from rollwatch.core.sealed_log import plain

Purpose = Literal["key-record", "api-key-hash", "checkpoint", "alert-fingerprint"]
# What a check found: signed by the current secret or a previous one (both good), no signature,
# a signature by a secret not configured here, or a signature that does not match the content.
Verdict = Literal["current", "previous", "unsigned", "unknown_secret", "altered"]
GOOD: frozenset[Verdict] = frozenset({"current", "previous"})


def derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, b"rollwatch/" + purpose.encode(), hashlib.sha256).digest()


def secret_id(secret: bytes) -> str:
    """A short public name of a secret: which secret signed something, without revealing it."""
    return derive(secret, "secret-id").hex()[:8]


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: compact JSON with sorted keys, datetimes in UTC to the
    millisecond (`sealed_log.plain`), so the writer and any later reader agree byte for byte."""
    return orjson.dumps(plain(document))


@dataclass(frozen=True)
class Signer:
    """Signs and digests for one purpose with the current secret; checks against every secret."""

    keys: tuple[tuple[str, bytes], ...]  # (secret id, derived key), the current secret's first

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def sign(self, payload: bytes) -> str:
        kid, key = self.keys[0]
        return f"{kid}:{hmac.new(key, payload, hashlib.sha256).hexdigest()}"

    def check(self, payload: bytes, signature: object) -> Verdict:
        if not isinstance(signature, str) or not signature:
            return "unsigned"
        kid, _, mac = signature.partition(":")
        for index, (known, key) in enumerate(self.keys):
            if known == kid:
                expected = hmac.new(key, payload, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, mac):
                    return "altered"
                return "current" if index == 0 else "previous"
        return "unknown_secret"

    def digest(self, data: bytes) -> str:
        """A keyed digest (HMAC-SHA256, hex) under the current secret."""
        return hmac.new(self.keys[0][1], data, hashlib.sha256).hexdigest()

    def digests(self, data: bytes) -> tuple[str, ...]:
        """The keyed digest under each secret, the current first: to match a stored digest."""
        return tuple(hmac.new(key, data, hashlib.sha256).hexdigest() for _, key in self.keys)


@lru_cache(maxsize=64)
def _signer(secrets: tuple[bytes, ...], purpose: Purpose) -> Signer:
    return Signer(tuple((secret_id(s), derive(s, purpose)) for s in secrets))


@dataclass(frozen=True)
class SecretKeys:
    current: bytes
    previous: tuple[bytes, ...] = ()

    def signer(self, purpose: Purpose) -> Signer:
        return _signer((self.current, *(s for s in self.previous if s != self.current)), purpose)
