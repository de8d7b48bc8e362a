from __future__ import annotations

from rollwatch.app.console.sessions import SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_lives_while_used_and_ends_when_idle_too_long() -> None:
    clock = Clock()
    store = SessionStore(idle_seconds=60, clock=clock)
    session = store.new("abc123abc123")
    clock.now += 59
    assert store.get(session.session_id) is session  # seen: the idle time starts again
    clock.now += 59
    assert store.get(session.session_id) is session
    clock.now += 61
    assert store.get(session.session_id) is None
    assert store.get(session.session_id) is None  # gone for good
    assert store.get(None) is None and store.get("unknown") is None


def test_sessions_are_random_and_end_at_sign_out() -> None:
    store = SessionStore(idle_seconds=60)
    one, two = store.new("k1"), store.new("k1")
    assert one.session_id != two.session_id and one.csrf != two.csrf
    assert len(one.session_id) >= 43 and len(one.csrf) >= 43  # 256 bits each
    store.end(one.session_id)
    assert store.get(one.session_id) is None and store.get(two.session_id) is two


def test_the_csrf_token_must_match_exactly() -> None:
    session = SessionStore(idle_seconds=60).new()
    assert session.csrf_ok(session.csrf)
    for wrong in (None, "", session.csrf[:-1], session.csrf + "x", "forged"):
        assert not session.csrf_ok(wrong)


def test_idle_and_surplus_sessions_are_evicted_when_new_ones_start() -> None:
    clock = Clock()
    store = SessionStore(idle_seconds=60, clock=clock, max_sessions=3)
    first = store.new()
    clock.now += 61
    oldest = store.new()
    assert len(store) == 1  # the idle one went
    second, third = store.new(), store.new()
    store.new()  # one too many: the least recently seen goes
    assert len(store) == 3 and store.get(oldest.session_id) is None
    assert store.get(second.session_id) is second and store.get(third.session_id) is third
    assert store.get(first.session_id) is None
