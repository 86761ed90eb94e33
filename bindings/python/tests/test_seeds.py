"""Issue 3's surface through the Python package: sms and whatsapp, seed messages and tags, the
WhatsApp 24-hour window and templates, takeover and handback, close, finalize, and the
takeover and wrap-up timers on the manual clock."""

from __future__ import annotations

import datetime as dt
from typing import Any, List, Tuple

import pytest

import convo
from convo._time import rfc3339
from conftest import START, START_TEXT, make, request

S = dt.timedelta(seconds=1)
M = dt.timedelta(minutes=1)
DAY = dt.timedelta(hours=24)
BUSINESS = "+18885550000"  # the fixture agent's phone_number
TEMPLATE = {"name": "order_update", "variables": {"body": ["A-17"], "buttons": ["Track"]}}
WINDOW_CLOSED = ("text: the WhatsApp 24-hour customer-service window is closed (it opens with each user "
                 "message); outside it only a template message may be sent")
TAKEN_OVER = ("role: a human has taken over; agent messages are refused until handback or the takeover "
              "timer ends it")


def whatsapp(session: convo.Session, direction: str = "inbound", **fields: Any) -> str:
    """A whatsapp conversation with an agent that does not greet (a greeting is free-form)."""
    body = request("whatsapp", direction=direction, agent_id=None, agent_config={"name": "WA"},
                   from_number=BUSINESS, **fields)
    return session.create(body)["conversation"]["id"]


def feed(session: convo.Session, cid: str, after: int = 0) -> List[Tuple[str, Any]]:
    return [(e["type"], e["data"]) for e in session.events(after, 1000)["events"] if e["conversation_id"] == cid]


def expect(exc_type: type, detail: str, fn: Any, *args: Any, **kwargs: Any) -> convo.Error:
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    assert type(info.value) is exc_type and info.value.detail == detail
    return info.value


# ---- channels, seeds, tags -------------------------------------------------------------------


def test_sms_and_whatsapp_start_in_progress_with_the_business_number(session: convo.Session) -> None:
    out = session.create(request("sms", tags=["vip", "returns"]))
    c = out["conversation"]
    assert (c["channel"], c["status"], c["user_id"], c["from_number"]) == ("sms", "in_progress", "+15550001111", BUSINESS)
    assert out["starting_message"] == "Hi! How can I help?" and c["tags"] == ["vip", "returns"]
    assert (c["chat_window_expires_at"], c["chat_window_remaining_seconds"]) == (None, None)  # not whatsapp
    assert (c["human_takeover"], c["human_takeover_until"], c["wrap_up"]) == (False, None, None)
    c = session.create(request("whatsapp", direction="inbound", from_number="+18885550999"))["conversation"]
    assert (c["channel"], c["from_number"], c["chat_window_remaining_seconds"]) == ("whatsapp", "+18885550999", 0)
    assert session.create(request("text"))["conversation"]["from_number"] is None
    expect(convo.InvalidRequest, "user_id: must be an E.164 number (+14155551234) for channel sms",
           session.create, request("sms", user_id="user_42"))


def test_seed_messages_come_before_the_greeting_and_count_user_turns(session: convo.Session) -> None:
    seeds = [{"role": "user", "text": "my parcel is late"}, {"role": "agent", "text": "let me look"},
             {"role": "user", "text": "order A-17"}]
    c = session.create(request("text", messages=seeds))["conversation"]
    assert c["conversation"]["messages"] == [{**m, "at": START_TEXT} for m in seeds] + [
        {"role": "agent", "text": "Hi! How can I help?", "at": START_TEXT}]
    assert c["user_turn_count"] == 2
    assert [d.get("text") for t, d in feed(session, c["id"]) if t == "message"] == [
        "my parcel is late", "let me look", "order A-17", "Hi! How can I help?"]
    expect(convo.InvalidRequest, "messages[0].role: must be one of user, agent",
           session.create, request("text", messages=[{"role": "human", "text": "x"}]))


# ---- the WhatsApp window ---------------------------------------------------------------------


