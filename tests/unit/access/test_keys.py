import pytest
from pydantic import ValidationError

from rollwatch.core.access.keys import hash_key, key_id_of, matches, new_key


def test_a_new_key_is_stored_only_as_its_hash() -> None:
    token, record = new_key("school", urns=("100001", "100000", "100000"))
    assert token.startswith(f"rw_{record.key_id}_")
    assert record.key_hash == hash_key(token)
    assert token not in record.model_dump_json()
    assert record.urns == ("100000", "100001")
    assert "key_hash" not in record.public()


def test_a_key_matches_only_itself() -> None:
    token, record = new_key("auditor")
    other, _ = new_key("auditor")
    assert matches(token, record)
    assert not matches(other, record)
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
        new_key(role, **kwargs)  # type: ignore[arg-type]
