"""The validator itself, on hand-made documents: each rule the format checks rely on (UUIDs,
string-typed booleans, required keys, status and medium enums, nullable) has a document that
must fail it, next to one that must pass. convo's documented AnyReach deviations
(schemas.ANYREACH_DEVIATIONS) are checked to relax exactly what they name and nothing else.

    /usr/bin/python3 -m pytest tests/formats    # CONVO_SPEC_DIR defaults to tests/formats/spec
"""

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import schemas as schemas_module  # noqa: E402

BOT = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
ORG = "0b7e6a53-3c3f-4f0e-9a43-5d7a7f0c2c10"

WASSIST = {
    "id": "01890a5d-ac96-774b-bcce-b302099a8057",
    "contact": {"phoneNumber": "+14155550101", "name": None},
    "activeAgent": BOT,
    "chatWindowRemainingTime": "86370",
    "lastMessage": "Hi, I need help",
    "isHumanTakeover": "false",
    "active": "true",
}

HELLOANNIE = {
    "success": True,
    "data": {
        "conversationId": "01890a5d-ac96-774b-bcce-b302099a8057",
        "conversationTags": [],
        "orgId": ORG,
        "medium": "CHAT",
        "botId": BOT,
        "toNumber": "anonymous",
        "fromNumber": None,
        "summary": None,
        "actionsNeeded": [],
        "topic": None,
        "duration": 0,
        "startTime": "2026-01-01T00:00:00.000Z",
        "endTime": None,
        "status": "OPEN",
    },
}

ANYREACH = {
    "id": "01890a5d-ac96-774b-bcce-b302099a8057",
    "organization_id": "org_1",
    "direction": "outbound",
    "channel": "text",
    "status": "in_progress",
    "user_id": "user_42",
    "agent_id": "agent_abc",
    "agent_version_id": "5b0c3a54-7c59-4a4e-9c39-6a1d3f0e2b11",
    "agent_number": "+18885550000",
    "web_widget_id": None,
    "duration": None,
    "user_turn_count": 0,
    "created_at": "2026-01-01T00:00:00.000Z",
    "updated_at": "2026-01-01T00:00:00.000Z",
    "custom_metadata": None,
}


# ctest passes CONVO_SPEC_DIR; run by hand, the tests use the copies next to them.
os.environ.setdefault("CONVO_SPEC_DIR", str(HERE / "spec"))


@pytest.fixture(scope="module")
def schemas():
    return schemas_module.load_schemas()


def changed(document, path, value):
    """A copy of `document` with the key at `path` set to `value` (or deleted for DELETE);
    missing objects on the way are created."""
    out = copy.deepcopy(document)
    node = out
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


DELETE = object()


def test_the_hand_made_good_documents_pass(schemas):
    assert schemas_module.errors(schemas, "wassist/Conversation", WASSIST) == []
    assert schemas_module.errors(schemas, "helloannie/CreateConversationResponse", HELLOANNIE) == []
    assert schemas_module.errors(schemas, "helloannie/Conversation", HELLOANNIE["data"]) == []
    assert schemas_module.errors(schemas, "anyreach/Conversation", ANYREACH) == []


@pytest.mark.parametrize("path, value, pointer", [
    # format: uuid
    (["id"], "conversation-1", "/id"),
    (["id"], "3c90c3cc0d444b5088888dd25736052a", "/id"),
    # every value is a string in Wassist's schema, booleans and numbers included
    (["isHumanTakeover"], False, "/isHumanTakeover"),
    (["active"], True, "/active"),
    (["chatWindowRemainingTime"], 86370, "/chatWindowRemainingTime"),
    (["activeAgent"], None, "/activeAgent"),
    (["lastMessage"], None, "/lastMessage"),
    (["contact", "phoneNumber"], None, "/contact/phoneNumber"),
    # required keys
    (["active"], DELETE, "/"),
    (["lastMessage"], DELETE, "/"),
    (["contact", "name"], DELETE, "/contact"),
    (["contact"], DELETE, "/"),
])
def test_wassist_conversation_rules(schemas, path, value, pointer):
    found = schemas_module.errors(schemas, "wassist/Conversation", changed(WASSIST, path, value))
    assert [p for p, _ in found] == [pointer]


