"""Scopes (Scope IntFlag), redaction of sensitive fields, and organizations kept apart."""

from __future__ import annotations

import pytest

import convo
from conftest import AGENT, make, request

SENSITIVE_KEYS = {"agent", "summary", "initial_context", "custom_metadata", "conversation", "recording_details"}


def test_scope_flags_are_the_c_bits() -> None:
    assert (convo.Scope.READ, convo.Scope.WRITE, convo.Scope.SENSITIVE, convo.Scope.ADMIN) == (1, 2, 4, 8)
    assert convo.Scope.ALL == 15
    assert convo.Scope.READ | convo.Scope.WRITE == 3


def test_session_defaults_to_all_scopes(engine: convo.Engine) -> None:
    s = engine.session("acme")
    assert s.scopes == convo.Scope.ALL and s.organization_id == "acme"
    s.agent_put(AGENT)  # needs ADMIN
    assert "conversation" in s.create(request("text"))["conversation"]  # SENSITIVE


def test_sensitive_fields_only_with_the_sensitive_scope(engine: convo.Engine, session: convo.Session) -> None:
    cid = make(session, "text", initial_context="vip", custom_metadata={"crm": "42"})
    session.dispatch(cid, "annotate", summary="secret summary", topic="billing")
    plain = engine.session("acme", convo.Scope.READ | convo.Scope.WRITE)

    full = session.get(cid)
    assert SENSITIVE_KEYS <= set(full) and full["custom_metadata"] == {"crm": "42"}
    redacted = plain.get(cid)
    assert not SENSITIVE_KEYS & set(redacted)
    assert {k: v for k, v in full.items() if k not in SENSITIVE_KEYS} == redacted

    created = plain.create(request("text"))
    assert not SENSITIVE_KEYS & set(created["conversation"])
    assert all(not SENSITIVE_KEYS & set(c) for c in plain.list()["items"])

    feed = {e["type"]: e for e in plain.events(0, 1000)["events"] if e["conversation_id"] == cid}
    assert feed["message"]["data"] == {"role": "agent"}  # the greeting, without its text
    assert feed["annotated"]["data"] == {"topic": "billing"}
    full_feed = {e["type"]: e for e in session.events(0, 1000)["events"] if e["conversation_id"] == cid}
    assert full_feed["message"]["data"]["text"] == "Hi! How can I help?"
    assert full_feed["annotated"]["data"]["summary"] == "secret summary"


@pytest.mark.parametrize("scopes,allowed", [
    (convo.Scope.READ, {"get", "list", "events", "agent_get"}),
    (convo.Scope.WRITE, {"create", "dispatch"}),
    (convo.Scope.ADMIN, {"agent_put"}),
    (convo.Scope.SENSITIVE, set()),
])
def test_each_call_needs_its_scope(engine: convo.Engine, session: convo.Session, scopes: convo.Scope,
                                   allowed: set) -> None:
    cid = make(session, "text")
    s = engine.session("acme", scopes)
    calls = {
        "get": lambda: s.get(cid),
        "list": lambda: s.list(),
        "events": lambda: s.events(),
        "agent_get": lambda: s.agent_get("support"),
        "create": lambda: s.create(request("text")),
        "dispatch": lambda: s.dispatch(cid, "message", role="user", text="hi"),
        "agent_put": lambda: s.agent_put(AGENT),
    }
    for name, call in calls.items():
        if name in allowed:
            call()
        else:
            with pytest.raises(convo.Forbidden, match="scope"):
                call()


def test_organizations_do_not_see_each_other(engine: convo.Engine, session: convo.Session) -> None:
    cid = make(session, "text", id="7d0c8a52-1d7e-4a8e-9f65-2b1c3d4e5f60")
    other = engine.session("globex")
    with pytest.raises(convo.NotFound):
        other.get(cid)
    with pytest.raises(convo.NotFound):
        other.dispatch(cid, "end")
    with pytest.raises(convo.PreconditionFailed):  # agents are per organization too
        other.create(request("text"))
    assert other.list()["items"] == [] and other.events()["events"] == []
    with pytest.raises(convo.Conflict, match="belongs to another organization"):
        other.create(request("text", id=cid, agent_config={}, agent_id=None))
    other.agent_put(AGENT)
    mine = other.create(request("text"))["conversation"]
    assert mine["organization_id"] == "globex"
    assert [c["id"] for c in other.list()["items"]] == [mine["id"]]
    assert {e["organization_id"] for e in other.events()["events"]} == {"globex"}
    assert session.get(cid)["status"] == "in_progress"


def test_organization_id_is_validated(engine: convo.Engine) -> None:
    with pytest.raises(convo.InvalidRequest, match="organization_id"):
        engine.session("no spaces allowed")
    with pytest.raises(convo.InvalidRequest, match="scopes"):
        engine.session("acme", 16)
