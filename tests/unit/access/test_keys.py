import pytest
from pydantic import ValidationError

from rollwatch.core.access.keys import hash_key, key_id_of, matches, new_key
from rollwatch.core.kafka_connection import KafkaConnection
from tests.support.secrets import SECRETS


def test_a_new_key_is_stored_only_as_its_hash() -> None:
    token, record = new_key("school", secrets=SECRETS, urns=("100001", "100000", "100000"))
    assert token.startswith(f"rw_{record.key_id}_")
    assert record.key_hash == hash_key(token, SECRETS)
    assert token not in record.model_dump_json()
    assert record.urns == ("100000", "100001")
    assert "key_hash" not in record.public()


def test_a_key_matches_only_itself() -> None:
    token, record = new_key("auditor", secrets=SECRETS)
    other, _ = new_key("auditor", secrets=SECRETS)
    assert matches(token, record, SECRETS)
    assert not matches(other, record, SECRETS)
    assert key_id_of(token) == record.key_id
    assert key_id_of("Bearer nonsense") is None


@pytest.mark.parametrize(
    ("role", "kwargs", "message"),
    [
        ("school", {}, "at least one URN"),
        ("la_officer", {}, "needs an LA code"),
        ("auditor", {"urns": ("100000",)}, "only school keys"),
        ("school", {"urns": ("100000",), "la_code": "801"}, "only LA officer keys"),
        ("school", {"urns": ("12345",)}, "6 digits"),
    ],
)
def test_scope_must_fit_the_role(role: str, kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError, match=message):
        new_key(role, secrets=SECRETS, **kwargs)  # type: ignore[arg-type]


def test_an_officer_key_carries_its_holders_name_and_old_records_still_read() -> None:
    from rollwatch.core.access.keys import KeyRecord

    _, record = new_key("la_officer", secrets=SECRETS, la_code="886", name=" Sam Patel ")
    assert record.name == "Sam Patel" and record.display_name == "Sam Patel"
    assert record.public()["name"] == "Sam Patel"
    old = record.model_dump(mode="json", exclude={"name"})  # written before keys had names
    again = KeyRecord.model_validate(old)
    assert again.name == "" and again.display_name == f"key {record.key_id}"


def test_the_key_ring_lists_an_las_active_officers_by_name() -> None:
    import datetime as dt

    from rollwatch.core.access.keyring import KeyRing

    ring = KeyRing(KafkaConnection("127.0.0.1:1"), "keys", SECRETS)
    _, zoe = new_key("la_officer", secrets=SECRETS, la_code="886", name="Zoe Adams")
    _, sam = new_key("la_officer", secrets=SECRETS, la_code="886", name="Sam Patel")
    _, gone = new_key("la_officer", secrets=SECRETS, la_code="886", name="Al Gone")
    _, other = new_key("la_officer", secrets=SECRETS, la_code="330", name="Other LA")
    _, school = new_key("school", secrets=SECRETS, urns=("100000",))
    for record in (zoe, sam, gone.model_copy(update={"revoked_at": dt.datetime.now(dt.UTC)}), other, school):
        ring.add(record)
    assert [r.name for r in ring.officers("886")] == ["Sam Patel", "Zoe Adams"]
    assert ring.get(school.key_id) == school