def test_whatsapp_inbound_window_opens_with_a_user_message_and_closes_after_24_hours(
        engine: convo.Engine, session: convo.Session) -> None:
    # Seed messages do not open the window, even the user's.
    cid = whatsapp(session, messages=[{"role": "user", "text": "earlier, elsewhere"}])
    c = session.get(cid)
    assert (c["status"], c["chat_window_expires_at"], c["chat_window_remaining_seconds"]) == ("in_progress", None, 0)
    e = expect(convo.PreconditionFailed, WINDOW_CLOSED, session.dispatch, cid, "message", role="agent", text="hello?")
    assert (e.code, e.name, e.http_status) == (convo.Code.EPRECONDITION, "CONVO_EPRECONDITION", 400)
    expect(convo.PreconditionFailed, WINDOW_CLOSED, session.dispatch, cid, "message", role="human", text="hello?")
    assert len(session.get(cid)["conversation"]["messages"]) == 1  # nothing was stored

    engine.advance(10 * S)
    c = session.dispatch(cid, "message", role="user", text="where is my order?")
    assert c["chat_window_expires_at"] == rfc3339(START + 10 * S + DAY)
    assert c["chat_window_remaining_seconds"] == 24 * 3600
    assert session.dispatch(cid, "message", role="agent", text="on its way")["user_turn_count"] == 2
    engine.advance(12 * dt.timedelta(hours=1) - 500 * dt.timedelta(milliseconds=1))
    assert session.get(cid)["chat_window_remaining_seconds"] == 12 * 3600  # whole seconds, floored

    # The window is the contact's: a later conversation with the same business number and user
    # shares it (the first one has reached its 24-hour max-open by then).
    engine.set_clock(START + 10 * S + DAY - S)  # one second left: still open
    cid = whatsapp(session)
    c = session.dispatch(cid, "message", role="human", text="anything else?")
    assert (c["chat_window_remaining_seconds"], c["status"]) == (1, "in_progress")
    engine.advance(S)  # its end is now: closed (open only while the end is later than now)
    c = session.get(cid)
    assert (c["chat_window_expires_at"], c["chat_window_remaining_seconds"]) == (None, 0)
    expect(convo.PreconditionFailed, WINDOW_CLOSED, session.dispatch, cid, "message", role="agent", text="hi?")

    # A template is always allowed: stored with text null, in the feed with its template.
    seq = session.events()["next_seq"]
    c = session.dispatch(cid, "message", role="agent", template=TEMPLATE)
    assert c["conversation"]["messages"][-1] == {"role": "agent", "text": None, "template": TEMPLATE,
                                                 "at": rfc3339(START + 10 * S + DAY)}
    assert feed(session, cid, seq) == [("message", {"role": "agent", "template": TEMPLATE})]
    plain = session.engine.session("acme", convo.Scope.READ)
    assert [e["data"] for e in plain.events(seq)["events"]] == [{"role": "agent"}]  # redacted
    expect(convo.InvalidRequest, "text, template: give one, not both",
           session.dispatch, cid, "message", role="agent", text="x", template=TEMPLATE)
    expect(convo.InvalidRequest, "template: only agent and human send templates",
           session.dispatch, cid, "message", role="user", template=TEMPLATE)


def test_whatsapp_outbound_needs_a_template_outside_the_window_and_the_window_is_the_contacts(
        session: convo.Session) -> None:
    before = session.events()["next_seq"]
    expect(convo.PreconditionFailed,
           'message: the WhatsApp 24-hour window with +15550001111 is closed; an outbound WhatsApp '
           'conversation must start with {"type":"template","template":{...}}',
           whatsapp, session, "outbound")
    assert session.events()["next_seq"] == before and session.list()["items"] == []  # nothing created

    out = session.create(request("whatsapp", message={"type": "template", "template": TEMPLATE}))
    c = out["conversation"]
    assert out["starting_message"] is None  # a template instead of the greeting
    assert c["conversation"]["messages"] == [{"role": "agent", "text": None, "template": TEMPLATE, "at": START_TEXT}]
    expect(convo.InvalidRequest, "message: only for channel whatsapp",
           session.create, request("sms", message={"type": "template", "template": TEMPLATE}))
    expect(convo.InvalidRequest, "template: template messages are for channel whatsapp only",
           session.dispatch, make(session, "text"), "message", role="agent", template=TEMPLATE)

    # The user answers the template: the window opens for the contact (organization, business
    # number, user), so a new outbound conversation needs no template, and sees the same window.
    session.dispatch(c["id"], "message", role="user", text="yes please")
    second = whatsapp(session, "outbound")
    assert session.get(second)["chat_window_expires_at"] == rfc3339(START + DAY)
    session.dispatch(second, "message", role="agent", text="free-form is fine now")
    other_number = session.create(request("whatsapp", direction="inbound", from_number="+18885550999"))
    assert other_number["conversation"]["chat_window_remaining_seconds"] == 0  # another contact