def test_wassist_contact_name_is_nullable_but_typed(schemas):
    assert schemas_module.errors(schemas, "wassist/Conversation", changed(WASSIST, ["contact", "name"], "Ann")) == []
    found = schemas_module.errors(schemas, "wassist/Conversation", changed(WASSIST, ["contact", "name"], 7))
    assert [p for p, _ in found] == ["/contact/name"]


@pytest.mark.parametrize("path, value, pointer", [
    (["success"], False, "/success"),
    (["data"], DELETE, "/"),
    (["data", "status"], "ACTIVE", "/data/status"),
    (["data", "status"], "open", "/data/status"),
    (["data", "medium"], "WHATSAPP", "/data/medium"),
    (["data", "medium"], "chat", "/data/medium"),
    (["data", "botId"], "bot_1", "/data/botId"),
    (["data", "orgId"], "org_1", "/data/orgId"),
    (["data", "conversationId"], None, "/data/conversationId"),
    (["data", "startTime"], "2026-01-01 00:00:00", "/data/startTime"),
    (["data", "startTime"], "2026-02-30T00:00:00Z", "/data/startTime"),
    (["data", "endTime"], "yesterday", "/data/endTime"),
    (["data", "duration"], 1.5, "/data/duration"),
    (["data", "duration"], "90", "/data/duration"),
    (["data", "actionsNeeded"], [1], "/data/actionsNeeded/0"),
    (["data", "status"], DELETE, "/data"),
    (["data", "channel"], "text", "/data"),  # a native key leaking in
])
def test_helloannie_response_rules(schemas, path, value, pointer):
    found = schemas_module.errors(schemas, "helloannie/CreateConversationResponse", changed(HELLOANNIE, path, value))
    assert [p for p, _ in found] == [pointer]


@pytest.mark.parametrize("status", ["OPEN", "CLOSING", "CLOSED"])
def test_helloannie_statuses(schemas, status):
    doc = changed(HELLOANNIE, ["data", "status"], status)
    assert schemas_module.errors(schemas, "helloannie/CreateConversationResponse", doc) == []


@pytest.mark.parametrize("path, value, pointer", [
    (["status"], "open", "/status"),
    (["status"], "CLOSED", "/status"),
    (["direction"], "outgoing", "/direction"),
    # AnyReach's channel enum has no sms or whatsapp
    (["channel"], "whatsapp", "/channel"),
    (["channel"], "sms", "/channel"),
    # not nullable in AnyReach's schema
    (["agent_id"], None, "/agent_id"),
    (["agent_number"], None, "/agent_number"),
    (["summary"], None, "/summary"),
    (["initial_context"], None, "/initial_context"),
    (["agent"], None, "/agent"),
    (["duration"], 1.5, "/duration"),
    (["created_at"], "today", "/created_at"),
])
def test_anyreach_conversation_rules(schemas, path, value, pointer):
    found = schemas_module.errors(schemas, "anyreach/Conversation", changed(ANYREACH, path, value))
    assert [p for p, _ in found] == [pointer]


def test_anyreach_nullable_fields_take_null(schemas):
    doc = dict(ANYREACH, web_widget_id=None, duration=None, user_turn_count=None, custom_metadata=None,
               conversation=None, recording_details=None)
    assert schemas_module.errors(schemas, "anyreach/Conversation", doc) == []


# ---- convo's AnyReach shape: the published schema with ANYREACH_DEVIATIONS only ----

# One document per deviation, each as convo emits it.
DEVIATION_CASES = [
    (["channel"], "sms"),
    (["channel"], "whatsapp"),
    (["agent_number"], None),
    (["initial_context"], None),
    (["summary"], None),
    (["agent_id"], None),
    (["agent_version_id"], None),
    (["agent"], None),
    (["agent", "id"], None),
]


def test_the_deviation_cases_cover_the_list_exactly():
    listed = {(name, value) for name, values in schemas_module.ANYREACH_DEVIATIONS.items() for value in values}
    assert {(".".join(path), value) for path, value in DEVIATION_CASES} == listed


