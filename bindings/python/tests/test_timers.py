"""The manual clock: now, set_clock, advance, tick and next_deadline, and each timer firing."""

from __future__ import annotations

import datetime as dt

import pytest

import convo
from conftest import START, make

S = dt.timedelta(seconds=1)
M = dt.timedelta(minutes=1)


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
    assert engine.next_deadline() is None and c["expires_at"] is None


def test_dial_join_idle_and_max_open_timers(session: convo.Session) -> None:
    engine = session.engine
    dialing = make(session, "telephone")                     # triggered: dial 300 s
    joining = make(session, "webrtc")                        # token_created: join 600 s
    idle = make(session, "text", idle_timeout_minutes=5)     # in_progress: idle 5 min
    capped = make(session, "email", max_open_minutes=30)     # triggered: max-open 30 min
    engine.advance(4 * M)
    session.dispatch(idle, "message", role="user", text="still here")  # re-arms idle to 9 min
    engine.advance(M + 1 * S)                                          # 5 min 1 s
    assert engine.tick() == 1
    assert session.get(dialing)["end_reason"] == "dial_timeout"
    assert session.get(idle)["status"] == "in_progress"
    engine.advance(4 * M)                                              # 9 min 1 s
    assert engine.tick() == 1
    c = session.get(idle)
    assert (c["status"], c["end_reason"], c["ended_at"]) == ("completed", "idle_timeout", "2026-01-02T03:13:05.678Z")
    engine.advance(M)                                                  # 10 min 1 s
    assert engine.tick() == 1
    assert (session.get(joining)["status"], session.get(joining)["end_reason"]) == ("unanswered", "token_expired")
    assert engine.next_deadline() == START + 30 * M
    engine.advance(25 * M)
    assert engine.tick() == 1
    assert (session.get(capped)["status"], session.get(capped)["end_reason"]) == ("unanswered", "max_open_timeout")
    assert engine.next_deadline() is None


def test_one_tick_fires_each_overdue_timer_at_its_own_time(engine: convo.Engine, session: convo.Session) -> None:
    ids = [make(session, "telephone", direction="inbound") for _ in range(3)]
    engine.advance(10 * S)
    later = make(session, "telephone", direction="inbound")
    engine.advance(10 * M)
    assert engine.tick() == 4
    ended = [session.get(i)["ended_at"] for i in ids + [later]]
    assert ended == ["2026-01-02T03:05:05.678Z"] * 3 + ["2026-01-02T03:05:15.678Z"]


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
                      dial_timeout_seconds=11, token_ttl_seconds=13, platform_max_open_minutes=17) as e:
        s = e.session("acme")
        make_ = lambda ch, **f: make(s, ch, agent_id=None, agent_config={}, **f)  # noqa: E731
        make_("telephone", direction="inbound")
        assert e.next_deadline() == START + 7 * S
        make_("telephone")
        make_("webrtc")
        c = s.create(channel="text", user_id="u", agent_config={}, max_open_minutes=999)["conversation"]
        assert c["max_open_minutes"] == 17
        fired_at = []
        for _ in range(4):
            e.set_clock(e.next_deadline())
            assert e.tick() == 1
            fired_at.append(e.now() - START)
        assert fired_at == [7 * S, 11 * S, 13 * S, 17 * M]