# ---- takeover and handback -------------------------------------------------------------------


def test_takeover_refuses_agent_messages_until_handback(engine: convo.Engine, session: convo.Session) -> None:
    cid = make(session, "text", idle_timeout_minutes=5)
    seq = session.events()["next_seq"]
    c = session.dispatch(cid, "takeover", minutes=3)
    assert (c["status"], c["human_takeover"], c["human_takeover_until"]) == ("in_progress", True, rfc3339(START + 3 * M))
    e = expect(convo.Conflict, TAKEN_OVER, session.dispatch, cid, "message", role="agent", text="I can help")
    assert (e.code, e.http_status) == (convo.Code.ECONFLICT, 409)
    engine.advance(M)
    c = session.dispatch(cid, "message", role="human", text="a person here")  # accepted, resets idle
    assert c["expires_at"] == rfc3339(START + M + 5 * M)
    c = session.dispatch(cid, "takeover")  # again: re-armed with the default 10 minutes
    assert c["human_takeover_until"] == rfc3339(START + 11 * M)
    c = session.dispatch(cid, "handback")
    assert (c["human_takeover"], c["human_takeover_until"]) == (False, None)
    session.dispatch(cid, "message", role="agent", text="back to the bot")
    assert feed(session, cid, seq) == [
        ("takeover", {"minutes": 3, "until": rfc3339(START + 3 * M)}),
        ("message", {"role": "human", "text": "a person here"}),
        ("takeover", {"minutes": 10, "until": rfc3339(START + 11 * M)}),
        ("handback", {"by": "handback"}),
        ("message", {"role": "agent", "text": "back to the bot"})]

    # A handback with no takeover is a no-op: OK, the same conversation, no feed event.
    before, seq = session.get(cid), session.events()["next_seq"]
    engine.advance(S)
    assert session.dispatch(cid, "handback") == {**before, "duration": before["duration"] + 1}
    assert session.get(cid)["updated_at"] == before["updated_at"]
    assert session.events()["next_seq"] == seq
    expect(convo.InvalidRequest, "minutes: must be an integer from 1 to 1000000000",
           session.dispatch, cid, "takeover", minutes=0)


def test_the_takeover_timer_hands_back_and_ending_clears_a_takeover(engine: convo.Engine,
                                                                   session: convo.Session) -> None:
    cid = make(session, "text")
    session.dispatch(cid, "takeover", minutes=2)
    assert engine.next_deadline() == START + 2 * M
    assert session.get(cid)["expires_at"] == rfc3339(START + 1440 * M)  # the takeover does not close
    engine.advance(2 * M - S)
    assert engine.tick() == 0
    engine.advance(S)
    seq = session.events()["next_seq"]
    assert engine.tick() == 1
    assert feed(session, cid, seq) == [("handback", {"timer": "takeover"})]
    c = session.get(cid)
    assert (c["status"], c["human_takeover"], c["human_takeover_until"]) == ("in_progress", False, None)

    session.dispatch(cid, "takeover")
    seq = session.events()["next_seq"]
    c = session.dispatch(cid, "end")  # ending clears it, with no handback event
    assert (c["human_takeover"], c["human_takeover_until"], c["wrap_up"]) == (False, None, "pending")
    assert [t for t, _ in feed(session, cid, seq)] == ["status_changed"]
    expect(convo.Conflict, "event 'takeover' is not allowed in status 'completed'", session.dispatch, cid, "takeover")


# ---- close and finalize ----------------------------------------------------------------------


def test_close_ends_an_open_conversation_and_a_second_close_changes_nothing(engine: convo.Engine,
                                                                            session: convo.Session) -> None:
    cid = make(session, "text")
    seq = session.events()["next_seq"]
    engine.advance(5 * S)
    c = session.dispatch(cid, "close", skip_notifications=True)
    assert (c["status"], c["end_reason"], c["ended_at"], c["wrap_up"]) == ("completed", "closed", rfc3339(START + 5 * S),
                                                                          "pending")
    assert [(e["type"], e["from"], e["to"], e["reason"], e["data"]) for e in session.events(seq)["events"]] == [
        ("status_changed", "in_progress", "completed", "closed", {"event": "close", "skip_notifications": True})]
    seq = session.events()["next_seq"]
    engine.advance(5 * S)
    assert session.dispatch(cid, "close") == c  # OK, unchanged: not even updated_at
    assert session.events()["next_seq"] == seq

    ringing = make(session, "telephone", direction="inbound")
    c = session.dispatch(ringing, "close")
    assert (c["status"], c["end_reason"]) == ("cancelled", "closed")
    assert feed(session, ringing)[-1] == ("status_changed", {"event": "close"})