@pytest.mark.parametrize("path, value", DEVIATION_CASES)
def test_convo_anyreach_allows_each_deviation_the_published_schema_refuses(schemas, path, value):
    doc = changed(ANYREACH, path, value)
    pointer = "/" + "/".join(path)
    assert [p for p, _ in schemas_module.errors(schemas, "anyreach/Conversation", doc)] == [pointer]
    assert schemas_module.errors(schemas, "convo-anyreach/Conversation", doc) == []
    assert schemas_module.deviations_used(schemas, "convo-anyreach/Conversation", doc) == [
        (".".join(path), json.dumps(value))]


def test_convo_anyreach_takes_every_deviation_at_once(schemas):
    doc = dict(ANYREACH, channel="whatsapp", agent_number=None, initial_context=None, summary=None,
               agent_id=None, agent_version_id=None, agent=None)
    assert schemas_module.errors(schemas, "convo-anyreach/Conversation", doc) == []
    response = {"conversation": doc, "starting_message": None}
    assert schemas_module.errors(schemas, "convo-anyreach/TextEmailCreateResponse", response) == []
    assert len(schemas_module.errors(schemas, "anyreach/TextEmailCreateResponse", response)) == 7


@pytest.mark.parametrize("path, value, pointer", [
    # not deviations: as published
    (["status"], None, "/status"),
    (["status"], "open", "/status"),
    (["status"], "CLOSED", "/status"),
    (["direction"], "outgoing", "/direction"),
    (["direction"], None, "/direction"),
    (["id"], None, "/id"),
    (["organization_id"], None, "/organization_id"),
    (["user_id"], None, "/user_id"),
    (["created_at"], None, "/created_at"),
    (["created_at"], "today", "/created_at"),
    (["updated_at"], "2026-01-01 00:00:00", "/updated_at"),
    (["duration"], 1.5, "/duration"),
    (["user_turn_count"], "0", "/user_turn_count"),
    (["web_widget_id"], 7, "/web_widget_id"),
    (["custom_metadata"], "vip", "/custom_metadata"),
    (["conversation"], [], "/conversation"),
    (["recording_details"], "https://example.com/r/1", "/recording_details"),
    # the deviated properties keep the rest of their published rules
    (["channel"], "fax", "/channel"),
    (["channel"], "SMS", "/channel"),
    (["channel"], None, "/channel"),
    (["agent_id"], 7, "/agent_id"),
    (["agent_version_id"], {}, "/agent_version_id"),
    (["agent_number"], 18885550000, "/agent_number"),
    (["initial_context"], [], "/initial_context"),
    (["summary"], 5, "/summary"),
    (["agent"], "Support", "/agent"),
    # inside `agent` only `id` may be null: the name may not, and the id stays a string
    (["agent"], {"id": 7, "name": "Inline"}, "/agent/id"),
    (["agent"], {"id": "agent_abc", "name": None}, "/agent/name"),
])
def test_convo_anyreach_checks_everything_else_as_published(schemas, path, value, pointer):
    doc = changed(ANYREACH, path, value)
    for name in ("anyreach/Conversation", "convo-anyreach/Conversation"):
        # a null where an enum is expected breaks both the type and the enum: one pointer, twice
        assert {p for p, _ in schemas_module.errors(schemas, name, doc)} == {pointer}, name


@pytest.mark.parametrize("name, document, pointer", [
    ("convo-anyreach/TextEmailCreateResponse",
     {"conversation": dict(ANYREACH, channel="fax"), "starting_message": "Hi"}, "/conversation/channel"),
    ("convo-anyreach/TextEmailCreateResponse",
     {"conversation": dict(ANYREACH, status=None), "starting_message": "Hi"}, "/conversation/status"),
    ("convo-anyreach/TextEmailCreateResponse",
     {"conversation": ANYREACH, "starting_message": 5}, "/starting_message"),
    ("convo-anyreach/WebRtcCreateResponse",
     {"conversation": dict(ANYREACH, direction="sideways"), "connection_details": {"url": "wss://x", "token": "t"},
      "capabilities": {"supportsVideoInput": False}}, "/conversation/direction"),
    ("convo-anyreach/WebRtcCreateResponse",
     {"conversation": ANYREACH, "connection_details": {"url": "wss://x", "token": 7},
      "capabilities": {}}, "/connection_details/token"),
    ("convo-anyreach/WebRtcCreateResponse",
     {"conversation": ANYREACH, "connection_details": {}, "capabilities": {"supportsScreenShare": "no"}},
     "/capabilities/supportsScreenShare"),
    ("convo-anyreach/TelephoneCreateResponse", {"contact_id": None}, "/contact_id"),
    ("convo-anyreach/TelephoneCreateResponse", {"contact_id": 17}, "/contact_id"),
])
def test_convo_anyreach_create_responses_are_checked(schemas, name, document, pointer):
    assert {p for p, _ in schemas_module.errors(schemas, name, document)} == {pointer}


