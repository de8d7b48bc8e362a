"""API keys. A key is `rw_<key id>_<secret>`; only a keyed hash of it is ever stored: the HMAC,
under a key derived from `ROLLWATCH_SECRET_KEY`, of the key's SHA-256 (so a record written before
hashes were keyed can be adopted without the key: `rollwatch keys adopt`). Key records are events
on a compacted Kafka topic keyed by key id, signed (`keyring.py`): the latest record of a key
wins, so a revocation is one more record and nothing is edited in place."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from secrets import token_hex, token_urlsafe
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rollwatch.core.signing import SecretKeys

Role = Literal["school", "la_officer", "auditor"]
ROLES: tuple[Role, ...] = ("school", "la_officer", "auditor")
_TOKEN = re.compile(r"^rw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


class KeyRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str = Field(pattern=r"^[0-9a-f]{12}$")
    role: Role
    urns: tuple[str, ...] = ()
    la_code: str | None = Field(default=None, pattern=r"^[0-9]{3}$")
    label: str = ""
    # The person who holds an officer's key, shown in the console and kept with every action it
    # takes; optional (records written before names existed have none).
    name: str = Field(default="", max_length=100)
    key_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _scope_fits_role(self) -> KeyRecord:
        if self.role == "school" and not self.urns:
            raise ValueError("a school key needs at least one URN")
        if self.role == "la_officer" and self.la_code is None:
            raise ValueError("an LA officer key needs an LA code")
        if self.role != "school" and self.urns:
            raise ValueError("only school keys are scoped to URNs")
        if self.role != "la_officer" and self.la_code is not None:
            raise ValueError("only LA officer keys are scoped to an LA")
        if any(not re.fullmatch(r"[0-9]{6}", urn) for urn in self.urns):
            raise ValueError("a URN is 6 digits")
        return self

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def display_name(self) -> str:
        """The holder's name, or the key id where the key has none."""
        return self.name or f"key {self.key_id}"

    def public(self) -> dict[str, object]:
        """What `keys list` shows: everything but the hash."""
        return self.model_dump(mode="json", exclude={"key_hash"})


def plain_hash(token: str) -> str:
    """What records before keyed hashes stored, and what the keyed hash is taken over."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(plain: str, secrets: SecretKeys) -> str:
    """The stored hash of a key whose SHA-256 is `plain`, under the current secret."""
    return secrets.signer("api-key-hash").digest(plain.encode())


def hash_key(token: str, secrets: SecretKeys) -> str:
    return keyed_hash(plain_hash(token), secrets)


def new_key(
    role: Role,
    *,
    secrets: SecretKeys,
    urns: tuple[str, ...] = (),
    la_code: str | None = None,
    label: str = "",
    name: str = "",
) -> tuple[str, KeyRecord]:
    """A fresh key and its record; the key itself is shown once and never stored."""
    key_id = token_hex(6)
    token = f"rw_{key_id}_{token_urlsafe(32)}"
    record = KeyRecord(
        key_id=key_id,
        role=role,
        urns=tuple(sorted(set(urns))),
        la_code=la_code,
        label=label,
        name=name.strip(),
        key_hash=hash_key(token, secrets),
        created_at=dt.datetime.now(dt.UTC),
    )
    return token, record


def key_id_of(token: str) -> str | None:
    match = _TOKEN.match(token)
    return match.group(1) if match else None


def matches(token: str, record: KeyRecord, secrets: SecretKeys) -> bool:
    """The token is the record's key, hashed under the current secret or a previous one (a key
    issued before a rotation keeps working while its secret is listed as previous)."""
    candidates = secrets.signer("api-key-hash").digests(plain_hash(token).encode())
    return any(hmac.compare_digest(digest, record.key_hash) for digest in candidates)
