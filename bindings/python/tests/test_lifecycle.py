"""Whole lifecycles on each channel through the Python surface, and each create response."""

from __future__ import annotations

import datetime as dt

import pytest

import convo
from conftest import START_TEXT, make, request


def statuses(session: convo.Session, conversation_id: str) -> list:
    feed = session.events(0, 1000)["events"]
    return [(e["from"], e["to"], e["reason"]) for e in feed
            if e["conversation_id"] == conversation_id and e["type"] in ("created", "status_changed")]


def test_text_starts_in_progress_with_the_greeting_and_ends(session: convo.Session) -> None:
    out, status = session.create(request("text"), with_status=True)
    assert status == 200
    assert out["starting_message"] == "Hi! How can I help?"
    c = out["conversation"]
    assert (c["status"], c["channel"], c["direction"]) == ("in_progress", "text", "outbound")
    assert c["created_at"] == START_TEXT and isinstance(c["created_at"], str)
    assert c["conversation"]["messages"] == [{"role": "agent", "text": "Hi! How can I help?", "at": START_TEXT}]

    c = session.dispatch(c["id"], "message", role="user", text="where is my order?")
    assert c["user_turn_count"] == 1 and c["status"] == "in_progress"
    c = session.dispatch(c["id"], {"type": "end", "reason": "resolved"})
    assert (c["status"], c["end_reason"]) == ("completed", "resolved")
    assert statuses(session, c["id"]) == [(None, "in_progress", None), ("in_progress", "completed", "resolved")]


def test_email_opens_on_delivery_or_on_a_reply(session: convo.Session) -> None:
    out = session.create(request("email", subject="Your order"))
    assert out["starting_message"] is None
    first = out["conversation"]
    assert (first["status"], first["subject"], first["to_address"]) == ("triggered", "Your order", "user@example.com")
    assert session.dispatch(first["id"], "delivered")["status"] == "in_progress"

    second = make(session, "email")
    c = session.dispatch(second, "message", role="user", text="a reply opens it")
    assert c["status"] == "in_progress" and c["user_turn_count"] == 1
    assert session.dispatch(second, "transfer", to="+18885550101")["transferred_to"] == "+18885550101"
    assert session.get(second)["status"] == "transferred"


def test_webrtc_returns_connection_details_and_joins(engine: convo.Engine, session: convo.Session) -> None:
    out, status = session.create(request("webrtc"), with_status=True)
    assert status == 200
    assert out["connection_details"]["url"] == "wss://localhost/rtc"
    assert isinstance(out["connection_details"]["token"], str) and out["connection_details"]["token"]
    assert out["capabilities"] == {"supportsVideoInput": False, "supportsScreenShare": False}
    c = out["conversation"]
    assert c["status"] == "token_created"
    assert session.dispatch(c["id"], "joined")["status"] == "in_progress"
    c = session.dispatch(c["id"], "end")
    assert (c["status"], c["end_reason"]) == ("completed", "ended")


def test_outbound_telephone_rings_is_answered_and_ends(engine: convo.Engine, session: convo.Session) -> None:
    out, status = session.create(request("telephone"), with_status=True)
    assert status == 202 and list(out) == ["contact_id"]
    cid = out["contact_id"]
    c = session.get(cid)
    assert (c["status"], c["agent_number"]) == ("triggered", "+18885550000")
    assert session.dispatch(cid, "ringing")["status"] == "ringing"
    engine.advance(dt.timedelta(seconds=5))
    c = session.dispatch(cid, "answered")
    assert c["status"] == "in_progress" and c["started_at"] == "2026-01-02T03:04:10.678Z"
    session.dispatch(cid, "message", role="agent", text="Hello, this is Support.")
    engine.advance(dt.timedelta(seconds=42))
    c = session.dispatch(cid, "end")
    assert (c["status"], c["duration"], c["ended_at"]) == ("completed", 42, "2026-01-02T03:04:52.678Z")


@pytest.mark.parametrize("event,status,reason", [
    ("no_answer", "unanswered", "no_answer"),
    ("busy", "unanswered", "busy"),
    ("cancel", "cancelled", "cancelled"),
])
def test_inbound_telephone_rings_and_closes_unanswered(session: convo.Session, event: str, status: str,
                                                       reason: str) -> None:
    cid = make(session, "telephone", direction="inbound")
    assert session.get(cid)["status"] == "ringing"
    c = session.dispatch(cid, event)
    assert (c["status"], c["end_reason"]) == (status, reason)
    assert statuses(session, cid) == [(None, "ringing", None), ("ringing", status, reason)]


def test_fail_closes_any_open_status_with_its_reason(session: convo.Session) -> None:
    cid = make(session, "webrtc")
    c = session.dispatch(cid, "fail", reason="media_error")
    assert (c["status"], c["end_reason"]) == ("failed", "media_error")


def test_annotate_works_in_a_terminal_status(session: convo.Session) -> None:
    cid = make(session, "text")
    session.dispatch(cid, "end")
    c = session.dispatch(cid, "annotate", summary="all good", tags=["vip"], topic="orders",
                         actions_needed=["refund"], recording_details={"url": "s3://x"})
    assert (c["status"], c["summary"], c["tags"], c["topic"]) == ("completed", "all good", ["vip"], "orders")
    assert c["actions_needed"] == ["refund"] and c["recording_details"] == {"url": "s3://x"}


def test_repeated_event_id_changes_nothing_and_repeated_client_id_returns_the_stored_response(
        engine: convo.Engine, session: convo.Session) -> None:
    cid = "0b6f5c3e-8f4a-4c43-9a3e-2f1d5e7a9b10"
    first = session.create(request("telephone", id=cid), with_status=True)
    engine.advance(dt.timedelta(seconds=1))
    assert session.create(request("telephone", id=cid), with_status=True) == first
    session.dispatch(cid, "ringing", event_id="carrier-1")
    before = session.events(0)["next_seq"]
    assert session.dispatch(cid, "ringing", event_id="carrier-1")["status"] == "ringing"
    assert session.events(0)["next_seq"] == before


def test_event_time_may_be_given_as_a_datetime(engine: convo.Engine, session: convo.Session) -> None:
    cid = make(session, "telephone", direction="inbound")
    engine.advance(dt.timedelta(seconds=10))
    answered_at = engine.now() - dt.timedelta(seconds=4)
    c = session.dispatch(cid, "answered", at=answered_at)
    assert c["started_at"] == "2026-01-02T03:04:11.678Z"


def test_keyword_fields_add_to_the_request_mapping(session: convo.Session) -> None:
    out = session.create({"channel": "text", "user_id": "u7"}, agent_config={"name": "Inline", "greeting": "Yo"})
    assert out["starting_message"] == "Yo"
    assert out["conversation"]["agent"] == {"id": None, "name": "Inline"}


def test_agents_round_trip_with_stable_version_ids(session: convo.Session) -> None:
    stored = session.agent_put({"id": "sales", "name": "Sales", "versions": [{"version": 1, "published": True}]})
    vid = stored["versions"][0]["id"]
    again = session.agent_put({"id": "sales", "name": "Sales 2", "versions": [
        {"version": 1, "published": True}, {"version": 2, "published": False}]})
    assert again["versions"][0]["id"] == vid and again["name"] == "Sales 2"
    got = session.agent_get("sales")
    assert got == again
    c = session.create(channel="text", user_id="u", agent_version_id=vid)["conversation"]
    assert (c["agent_id"], c["agent_version_id"]) == ("sales", vid)