def test_convo_anyreach_create_responses_pass(schemas):
    sms = dict(ANYREACH, channel="sms", agent_number=None, summary=None, initial_context=None)
    assert schemas_module.errors(schemas, "convo-anyreach/TextEmailCreateResponse",
                                 {"conversation": sms, "starting_message": None}) == []
    webrtc = dict(ANYREACH, channel="webrtc", status="token_created", agent_number=None)
    assert schemas_module.errors(schemas, "convo-anyreach/WebRtcCreateResponse", {
        "conversation": webrtc, "connection_details": {"url": "wss://x", "token": "t"},
        "capabilities": {"supportsVideoInput": True, "supportsScreenShare": False}}) == []
    assert schemas_module.errors(schemas, "convo-anyreach/TelephoneCreateResponse",
                                 {"contact_id": ANYREACH["id"]}) == []


def _resolved(defs, schema):
    ref = schema.get("$ref", "")
    return defs[ref[len("#/$defs/"):]] if ref.startswith("#/$defs/") else schema


def test_the_deviations_change_only_the_listed_properties(schemas):
    published = schemas["anyreach/Conversation"]["$defs"]
    relaxed = schemas["convo-anyreach/Conversation"]["$defs"]
    assert relaxed.keys() == published.keys()
    for name in published:
        if name != "Conversation":
            assert relaxed[name] == published[name], name  # Channel too: the request stays strict
    pub_conv, rel_conv = published["Conversation"], relaxed["Conversation"]
    assert {k: v for k, v in rel_conv.items() if k != "properties"} == {
        k: v for k, v in pub_conv.items() if k != "properties"}
    assert rel_conv["properties"].keys() == pub_conv["properties"].keys()
    differing = {p for p in pub_conv["properties"] if rel_conv["properties"][p] != pub_conv["properties"][p]}
    assert differing == {name.split(".")[0] for name in schemas_module.ANYREACH_DEVIATIONS}
    expected = {p: copy.deepcopy(_resolved(published, pub_conv["properties"][p])) for p in differing}
    for name, values in schemas_module.ANYREACH_DEVIATIONS.items():
        top, *inner = name.split(".")
        node = expected[top]
        for part in inner:
            node = node["properties"][part]
        added_enum = [v for v in values if v is not None]
        if None in values:
            node["type"] = [node["type"], "null"]
        if added_enum:
            node["enum"] = node["enum"] + added_enum
    for prop in differing:
        assert rel_conv["properties"][prop] == expected[prop], prop
    # every convo-anyreach schema shares these defs; every anyreach component has one
    for name in published:
        assert schemas[f"convo-anyreach/{name}"]["$defs"] == relaxed


@pytest.mark.parametrize("deviations, message", [
    ({"nickname": (None,)}, "no such property"),
    ({"web_widget_id": (None,)}, "already allows null"),
    ({"channel": ("text",)}, "already has 'text'"),
    ({"user_id": ("someone",)}, "no enum"),
])
def test_a_stale_or_unknown_deviation_is_refused(schemas, deviations, message):
    defs = schemas["anyreach/Conversation"]["$defs"]
    with pytest.raises(schemas_module.SchemaError, match=message):
        schemas_module.with_deviations(defs, deviations=deviations)


