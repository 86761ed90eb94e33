"""The validator itself, on hand-made documents: each rule the format checks rely on (UUIDs,
string-typed booleans, required keys, status and medium enums, nullable) has a document that
must fail it, next to one that must pass.

    CONVO_SPEC_DIR=/path/to/spec /usr/bin/python3 -m pytest tests/formats
"""

import copy
import json
import os
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


@pytest.fixture(scope="module")
def schemas():
    if not os.environ.get("CONVO_SPEC_DIR"):
        pytest.fail("set CONVO_SPEC_DIR to the directory of the OpenAPI files")
    return schemas_module.load_schemas()


def changed(document, path, value):
    """A copy of `document` with the key at `path` set to `value` (or deleted for DELETE)."""
    out = copy.deepcopy(document)
    node = out
    for key in path[:-1]:
        node = node[key]
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
