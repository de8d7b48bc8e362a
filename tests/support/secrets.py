"""The secrets of the tests that sign and hash in-process (a product started as a process of its
own signs with its own settings: `RunningProduct.issue_key`), and keys forged without them."""

from __future__ import annotations

import hashlib

import orjson
from kafka import KafkaProducer

from rollwatch.core.access.keyring import encode_record
from rollwatch.core.access.keys import new_key
from rollwatch.core.signing import SecretKeys

SECRETS = SecretKeys(b"the tests' secret")
GUESSED = SecretKeys(b"a guessed secret")


def produce_forged_keys(bootstrap: str, topic: str) -> str:
    """An auditor's key minted by someone who can produce to the key topic but lacks the secret: a
    record unsigned (its hash the key's plain SHA-256, as before hashes were keyed) and one signed
    with a guessed secret, produced straight to `topic`. Returns the key they would send."""
    token, record = new_key("auditor", secrets=GUESSED)
    unsigned = record.model_copy(update={"key_hash": hashlib.sha256(token.encode()).hexdigest()})
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        key = record.key_id.encode()
        producer.send(topic, key=key, value=orjson.dumps(unsigned.model_dump(mode="json"))).get(timeout=30)
        producer.send(topic, key=key, value=encode_record(record, GUESSED)).get(timeout=30)
    finally:
        producer.close()
    return token
