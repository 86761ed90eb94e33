"""The manual clock: now, set_clock, advance, tick and next_deadline, and each timer firing."""

from __future__ import annotations

import datetime as dt

import pytest

import convo
from convo._time import rfc3339
from conftest import START, make

S = dt.timedelta(seconds=1)
M = dt.timedelta(minutes=1)
WRAP_UP = 300 * S  # wrap_up_timeout_seconds default: every ended conversation's pending wrap-up


def record(engine: convo.Engine) -> list:
    """What timers fire from now on: (conversation id, feed type, reason, timer, at)."""
    fired: list = []
    engine.subscribe(lambda e: fired.append((e["conversation_id"], e["type"], e["reason"], e["data"]["timer"], e["at"]))
                     if "timer" in e["data"] else None)
    return fired


def per_conversation(fired: list) -> dict:
    """Firings grouped by conversation, each conversation's in the order they fired (a tick
    fires one conversation's due timers together; conversations may interleave in any order)."""
    out: dict = {}
    for f in fired:
        out.setdefault(f[0], []).append(f[1:])
    return out


def at(delta: dt.timedelta) -> str:
    return rfc3339(START + delta)


def test_now_set_clock_and_advance(engine: convo.Engine) -> None:
    assert engine.now() == START and engine.now().tzinfo is not None
    assert engine.manual_clock
    assert engine.advance(90 * S) == START + 90 * S == engine.now()
    later = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    engine.set_clock(later)
    assert engine.now() == later
    with pytest.raises(convo.InvalidRequest, match="never goes backwards"):
        engine.set_clock(START)
    with pytest.raises(convo.InvalidRequest, match="never goes backwards"):
        engine.advance(-S)
    assert engine.now() == later


def test_start_accepts_an_rfc3339_string() -> None:
    with convo.Engine(path=":memory:", clock="manual", start="2030-05-06T07:08:09.010+02:00") as e:
        assert e.now() == dt.datetime(2030, 5, 6, 5, 8, 9, 10000, tzinfo=dt.timezone.utc)


def test_next_deadline_is_none_without_timers_and_ticks_fire_nothing(engine: convo.Engine) -> None:
    assert engine.next_deadline() is None
    assert engine.tick() == 0


def test_ring_timeout_fires_on_tick_at_its_deadline(engine: convo.Engine, session: convo.Session) -> None:
    cid = make(session, "telephone", direction="inbound")
    assert engine.next_deadline() == START + 60 * S  # ring_timeout_seconds default 60
    assert session.get(cid)["expires_at"] == "2026-01-02T03:05:05.678Z"
    engine.advance(59 * S)
    assert engine.tick() == 0
    engine.advance(5 * S)
    assert engine.tick() == 1
    c = session.get(cid)
    assert (c["status"], c["end_reason"], c["ended_at"]) == ("unanswered", "ring_timeout", "2026-01-02T03:05:05.678Z")
    # Ended: nothing closes it any more, but its wrap-up is pending until 300 s after the end.
    assert c["expires_at"] is None and c["wrap_up"] == "pending"
    assert engine.next_deadline() == START + 60 * S + WRAP_UP
    fired = record(engine)
    engine.set_clock(START + 60 * S + WRAP_UP - S)
    assert engine.tick() == 0
    engine.advance(S)
    assert engine.tick() == 1
    assert fired == [(cid, "finalized", None, "wrap_up", at(60 * S + WRAP_UP))]
    c = session.get(cid)
    assert (c["status"], c["wrap_up"], c["end_reason"]) == ("unanswered", "done", "ring_timeout")
    assert engine.next_deadline() is None