def test_finalize_wraps_up_once_ended_then_records_annotations(engine: convo.Engine, session: convo.Session) -> None:
    cid = make(session, "text")
    expect(convo.Conflict, "event 'finalize' is not allowed in status 'in_progress'", session.dispatch, cid, "finalize")
    session.dispatch(cid, "end")
    seq = session.events()["next_seq"]
    c = session.dispatch(cid, "finalize", summary="refund issued", topic="returns", tags=["refund"],
                         actions_needed=["ship label"])
    assert (c["wrap_up"], c["summary"], c["topic"], c["tags"], c["actions_needed"]) == (
        "done", "refund issued", "returns", ["refund"], ["ship label"])
    assert engine.next_deadline() is None  # the wrap-up deadline is gone with it
    c = session.dispatch(cid, "finalize", topic="billing")  # done already: recorded as annotated
    assert (c["wrap_up"], c["topic"], c["summary"]) == ("done", "billing", "refund issued")
    before = session.events()["next_seq"]
    assert session.dispatch(cid, "finalize") == c  # nothing to record: nothing at all
    assert session.events()["next_seq"] == before
    assert feed(session, cid, seq) == [
        ("finalized", {"summary": "refund issued", "topic": "returns", "tags": ["refund"],
                       "actions_needed": ["ship label"]}),
        ("annotated", {"topic": "billing"})]
    plain = engine.session("acme", convo.Scope.READ)
    assert plain.events(seq)["events"][0]["data"] == {"topic": "returns", "tags": ["refund"],
                                                      "actions_needed": ["ship label"]}  # no summary


# ---- the wrap-up timer -----------------------------------------------------------------------


def test_the_wrap_up_timer_finalizes_an_ended_conversation(engine: convo.Engine, session: convo.Session) -> None:
    got: list = []
    engine.subscribe(got.append)
    cid = make(session, "email")
    assert engine.next_deadline() == START + 1440 * M  # max-open only while open
    engine.advance(7 * S)
    c = session.dispatch(cid, "cancel")
    assert (c["status"], c["wrap_up"], c["expires_at"]) == ("cancelled", "pending", None)
    assert engine.next_deadline() == START + 7 * S + 300 * S  # wrap_up_timeout_seconds default
    engine.advance(299 * S)
    assert engine.tick() == 0
    engine.advance(S)
    assert engine.tick() == 1
    assert [(e["type"], e["reason"], e["data"], e["at"]) for e in got[-1:]] == [
        ("finalized", None, {"timer": "wrap_up"}, rfc3339(START + 307 * S))]
    c = session.get(cid)
    assert (c["status"], c["wrap_up"], c["updated_at"]) == ("cancelled", "done", rfc3339(START + 307 * S))
    assert engine.next_deadline() is None and engine.tick() == 0
    # Finalize still records the host's fields afterwards.
    assert session.dispatch(cid, "finalize", summary="late notes")["summary"] == "late notes"
    assert got[-1]["type"] == "annotated"


def test_wrap_up_timeout_seconds_sets_the_wrap_up_deadline() -> None:
    with convo.Engine(path=":memory:", clock="manual", start=START, wrap_up_timeout_seconds=30) as engine:
        s = engine.session("acme")
        cid = s.create(channel="text", user_id="u", agent_config={}, idle_timeout_minutes=1)["conversation"]["id"]
        engine.advance(M + 10 * S)
        assert engine.tick() == 1  # the idle timeout at 1 min; its wrap-up is due at 1 min 30 s
        assert engine.next_deadline() == START + M + 30 * S
        engine.advance(M)  # no tick: a dispatch applies the overdue wrap-up first, at its own time
        c = s.dispatch(cid, "annotate", topic="late")
        assert (c["status"], c["end_reason"], c["wrap_up"], c["topic"]) == ("completed", "idle_timeout", "done", "late")
        assert [(e["type"], e["data"], e["at"]) for e in s.events()["events"][-2:]] == [
            ("finalized", {"timer": "wrap_up"}, rfc3339(START + M + 30 * S)),
            ("annotated", {"topic": "late"}, rfc3339(START + 2 * M + 10 * S))]
        assert engine.tick() == 0
