"""Alert fingerprints are keyed, stable under one key, and fingerprints stored before they were
keyed are re-keyed to the same value a new candidate gets (so dedup holds across the change)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.alerts import fingerprints
from services.alerts.fingerprints import fingerprint, rekeyed, subject_digest

KEY = b"a fingerprint key for the tests"


@pytest.fixture(autouse=True)
def _test_key() -> Iterator[None]:
    before = fingerprints._signer
    fingerprints.use_key(KEY)
    yield
    fingerprints._signer = before


def test_fingerprint_is_stable_across_releases() -> None:
    # a change here splits every stored alert from its future duplicates: never change it lightly
    assert subject_digest("no_destination", "H801200001001", "ev-1") == "cc54be6c29066874421cf10ca53e27dd"
    assert fingerprint("no_destination", "H801200001001", "ev-1") == (
        "0c0edd491c9411ec1986399bc5fbcfebd9a0202b7863e188a99ca092c5a7e6b7"
    )


def test_fingerprint_depends_on_rule_subject_and_order() -> None:
    base = fingerprint("high_mobility", "H801200001001")
    assert base == fingerprint("high_mobility", "H801200001001")
    assert base != fingerprint("suspension_limit", "H801200001001")
    assert base != fingerprint("high_mobility", "X00180001701A")
    assert fingerprint("r", "a", "b") != fingerprint("r", "b", "a")
    assert fingerprint("r", "ab") != fingerprint("r", "a", "b")
    assert len(base) == 64


def test_without_the_key_a_fingerprint_cannot_be_recomputed_from_a_upn() -> None:
    keyed = fingerprint("no_destination", "H801200001001", "ev-1")
    fingerprints.use_key(b"another key")
    assert fingerprint("no_destination", "H801200001001", "ev-1") != keyed
    assert subject_digest("no_destination", "H801200001001", "ev-1") not in keyed


def test_a_fingerprint_stored_before_keying_is_rekeyed_to_what_a_new_candidate_gets() -> None:
    legacy = subject_digest("exam_cohort_exit", "H801200001001", "2025")
    assert rekeyed(legacy) == fingerprint("exam_cohort_exit", "H801200001001", "2025")
    assert rekeyed(rekeyed(legacy)) == rekeyed(legacy)  # a keyed one is left as it is