def test_docs_list_exactly_the_deviations():
    text = (HERE.parent.parent / "docs" / "formats.md").read_text(encoding="utf-8")
    heading = "### Where convo's AnyReach shape differs from AnyReach's published schema"
    assert heading in text
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    documented = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not line.startswith("| `"):
            continue
        names = re.findall(r"`([^`]+)`", cells[0])
        values = tuple(None if v == "null" else json.loads(v) for v in re.findall(r"`([^`]+)`", cells[1]))
        for name in names:
            documented[name] = values
    assert documented == schemas_module.ANYREACH_DEVIATIONS


def test_openapi_conversion():
    convert = schemas_module.openapi_to_json_schema
    assert convert({"type": "string", "nullable": True, "example": "x"}) == {"type": ["string", "null"]}
    assert convert({"type": "string", "enum": ["a"], "nullable": True}) == {"type": ["string", "null"],
                                                                            "enum": ["a", None]}
    assert convert({"$ref": "#/components/schemas/Card", "nullable": True}) == {
        "anyOf": [{"$ref": "#/$defs/Card"}, {"type": "null"}]}
    assert convert({"type": "object", "properties": {"nullable": {"type": "string"}}}) == {
        "type": "object", "properties": {"nullable": {"type": "string"}}}
    assert convert({"type": "number", "minimum": 1, "exclusiveMinimum": True}) == {
        "type": "number", "exclusiveMinimum": 1}
    assert convert({"type": "array", "items": {"$ref": "#/components/schemas/Card"}}) == {
        "type": "array", "items": {"$ref": "#/$defs/Card"}}


def test_unknown_schema_name_is_refused(schemas):
    with pytest.raises(schemas_module.SchemaError, match="unknown schema 'wassist/Nope'"):
        schemas_module.validator(schemas, "wassist/Nope")


def test_no_spec_dir_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("CONVO_SPEC_DIR", raising=False)
    with pytest.raises(schemas_module.SchemaError, match="CONVO_SPEC_DIR"):
        schemas_module.load_schemas()


# ---- the command line ----

def run(lines, *args):
    text = "".join(json.dumps(line) + "\n" for line in lines)
    return subprocess.run([sys.executable, str(HERE / "validate_outputs.py"), *args, "-"], input=text,
                          capture_output=True, text=True, env=dict(os.environ), check=False)


def test_cli_accepts_valid_documents(schemas):
    r = run([{"schema": "wassist/Conversation", "document": WASSIST},
             {"schema": "helloannie/CreateConversationResponse", "document": HELLOANNIE, "label": "chat"}])
    assert r.returncode == 0, r.stderr
    assert "2 documents valid" in r.stdout
    assert "  wassist/Conversation: 1 documents" in r.stdout
    assert "  helloannie/CreateConversationResponse: 1 documents" in r.stdout


def test_cli_checks_native_documents_with_the_deviations_only(schemas):
    sms = dict(ANYREACH, channel="sms", summary=None)
    r = run([{"schema": "convo-anyreach/Conversation", "document": sms},
             {"schema": "convo-anyreach/Conversation", "document": dict(sms, status=None), "label": "null status"}])
    assert r.returncode == 1
    assert ('INVALID line 2 (null status) against convo-anyreach/Conversation: at /status: '
            'null is not one of') in r.stderr
    assert "line 1" not in r.stderr
    assert 'channel "sms" x2' in r.stdout and "summary null x2" in r.stdout


def test_cli_names_the_document_and_the_failing_path(schemas):
    bad = changed(WASSIST, ["isHumanTakeover"], True)
    r = run([{"schema": "wassist/Conversation", "document": WASSIST},
             {"schema": "wassist/Conversation", "document": bad, "label": "after takeover"}])
    assert r.returncode == 1
    assert ('INVALID line 2 (after takeover) against wassist/Conversation: at /isHumanTakeover: '
            'true is not of type "string"') in r.stderr
    assert "1 of 2 documents invalid" in r.stderr


def test_cli_input_errors_exit_2(schemas):
    r = run([{"schema": "wassist/Nope", "document": {}}])
    assert r.returncode == 2 and "unknown schema" in r.stderr
    r = run([{"document": {}}])
    assert r.returncode == 2 and "line 1" in r.stderr
    r = run([])
    assert r.returncode == 2 and "no documents" in r.stderr
