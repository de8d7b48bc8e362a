from __future__ import annotations

from services.alerts.candidates import fingerprint


def test_fingerprint_is_stable_across_releases() -> None:
    # a change here splits every stored alert from its future duplicates: never change it lightly
    assert fingerprint("no_destination", "H801200001001", "ev-1") == "cc54be6c29066874421cf10ca53e27dd"


def test_fingerprint_depends_on_rule_subject_and_order() -> None:
    base = fingerprint("high_mobility", "H801200001001")
    assert base == fingerprint("high_mobility", "H801200001001")
    assert base != fingerprint("suspension_limit", "H801200001001")
    assert base != fingerprint("high_mobility", "X00180001701A")
    assert fingerprint("r", "a", "b") != fingerprint("r", "b", "a")
    assert fingerprint("r", "ab") != fingerprint("r", "a", "b")
    assert len(base) == 32
