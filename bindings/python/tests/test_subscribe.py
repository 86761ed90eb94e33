"""engine.subscribe(): delivery order, a raising subscriber, re-entrant subscribers, unsubscribing."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading

import pytest

import convo
from conftest import make


def test_subscribers_get_every_event_unredacted_in_seq_order(engine: convo.Engine, session: convo.Session) -> None:
    got = []
    sub = engine.subscribe(got.append)
    assert isinstance(sub, convo.Subscription) and sub.active and sub.id > 0
    plain = engine.session("acme", convo.Scope.READ | convo.Scope.WRITE)  # redaction is per session,
    cid = make(plain, "text", agent_id="support")                         # the feed to subscribers is not
    plain.dispatch(cid, "message", role="user", text="hello")
    make(engine.session("globex", convo.Scope.WRITE), "text", agent_id=None, agent_config={})
    assert [e["seq"] for e in got] == list(range(got[0]["seq"], got[0]["seq"] + len(got)))
    assert [(e["type"], e["organization_id"]) for e in got] == [
        ("created", "acme"), ("message", "acme"), ("message", "acme"), ("created", "globex")]
    assert got[2]["data"] == {"role": "user", "text": "hello"}
    assert got[:3] == session.events(0, 1000)["events"]  # what a SENSITIVE reader of acme's feed sees


def test_a_raising_subscriber_is_logged_and_harms_nothing(engine: convo.Engine, session: convo.Session,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: dict) -> None:
        raise RuntimeError(f"boom on {event['type']}")

    after = []
    engine.subscribe(broken)
    engine.subscribe(after.append)
    with caplog.at_level(logging.ERROR, logger="convo"):
        cid = make(session, "telephone", direction="inbound")
        c = session.dispatch(cid, "answered")
    assert c["status"] == "in_progress"
    assert [e["type"] for e in after] == ["created", "status_changed"]
    raised = [r for r in caplog.records if r.name == "convo" and "subscriber" in r.getMessage()]
    assert len(raised) == 2
    assert raised[0].exc_info[0] is RuntimeError and "boom on created" in str(raised[0].exc_info[1])
    assert session.get(cid)["status"] == "in_progress"


def test_a_subscriber_that_calls_back_into_the_engine(engine: convo.Engine, session: convo.Session) -> None:
    # Answers every ringing call from inside the callback and replies to every user message;
    # the events its own changes make are delivered after it returns, in seq order.
    order = []

    def agent(event: dict) -> None:
        order.append((event["seq"], event["type"], event.get("to"), event["data"].get("role")))
        if event["type"] == "created" and event["to"] == "ringing":
            c = session.dispatch(event["conversation_id"], "answered")
            assert c["status"] == "in_progress"  # the change is visible at once
            assert order[-1][0] == event["seq"]  # ...but not delivered recursively
        if event["type"] == "message" and event["data"]["role"] == "user":
            session.dispatch(event["conversation_id"], "message", role="agent", text="echo")

    engine.subscribe(agent)
    cid = make(session, "telephone", direction="inbound")
    c = session.dispatch(cid, "message", role="user", text="hi")
    assert [o[1:] for o in order] == [
        ("created", "ringing", None), ("status_changed", "in_progress", None),
        ("message", None, "user"), ("message", None, "agent")]
    assert [o[0] for o in order] == list(range(order[0][0], order[0][0] + 4))
    assert [m["role"] for m in session.get(cid)["conversation"]["messages"]] == ["user", "agent"]
    assert c["user_turn_count"] == 1


def test_unsubscribe_stops_delivery_and_is_idempotent(engine: convo.Engine, session: convo.Session) -> None:
    got = []
    sub = engine.subscribe(got.append)
    make(session, "email")
    sub.unsubscribe()
    assert not sub.active
    make(session, "email")
    sub.unsubscribe()
    assert [e["type"] for e in got] == ["created"]


def test_subscription_as_a_context_manager(engine: convo.Engine, session: convo.Session) -> None:
    got = []
    with engine.subscribe(got.append) as sub:
        make(session, "email")
        assert sub.active
    make(session, "email")
    assert len(got) == 1 and not sub.active


def test_a_dropped_subscription_object_keeps_delivering(engine: convo.Engine, session: convo.Session) -> None:
    got = []
    engine.subscribe(got.append)
    gc.collect()
    make(session, "email")
    assert len(got) == 1


def test_a_subscriber_may_unsubscribe_itself(engine: convo.Engine, session: convo.Session) -> None:
    got = []
    holder = {}

    def once(event: dict) -> None:
        got.append(event)
        holder["sub"].unsubscribe()

    holder["sub"] = engine.subscribe(once)
    make(session, "text")  # created + greeting message
    make(session, "text")
    assert len(got) == 1


def test_closing_the_engine_from_its_subscriber_is_refused(engine: convo.Engine, session: convo.Session) -> None:
    caught = []

    def closer(event: dict) -> None:
        try:
            engine.close()
        except convo.Misuse as e:
            caught.append(e.detail)

    engine.subscribe(closer)
    make(session, "email")
    assert caught == ["an engine must not be closed from its own subscriber (convo.h)"]
    assert not engine.closed and session.list()["items"]


def test_subscribers_are_called_from_the_engines_timer_thread() -> None:
    with convo.Engine(path=":memory:", timer_thread=True, ring_timeout_seconds=1) as engine:
        s = engine.session("acme")
        fired = threading.Event()
        seen = []

        def on_event(event: dict) -> None:
            if event["type"] == "status_changed":
                seen.append((event["reason"], threading.current_thread() is threading.main_thread(),
                             s.get(event["conversation_id"])["status"]))  # calls back in, from that thread
                fired.set()

        engine.subscribe(on_event)
        s.create(channel="telephone", direction="inbound", user_id="+15550001111", agent_config={})
        assert fired.wait(5), "the timer thread did not fire the ring timeout"
        assert seen == [("ring_timeout", False, "unanswered")]


def test_subscribers_see_timer_firings_from_tick(engine: convo.Engine, session: convo.Session) -> None:
    got = []
    engine.subscribe(got.append)
    cid = make(session, "telephone", direction="inbound")
    engine.advance(dt.timedelta(seconds=60))
    assert engine.tick() == 1
    assert got[-1]["type"] == "status_changed" and got[-1]["data"] == {"timer": "ring"}
    assert got[-1]["conversation_id"] == cid and got[-1]["reason"] == "ring_timeout"