def test_dial_join_idle_and_max_open_timers(session: convo.Session) -> None:
    engine = session.engine
    fired = record(engine)
    dialing = make(session, "telephone")                     # triggered: dial 300 s
    joining = make(session, "webrtc")                        # token_created: join 600 s
    idle = make(session, "text", idle_timeout_minutes=5)     # in_progress: idle 5 min
    capped = make(session, "email", max_open_minutes=30)     # triggered: max-open 30 min
    engine.advance(4 * M)
    session.dispatch(idle, "message", role="user", text="still here")  # re-arms idle to 9 min
    engine.advance(M + 1 * S)                                          # 5 min 1 s
    assert engine.tick() == 1
    assert fired == [(dialing, "status_changed", "dial_timeout", "dial", at(5 * M))]
    assert session.get(dialing)["end_reason"] == "dial_timeout"
    assert session.get(idle)["status"] == "in_progress"
    engine.advance(4 * M)                                              # 9 min 1 s
    assert engine.tick() == 1
    assert fired[1:] == [(idle, "status_changed", "idle_timeout", "idle", at(9 * M))]
    c = session.get(idle)
    assert (c["status"], c["end_reason"], c["ended_at"]) == ("completed", "idle_timeout", "2026-01-02T03:13:05.678Z")
    engine.advance(M)                                                  # 10 min 1 s
    # The join timeout and the dial timeout's wrap-up fall on the same millisecond: table order.
    assert engine.tick() == 2
    assert per_conversation(fired[2:]) == {joining: [("status_changed", "token_expired", "join", at(10 * M))],
                                           dialing: [("finalized", None, "wrap_up", at(5 * M + WRAP_UP))]}
    assert (session.get(joining)["status"], session.get(joining)["end_reason"]) == ("unanswered", "token_expired")
    assert (session.get(dialing)["wrap_up"], session.get(joining)["wrap_up"]) == ("done", "pending")
    assert engine.next_deadline() == START + 9 * M + WRAP_UP  # the idle chat's wrap-up
    engine.advance(25 * M)                                             # 35 min 1 s
    assert engine.tick() == 4
    assert per_conversation(fired[4:]) == {
        idle: [("finalized", None, "wrap_up", at(9 * M + WRAP_UP))],
        joining: [("finalized", None, "wrap_up", at(10 * M + WRAP_UP))],
        capped: [("status_changed", "max_open_timeout", "max_open", at(30 * M)),
                 ("finalized", None, "wrap_up", at(30 * M + WRAP_UP))]}
    assert (session.get(capped)["status"], session.get(capped)["end_reason"]) == ("unanswered", "max_open_timeout")
    assert {session.get(i)["wrap_up"] for i in (dialing, joining, idle, capped)} == {"done"}
    assert engine.next_deadline() is None


def test_one_tick_fires_each_overdue_timer_at_its_own_time(engine: convo.Engine, session: convo.Session) -> None:
    ids = [make(session, "telephone", direction="inbound") for _ in range(3)]
    engine.advance(10 * S)
    later = make(session, "telephone", direction="inbound")
    engine.advance(10 * M)
    fired = record(engine)
    assert engine.tick() == 8  # four ring timeouts, then the four wrap-ups they armed
    ended = [session.get(i)["ended_at"] for i in ids + [later]]
    assert ended == ["2026-01-02T03:05:05.678Z"] * 3 + ["2026-01-02T03:05:15.678Z"]
    assert per_conversation(fired) == {
        i: [("status_changed", "ring_timeout", "ring", at(ring)), ("finalized", None, "wrap_up", at(ring + WRAP_UP))]
        for i, ring in zip(ids + [later], [60 * S] * 3 + [70 * S])}


def test_a_dispatch_after_an_unticked_deadline_finds_the_timeout(engine: convo.Engine, session: convo.Session) -> None:
    cid = make(session, "text", idle_timeout_minutes=1)
    engine.advance(2 * M)
    with pytest.raises(convo.Conflict, match="not allowed in status 'completed'"):
        session.dispatch(cid, "message", role="user", text="too late")
    c = session.get(cid)
    assert (c["end_reason"], c["ended_at"]) == ("idle_timeout", "2026-01-02T03:05:05.678Z")
    assert engine.tick() == 0


def test_timer_lengths_come_from_the_engine_options() -> None:
    with convo.Engine(path=":memory:", clock="manual", start=START, ring_timeout_seconds=7,
                      dial_timeout_seconds=11, token_ttl_seconds=13, platform_max_open_minutes=17,
                      wrap_up_timeout_seconds=19) as e:
        s = e.session("acme")
        make_ = lambda ch, **f: make(s, ch, agent_id=None, agent_config={}, **f)  # noqa: E731
        make_("telephone", direction="inbound")
        assert e.next_deadline() == START + 7 * S
        make_("telephone")
        make_("webrtc")
        c = s.create(channel="text", user_id="u", agent_config={}, max_open_minutes=999)["conversation"]
        assert c["max_open_minutes"] == 17
        fired = record(e)
        fired_at = []
        while e.next_deadline() is not None:
            e.set_clock(e.next_deadline())
            assert e.tick() == 1
            fired_at.append((e.now() - START, fired[-1][3]))
        assert fired_at == [(7 * S, "ring"), (11 * S, "dial"), (13 * S, "join"), (26 * S, "wrap_up"),
                            (30 * S, "wrap_up"), (32 * S, "wrap_up"), (17 * M, "max_open"),
                            (17 * M + 19 * S, "wrap_up")]
        assert len(fired) == 8
    with pytest.raises(convo.InvalidRequest, match="wrap_up_timeout_seconds"):
        convo.Engine(path=":memory:", wrap_up_timeout_seconds=0)
