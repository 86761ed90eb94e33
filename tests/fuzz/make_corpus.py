#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ from the inputs of the API tests
(tests/api/*_test.cpp): their valid requests and their invalid ones, plus a few hostile ones.

Run it again after changing the seeds; it only (re)writes files named seed_*, so the inputs
the fuzzer found and regressions (crash_*, regress_*) stay. Usage: make_corpus.py [CORPUS_DIR]
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
SOME_UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"  # validation_test.cpp's kSomeUuid
TAKEN_BY_B = "b0000000-0000-4000-8000-00000000000b"  # fuzz_create.cpp: org_b's conversation


def dump(j):
    return json.dumps(j, separators=(",", ":"), ensure_ascii=False)


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data)


def clear_seeds():
    for target in ("options", "agent", "create", "dispatch", "list", "sequence"):
        d = os.path.join(OUT, target)
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f.startswith("seed_"):
                    os.remove(os.path.join(d, f))


def with_(base, **patch):
    out = dict(base)
    out.update(patch)
    return out


def without(base, *keys):
    return {k: v for k, v in base.items() if k not in keys}


def standard_agent(id_="agent_abc", phone="+18885550000"):
    return {"id": id_, "name": "Support", "phone_number": phone, "versions": [
        {"version": 1, "published": True, "greeting": "Hi! How can I help?", "speaks_first": True,
         "default_subject": "Hello from Support",
         "capabilities": {"supportsVideoInput": False, "supportsScreenShare": True}},
        {"version": 2, "published": False, "greeting": "Draft greeting", "speaks_first": True}]}


def request_for(channel, direction="outbound"):
    r = {"channel": channel, "direction": direction, "agent_id": "agent_abc",
         "user_id": "+14155551234" if channel in ("telephone", "sms", "whatsapp") else "user_42"}
    if channel == "email":
        r["to_address"] = "customer@example.com"
    return r


# ---- options (validation_test.cpp: ValidationSpecOptions*) ---------------------------------
def options():
    every = {"path": ":memory:", "clock": "manual", "start": "2026-01-01T01:00:00.000+01:00",
             "synchronous": "normal", "platform_max_open_minutes": 1, "ring_timeout_seconds": 1,
             "dial_timeout_seconds": 1, "token_ttl_seconds": 1,
             "webrtc_url": "wss://example.com/rtc", "max_open_per_organization": 1,
             "timer_thread": False, "log_level": "off"}
    seeds = {
        "empty_object": "{}",
        "memory_manual": dump({"path": ":memory:", "clock": "manual", "start": "2026-01-01T00:00:00.000Z"}),
        "every_key": dump(every),
        "file_path_full": dump({"path": "convo.db", "synchronous": "full", "clock": "manual"}),
        "system_clock_timer_thread": dump({"clock": "system", "timer_thread": True, "log_level": "error"}),
        "limits": dump({"clock": "manual", "max_request_bytes": 4096, "max_message_bytes": 64,
                        "max_metadata_bytes": 128}),
        "long_timers": dump({"clock": "manual", "platform_max_open_minutes": 1000000000,
                             "ring_timeout_seconds": 1000000000, "dial_timeout_seconds": 1000000000,
                             "token_ttl_seconds": 1000000000}),
        "start_year_9000": dump({"clock": "manual", "start": "9000-01-01T00:00:00.000Z"}),
        "start_year_0": dump({"clock": "manual", "start": "0000-01-01T00:00:00Z"}),
        "start_offset": dump({"clock": "manual", "start": "2026-06-30T23:59:59.123456-07:00"}),
        "not_json": '{"path":":memory:"',
        "array": "[]",
        "number": "5",
        "string": '":memory:"',
        "unknown_key": dump({"foo": 1}),
        "path_not_string": dump({"path": 5}),
        "path_empty": dump({"path": ""}),
        "clock_unknown": dump({"clock": "sundial"}),
        "start_without_offset": dump({"clock": "manual", "start": "2026-01-01T00:00:00"}),
        "start_with_system_clock": dump({"start": "2026-01-01T00:00:00Z"}),
        "timer_thread_manual": dump({"clock": "manual", "timer_thread": True}),
        "synchronous_unknown": dump({"synchronous": "off"}),
        "log_level_unknown": dump({"log_level": "verbose"}),
        "ring_zero": dump({"ring_timeout_seconds": 0}),
        "dial_fraction": dump({"dial_timeout_seconds": 1.5}),
        "ttl_string": dump({"token_ttl_seconds": "5"}),
        "max_open_bool": dump({"max_open_per_organization": True}),
        "platform_negative": dump({"platform_max_open_minutes": -1}),
        "platform_huge": dump({"platform_max_open_minutes": 18446744073709551615}),
        "duplicate_path": '{"path":"a.db","clock":"manual","path":":memory:"}',
        "nul_inside": b'{"clock":"manual"}\x00{"path":"/etc/passwd"}',
        "deep": "[" * 100 + "]" * 100,
        "wrap_up_short": dump({"clock": "manual", "wrap_up_timeout_seconds": 1}),
        "wrap_up_huge": dump({"clock": "manual", "wrap_up_timeout_seconds": 1000000000}),
        "wrap_up_too_big": dump({"clock": "manual", "wrap_up_timeout_seconds": 1000000001}),
        "wrap_up_long_year_9000": dump({"clock": "manual", "start": "9999-12-31T00:00:00.000Z",
                                        "wrap_up_timeout_seconds": 86400}),
        "wrap_up_zero": dump({"wrap_up_timeout_seconds": 0}),
        "wrap_up_string": dump({"wrap_up_timeout_seconds": "300"}),
    }
    for name, data in seeds.items():
        write("options", name, data)


# ---- agents (validation_test.cpp: ValidationSpecAgentPut*, agents_test.cpp) ------------------
def agents():
    good = standard_agent()
    def v0(**patch):
        a = json.loads(dump(good))
        a["versions"][0].update(patch)
        return a
    seeds = {
        "standard": good,
        "other_agent": standard_agent("agent_new", "+18885550005"),
        "no_phone": without(standard_agent("agent_x"), "phone_number"),
        "phone_null": with_(standard_agent("agent_y"), phone_number=None),
        "empty_versions": with_(standard_agent("agent_z", "+12"), versions=[]),
        "id_128": with_(standard_agent("a" * 128, "+123456789012345")),
        "id_charset": with_(standard_agent("Az09_.:-"), phone_number=None),
        "versions_with_ids": with_(good, versions=[with_(good["versions"][0], id="{{v1}}"),
                                                    with_(good["versions"][1], id="{{v2}}")]),
        "publish_v2": with_(good, versions=[good["versions"][0], with_(good["versions"][1], published=True)]),
        "new_version_3": with_(good, versions=good["versions"] + [{"version": 3, "published": True}]),
        "phone_of_other": with_(standard_agent("agent_abc"), phone_number="+18885550001"),
        "id_missing": without(good, "id"),
        "id_with_space": with_(good, id="agent abc"),
        "id_too_long": with_(good, id="a" * 129),
        "name_empty": with_(good, name=""),
        "versions_object": with_(good, versions={}),
        "duplicate_version": with_(good, versions=[good["versions"][0], with_(good["versions"][1], version=1)]),
        "version_zero": v0(version=0),
        "version_fraction": v0(version=1.5),
        "version_huge": v0(version=2147483648),
        "published_string": v0(published="yes"),
        "capability_string": v0(capabilities={"supportsVideoInput": "yes"}),
        "capability_unknown": v0(capabilities={"supportsTelepathy": True}),
        "phone_no_plus": with_(good, phone_number="18885550000"),
        "phone_too_long": with_(good, phone_number="+1234567890123456"),
        "unknown_field": with_(good, foo=1),
        "version_id_mismatch": v0(id=SOME_UUID),
        "version_id_new_version": with_(good, versions=good["versions"] + [{"version": 3, "id": SOME_UUID}]),
        "unicode_name": with_(good, name="Caf\u00e9 \u2603 \U0001F600"),
    }
    for name, a in seeds.items():
        write("agent", name + ".json", dump(a))
    write("agent", "not_json", '{"id":"agent_abc"')
    write("agent", "array", "[]")
    write("agent", "null", "null")
    write("agent", "lone_surrogate", '{"id":"agent_abc","name":"\\ud800","versions":[]}')
    write("agent", "invalid_utf8", b'{"id":"agent_abc","name":"\xff\xfe","versions":[]}')
    write("agent", "escaped_nul", '{"id":"agent\\u0000abc","name":"n","versions":[]}')


# ---- create (validation_test.cpp: ValidationSpecCreate*, create_test.cpp) --------------------
SEEDS = [{"role": "user", "text": "I wrote earlier"}, {"role": "agent", "text": "We replied"}]
TEMPLATE = {"type": "template", "template": {"name": "order_update",
                                             "variables": {"body": ["42"], "header": "Hi",
                                                           "buttons": ["track"], "cards": [{"body": ["x"]}]}}}


def creates():
    sms, wa = request_for("sms"), request_for("whatsapp")
    text, email, tel = request_for("text"), request_for("email"), request_for("telephone")
    tel_in, rtc = request_for("telephone", "inbound"), request_for("webrtc")
    noref = without(text, "agent_id")
    seeds = {
        "text": text, "email": email, "telephone": tel, "telephone_inbound": tel_in, "webrtc": rtc,
        "text_inbound": request_for("text", "inbound"),
        "text_timeouts": with_(text, idle_timeout_minutes=1, max_open_minutes=1),
        "text_huge_timeouts": with_(text, idle_timeout_minutes=1000000000, max_open_minutes=1000000000),
        "version_1": with_(text, version=1), "version_latest": with_(text, version="latest"),
        "version_2_unpublished": with_(text, version=2), "version_9": with_(text, version=9),
        "client_id_upper": with_(text, id="0190B8C2-7D4E-4ABC-8DEF-0123456789AB"),
        "client_id": with_(email, id=SOME_UUID),
        "client_id_of_org_b": with_(text, id=TAKEN_BY_B),
        "telephone_short_number": with_(tel, user_id="+12"),
        "email_from": with_(email, from_address="support@example.org", subject="Hi"),
        "metadata": with_(text, custom_metadata={"tier": "gold", "account": {"id": 7, "tags": ["a", "b"]}}),
        "metadata_empty": with_(text, custom_metadata={}),
        "initial_context_empty": with_(text, initial_context=""),
        "agent_config": with_(noref, agent_config={"name": "Inline", "greeting": "Hello",
                                                   "speaks_first": True, "prompt": "anything",
                                                   "capabilities": {"supportsVideoInput": True}}),
        "agent_version_id": with_(without(rtc, "agent_id"), agent_version_id="{{v1}}"),
        "agent_version_id_unpublished": with_(without(rtc, "agent_id"), agent_version_id="{{v2}}"),
        "agent_number_alone": with_(without(tel_in, "agent_id"), agent_number="+18885550000"),
        "agent_draft": with_(text, agent_id="agent_draft"),
        "agent_nonum_telephone": with_(tel, agent_id="agent_nonum"),
        "web_widget": with_(rtc, web_widget_id="widget-1"),
        "unknown_field": with_(text, foo=1),
        "channel_unknown": with_(text, channel="fax"),
        "user_id_missing": without(text, "user_id"),
        "telephone_user_not_e164": with_(tel, user_id="user_42"),
        "no_agent_ref": noref,
        "two_agent_refs": with_(text, agent_version_id=SOME_UUID),
        "version_without_agent_id": with_(noref, agent_config={}, version=1),
        "to_address_missing": without(email, "to_address"),
        "to_address_bad": with_(email, to_address="cus tomer@example.com"),
        "metadata_array": with_(text, custom_metadata=[1]),
        "id_bad": with_(text, id="0190b8c2-7d4e-4abc-8def-0123456789ag"),
        "idle_zero": with_(text, idle_timeout_minutes=0),
        "idle_fraction": with_(text, max_open_minutes=1.5),
        "user_id_257": with_(text, user_id="u" * 257),
        # sms and whatsapp: a business number, seed messages, tags, a template opener.
        "sms": sms, "sms_inbound": request_for("sms", "inbound"),
        "sms_from_number_seeds_tags": with_(sms, from_number="+18885550300", messages=SEEDS, tags=["vip", "crm"]),
        "sms_agent_config": with_(without(sms, "agent_id"), agent_config={"name": "Inline", "greeting": "Hi",
                                                                           "speaks_first": True}),
        "whatsapp_template": with_(wa, message=TEMPLATE),
        "whatsapp_template_client_id": with_(wa, message=TEMPLATE, id="0190b8c2-7d4e-4abc-8def-0123456789ac"),
        "whatsapp_inbound_seeds": with_(request_for("whatsapp", "inbound"), messages=SEEDS, tags=["t"]),
        "whatsapp_inbound_agent_nonum": with_(request_for("whatsapp", "inbound"), agent_id="agent_nonum"),
        "whatsapp_version_id_template": with_(without(wa, "agent_id"), agent_version_id="{{v1}}",
                                              message={"type": "template", "template": {"name": "t"}}),
        "email_seeds": with_(email, messages=[{"role": "agent", "text": "We wrote"}]),
        "telephone_seeds": with_(tel, messages=SEEDS),
        # Refused: closed window without a template (412), a template off WhatsApp, bad seeds.
        "whatsapp_no_template": wa,
        "sms_template": with_(sms, message=TEMPLATE),
        "whatsapp_user_not_e164": with_(wa, user_id="user_42", message=TEMPLATE),
        "whatsapp_message_not_template": with_(wa, message={"type": "text", "text": "hi"}),
        "whatsapp_template_unknown_key": with_(wa, message={"type": "template", "template": {"name": "t", "lang": "en"}}),
        "whatsapp_template_no_name": with_(wa, message={"type": "template", "template": {"variables": {}}}),
        "from_number_on_text": with_(text, from_number="+18885550300"),
        "from_number_not_e164": with_(sms, from_number="18885550300"),
        "seed_role_human": with_(text, messages=[{"role": "human", "text": "hi"}]),
        "seed_text_empty": with_(text, messages=[{"role": "user", "text": ""}]),
        "seeds_not_array": with_(text, messages={"role": "user", "text": "hi"}),
        "tags_not_strings": with_(text, tags=[1]),
    }
    for name, r in seeds.items():
        write("create", name + ".json", dump(r))
    for name, raw in {"empty": "", "truncated": '{"channel":"text"', "not_json": "channel=text",
                      "trailing_comma": '{"channel":"text","user_id":"u","agent_id":"agent_abc",}',
                      "trailing_garbage": '{"channel":"text","user_id":"u","agent_id":"agent_abc"} x',
                      "array": "[]", "number": "5", "null": "null",
                      "surrogate": '{"channel":"text","user_id":"\\ud800","agent_id":"agent_abc"}',
                      "deep_metadata": '{"channel":"text","user_id":"u","agent_id":"agent_abc","custom_metadata":'
                                       + '{"a":' * 70 + "1" + "}" * 71}.items():
        write("create", name, raw)
    write("create", "invalid_utf8", b'{"channel":"text","user_id":"u\xff\xfe","agent_id":"agent_abc"}')
    write("create", "nul_byte", b'{"channel":"text",\x00"user_id":"u"}')


# ---- dispatch (validation_test.cpp: ValidationSpecDispatch*, lifecycle_test.cpp) ------------
# Byte 0 picks the conversation: fuzz_dispatch.cpp's slot table (CONVO_FUZZ_SLOTS=1 prints it).
SLOT = {"tel_out_triggered": 0, "tel_in_ringing": 1, "email_triggered": 2, "webrtc_token": 3,
        "text_in_progress": 4, "tel_out_in_progress": 5, "tel_out_unanswered": 6,
        "tel_out_ringing": 9, "email_in_progress": 17, "webrtc_in_progress": 21,
        "text_completed": 22, "webrtc_unanswered": 32, "sms_in_progress": 33, "whatsapp_out": 35,
        "whatsapp_in": 36, "whatsapp_in_completed": 46, "text_taken_over": 49, "whatsapp_open": 50,
        "whatsapp_open_taken_over": 51, "whatsapp_closed_taken_over": 52, "text_finalized": 53,
        "unknown": 55}


def dispatches():
    msg = {"type": "message", "role": "user", "text": "hello"}
    valid = [
        ("ringing", "tel_out_triggered", {"type": "ringing"}),
        ("answered", "tel_in_ringing", {"type": "answered"}),
        ("answered_from_triggered", "tel_out_triggered", {"type": "answered"}),
        ("joined", "webrtc_token", {"type": "joined"}),
        ("delivered", "email_triggered", {"type": "delivered"}),
        ("email_reply", "email_triggered", msg),
        ("message", "text_in_progress", msg),
        ("message_agent_at", "text_in_progress", with_(msg, role="agent", at="2026-01-01T00:00:00Z")),
        ("message_human_event_id", "webrtc_in_progress", with_(msg, role="human", event_id="e" * 256)),
        ("end", "tel_out_in_progress", {"type": "end"}),
        ("end_reason", "email_in_progress", {"type": "end", "reason": "resolved"}),
        ("cancel", "webrtc_token", {"type": "cancel"}),
        ("no_answer", "tel_out_ringing", {"type": "no_answer"}),
        ("busy", "tel_in_ringing", {"type": "busy"}),
        ("fail", "tel_out_triggered", {"type": "fail", "reason": "carrier_error"}),
        ("transfer", "text_in_progress", {"type": "transfer", "to": "+14155550199"}),
        ("annotate", "text_completed", {"type": "annotate", "summary": "s", "topic": "t",
                                        "actions_needed": ["call back"], "tags": ["vip"],
                                        "recording_details": {"url": "https://r.example/1"}}),
        ("annotate_terminal", "webrtc_unanswered", {"type": "annotate", "tags": []}),
        ("message_event_id", "text_in_progress", with_(msg, event_id="retry-1")),
        # Refused by the table (CONVO_ECONFLICT) or the channel.
        ("answered_in_completed", "text_completed", {"type": "answered"}),
        ("joined_on_telephone", "tel_out_triggered", {"type": "joined"}),
        ("message_in_ringing", "tel_in_ringing", msg),
        ("end_unanswered", "tel_out_unanswered", {"type": "end"}),
        ("end_unknown_conversation", "unknown", {"type": "end"}),
        # Takeover, handback, close, finalize; the rules on messages beside the table.
        ("takeover", "text_in_progress", {"type": "takeover"}),
        ("takeover_minutes_again", "text_taken_over", {"type": "takeover", "minutes": 30, "event_id": "t-1"}),
        ("handback", "text_taken_over", {"type": "handback"}),
        ("handback_nothing_to_do", "text_in_progress", {"type": "handback"}),
        ("handback_nothing_to_do_event_id", "text_in_progress", {"type": "handback", "event_id": "h-1"}),
        ("handback_in_ringing", "tel_in_ringing", {"type": "handback"}),
        ("close", "sms_in_progress", {"type": "close"}),
        ("close_skip_notifications", "tel_in_ringing", {"type": "close", "skip_notifications": True}),
        ("close_ended", "text_completed", {"type": "close"}),
        ("finalize", "text_completed", {"type": "finalize"}),
        ("finalize_fields", "whatsapp_in_completed", {"type": "finalize", "summary": "s", "topic": "t",
                                                      "actions_needed": ["a"], "tags": ["x"]}),
        ("finalize_done", "text_finalized", {"type": "finalize"}),
        ("close_ended_event_id", "whatsapp_in_completed", {"type": "close", "event_id": "c-1"}),
        ("finalize_done_fields", "text_finalized", {"type": "finalize", "summary": "later"}),
        ("finalize_open", "text_in_progress", {"type": "finalize"}),
        ("agent_taken_over", "text_taken_over", with_(msg, role="agent")),
        ("human_taken_over", "text_taken_over", with_(msg, role="human")),
        ("whatsapp_agent_closed_window", "whatsapp_out", with_(msg, role="agent")),
        ("whatsapp_human_closed_taken_over", "whatsapp_closed_taken_over", with_(msg, role="human")),
        ("whatsapp_agent_closed_taken_over", "whatsapp_closed_taken_over", with_(msg, role="agent")),
        ("whatsapp_template_closed_window", "whatsapp_in",
         {"type": "message", "role": "agent", "template": {"name": "reminder", "variables": {"body": ["1"]}}}),
        ("whatsapp_user_opens_window", "whatsapp_in", msg),
        ("whatsapp_agent_open_window", "whatsapp_open", with_(msg, role="agent", event_id="w-1")),
        ("whatsapp_agent_open_taken_over", "whatsapp_open_taken_over", with_(msg, role="agent")),
        ("sms_agent", "sms_in_progress", with_(msg, role="agent")),
    ]
    for name, slot, e in valid:
        write("dispatch", name, bytes([SLOT[slot]]) + dump(e).encode())
    write("dispatch", "message_no_sensitive", bytes([SLOT["text_in_progress"] | 0x40]) + dump(msg).encode())
    write("dispatch", "end_upper_case_id", bytes([SLOT["tel_out_in_progress"] | 0x80]) + b'{"type":"end"}')
    invalid = {
        "empty": "", "not_json": "type=message", "truncated": '{"type":"end"', "array": "[]",
        "missing_type": dump(without(msg, "type")), "type_unknown": dump({"type": "explode"}),
        "type_wrong_case": dump({"type": "End"}), "role_invalid": dump(with_(msg, role="bot")),
        "text_empty": dump(with_(msg, text="")), "unknown_field": dump(with_(msg, foo=1)),
        "fail_without_reason": dump({"type": "fail"}), "transfer_without_to": dump({"type": "transfer"}),
        "annotate_nothing": dump({"type": "annotate"}),
        "annotate_tags_not_strings": dump({"type": "annotate", "tags": [1]}),
        "at_bad_day": dump(with_(msg, at="2026-02-30T00:00:00Z")),
        "at_offset": dump(with_(msg, at="2025-12-31T23:59:59.999-00:01")),
        "at_far_future": dump(with_(msg, at="9999-12-31T23:59:59Z")),
        "event_id_257": dump(with_(msg, event_id="e" * 257)),
        "event_id_empty": dump(with_(msg, event_id="")),
        "surrogate": '{"type":"message","role":"user","text":"\\udc00"}',
        "escaped_nul_text": '{"type":"message","role":"user","text":"a\\u0000b"}',
        "takeover_minutes_zero": dump({"type": "takeover", "minutes": 0}),
        "close_skip_string": dump({"type": "close", "skip_notifications": "yes"}),
        "finalize_recording": dump({"type": "finalize", "recording_details": {}}),
        "template_user": dump({"type": "message", "role": "user", "template": {"name": "t"}}),
        "template_and_text": dump({"type": "message", "role": "agent", "text": "hi", "template": {"name": "t"}}),
        "template_on_text": dump({"type": "message", "role": "agent", "template": {"name": "t"}}),
    }
    for name, raw in invalid.items():
        write("dispatch", "invalid_" + name, bytes([SLOT["text_in_progress"]]) + raw.encode())
    write("dispatch", "invalid_utf8", bytes([SLOT["text_in_progress"]]) + b'{"type":"message","role":"user","text":"\xc3"}')
    write("dispatch", "nul_byte", bytes([SLOT["text_in_progress"]]) + b'{"type":"end"}\x00garbage')


# ---- list (list_test.cpp) ----------------------------------------------------------------
def lists():
    seeds = {
        "empty": {}, "limit_1": {"limit": 1}, "limit_100": {"limit": 100},
        "status": {"status": "in_progress"}, "statuses": {"status": ["triggered", "ringing", "completed"]},
        "status_empty_array": {"status": []},
        "channel": {"channel": "telephone"}, "direction": {"direction": "inbound"},
        "agent_id": {"agent_id": "agent_xyz"}, "agent_version_id": {"agent_version_id": "{{v2}}"},
        "agent_version_id_x1": {"agent_version_id": "{{x1}}", "limit": 3},
        "user_id": {"user_id": "user_1"}, "agent_number": {"agent_number": "+18885550001"},
        "metadata": {"custom_metadata": {"tier": "gold"}},
        "metadata_two": {"custom_metadata": {"tier": "gold", "region": "eu"}},
        "metadata_nested": {"custom_metadata": {"account": {"tags": ["a", "b"], "id": 7}}},
        "metadata_number": {"custom_metadata": {"n": 1, "f": 1.5}},
        "metadata_null": {"custom_metadata": {"z": None}},
        "metadata_empty_key": {"custom_metadata": {"": ""}},
        "metadata_type_mismatch": {"custom_metadata": {"account": {"id": "8"}}},
        "created_after": {"created_after": "2026-01-01T00:00:05.000Z"},
        "created_range": {"created_after": "2026-01-01T00:00:02.000Z", "created_before": "2026-01-01T00:00:09.000Z"},
        "created_offset": {"created_before": "2026-01-01T01:00:10+01:00"},
        "combined": {"custom_metadata": {"tier": "gold"}, "channel": "webrtc", "status": ["token_created"], "limit": 2},
        "cursor_forged": {"cursor": "v1.1767225605000.3"},
        "cursor_bad": {"cursor": "v1.x.y"}, "cursor_overflow": {"cursor": "v1.99999999999999999999.1"},
        "limit_0": {"limit": 0}, "limit_101": {"limit": 101}, "limit_string": {"limit": "5"},
        "status_unknown": {"status": "open"}, "status_number": {"status": [1]},
        "metadata_string": {"custom_metadata": "tier=gold"}, "unknown_key": {"sort": "asc"},
        "created_after_bad": {"created_after": "yesterday"},
    }
    for name, q in seeds.items():
        write("list", name + ".json", dump(q))
    write("list", "not_json", "{")
    write("list", "array", "[]")
    write("list", "nul_byte", b'{"limit":1}\x00{"limit":0}')


# ---- sequence (fuzz_sequence.cpp's operations) --------------------------------------------
CH = {"telephone": 0, "webrtc": 1, "email": 2, "text": 3}
TYPES = ["ringing", "answered", "joined", "delivered", "message", "end", "cancel", "no_answer",
         "busy", "fail", "transfer", "annotate", "bogus", "takeover", "handback", "close", "finalize"]
USER, AGENT, HUMAN = 0, 1, 2  # dispatch_op roles


def create_op(channel, inbound=False, org=0, idle=0, max_open=0, client=None, variant=0):
    a = CH[channel] | (4 if inbound else 0) | (8 if org else 0) | (idle << 4)
    b = max_open | ((4 if client is None else client) << 2) | (variant << 5)
    return bytes([0, a, b])


def chat_op(whatsapp=True, inbound=False, org=0, idle=0, max_open=0, client=None, variant=0, user=0,
            from_number=False, template=False, seeds=0, tags=False):
    """fuzz_sequence's create_chat: seeds 0 none, 1 user, 2 user and agent, 3 agent."""
    c = (1 if whatsapp else 0) | (user << 1) | (8 if from_number else 0) | (16 if template else 0) \
        | (seeds << 5) | (128 if tags else 0)
    return bytes([13]) + create_op("telephone", inbound, org, idle, max_open, client, variant)[1:] + bytes([c])


def dispatch_op(conv, type_, event_id=0, at=0, other_org=False, role=0, extra=False, variant=False):
    """extra: an end's reason, an annotate's tags, a close's skip_notifications, a finalize's
    fields; variant: a business message's template, a takeover's minutes (1 + role)."""
    flags = event_id | (at << 2) | (16 if other_org else 0) | (role << 5) | (64 if extra else 0) \
        | (128 if variant else 0)
    return bytes([2, conv, TYPES.index(type_), flags])


TICK = bytes([4])
LIST = bytes([9])


def advance(step):  # 0:1s 1:10s 2:59s 3:60s 4:61s 5:5m 6:30m 7:1h 8:1d 9:7d 10:next 11:next-1 12:next+1
    return bytes([5, step])


def raw_dispatch(conv, text):
    data = text.encode()[:255]
    return bytes([6, conv, len(data)]) + data


def raw_create(text):
    data = text.encode()[:255]
    return bytes([7, len(data)]) + data


def sequences():
    seqs = {
        "text_lifecycle": bytes([0]) + create_op("text") + dispatch_op(0, "message") + dispatch_op(0, "end") + TICK,
        "telephone_outbound": bytes([0]) + create_op("telephone") + dispatch_op(0, "ringing")
        + dispatch_op(0, "answered") + dispatch_op(0, "message", role=1) + dispatch_op(0, "transfer"),
        "ring_timeout": bytes([1]) + create_op("telephone", inbound=True) + advance(4) + TICK + bytes([8, 0]),
        "dial_timeout": bytes([3]) + create_op("telephone") + advance(10) + TICK + dispatch_op(0, "answered"),
        "join_timeout": bytes([9]) + create_op("webrtc") + advance(11) + TICK + advance(12) + TICK,
        "email_reply": bytes([0]) + create_op("email") + dispatch_op(0, "message") + dispatch_op(0, "annotate", extra=True),
        "idle_overdue_message": bytes([0]) + create_op("text", idle=1) + advance(4) + dispatch_op(0, "message"),
        "idle_reset_by_message": bytes([0]) + create_op("text", idle=1) + advance(2) + dispatch_op(0, "message")
        + advance(2) + TICK + advance(3) + TICK,
        "max_open_platform": bytes([36]) + create_op("text") + create_op("email") + advance(4) + TICK + advance(4) + TICK,
        "client_id_repeat": bytes([0]) + create_op("text", client=0) + create_op("text", client=0)
        + create_op("text", org=1, client=0) + create_op("webrtc", client=1) + create_op("webrtc", client=1),
        "event_id_repeat": bytes([0]) + create_op("text") + dispatch_op(0, "message", event_id=1)
        + dispatch_op(0, "end", event_id=1) + dispatch_op(0, "end", event_id=2) + dispatch_op(0, "end", event_id=2),
        "usage_limit": bytes([0x80]) + create_op("text") * 4 + dispatch_op(0, "end") + create_op("text"),
        "unpublished_agent": bytes([0]) + bytes([11, 0]) + create_op("text") + create_op("text", variant=3)
        + bytes([11, 2]) + create_op("text", variant=1),
        "variants": bytes([0]) + b"".join(create_op("telephone", variant=v) for v in range(8)),
        "other_org": bytes([0]) + create_op("text", org=1) + dispatch_op(0, "message", other_org=True)
        + dispatch_op(1, "end") + LIST,
        "clock_back": bytes([0]) + advance(8) + bytes([10, 5]) + create_op("text") + bytes([10, 0]),
        "at_in_past": bytes([0]) + create_op("telephone", idle=1) + advance(7) + dispatch_op(0, "answered", at=2)
        + dispatch_op(0, "message", at=1) + dispatch_op(0, "end", at=3),
        "raw_ops": bytes([0]) + raw_create(dump(request_for("text")))
        + raw_dispatch(0, dump({"type": "message", "role": "user", "text": "hi", "event_id": "e1"}))
        + dispatch_op(0, "message", event_id=1) + raw_dispatch(0, '{"type":"end"')
        + raw_create(dump(with_(request_for("text"), id="c0000000-0000-4000-8000-000000000001")))
        + create_op("text", client=0),
        "every_event_everywhere": bytes([0]) + b"".join(create_op(c) for c in CH)
        + b"".join(dispatch_op(i, t) for i in range(5) for t in TYPES[:12:3]) + TICK + LIST,
        "long_day": bytes([2]) + create_op("telephone", max_open=1) + create_op("webrtc", max_open=2)
        + create_op("email", idle=2) + advance(8) + TICK + advance(9) + TICK + LIST,
        "busy_no_answer": bytes([0]) + create_op("telephone") + create_op("telephone", inbound=True)
        + dispatch_op(0, "busy") + dispatch_op(1, "no_answer") + dispatch_op(0, "cancel"),
        "bogus_and_unknown": bytes([0]) + create_op("text") + dispatch_op(0, "bogus") + dispatch_op(1, "end"),
        # The WhatsApp window: closed until a user message, shared by the contact's conversations,
        # 24 hours long; outside it only templates (and inbound creates).
        "whatsapp_window": bytes([0]) + chat_op(inbound=True) + dispatch_op(0, "message", role=AGENT)
        + dispatch_op(0, "message", role=HUMAN, variant=True) + dispatch_op(0, "message")
        + dispatch_op(0, "message", role=AGENT) + chat_op() + chat_op(user=1)
        + chat_op(user=1, template=True, seeds=2) + dispatch_op(2, "message", role=HUMAN) + bytes([8, 1]),
        "whatsapp_window_expires": bytes([0]) + chat_op(inbound=True) + dispatch_op(0, "message", at=1)
        + advance(8) + TICK + chat_op() + chat_op(inbound=True) + dispatch_op(1, "message", role=AGENT)
        + dispatch_op(1, "message", role=AGENT, variant=True) + dispatch_op(1, "message"),
        "chat_creates": bytes([0]) + chat_op(whatsapp=False, from_number=True, seeds=2, tags=True)
        + chat_op(whatsapp=False, template=True) + chat_op(inbound=True, variant=3, seeds=1)
        + chat_op(template=True, client=0, seeds=3) + chat_op(template=True, client=0)
        + chat_op(whatsapp=False, inbound=True, org=1, user=2) + chat_op(variant=2, template=True)
        + dispatch_op(0, "message") + dispatch_op(0, "message", role=AGENT) + LIST,
        # Takeover: agents refused until a handback or the takeover timer; the idle timer may end
        # the conversation first (no handback then).
        "takeover_timer": bytes([0]) + create_op("text") + dispatch_op(0, "takeover", variant=True)
        + dispatch_op(0, "message", role=AGENT) + dispatch_op(0, "message", role=HUMAN) + advance(4) + TICK
        + dispatch_op(0, "message", role=AGENT) + dispatch_op(0, "takeover", event_id=1)
        + dispatch_op(0, "takeover", event_id=1) + dispatch_op(0, "handback") + dispatch_op(0, "handback", event_id=2)
        + dispatch_op(0, "takeover", event_id=2),
        "takeover_then_idle": bytes([0]) + create_op("text", idle=1) + dispatch_op(0, "takeover", variant=True, role=3)
        + advance(4) + TICK + bytes([8, 0]),
        "takeover_overdue_in_dispatch": bytes([0]) + chat_op(inbound=True) + dispatch_op(0, "message")
        + dispatch_op(0, "takeover", variant=True) + advance(4) + dispatch_op(0, "handback")
        + dispatch_op(0, "message", role=AGENT, at=1),
        # close, finalize and the wrap-up timer (2 s with engine byte 54).
        "close_finalize_wrap_up": bytes([54]) + create_op("text") + dispatch_op(0, "close", extra=True)
        + dispatch_op(0, "close", event_id=1) + dispatch_op(0, "finalize", extra=True)
        + dispatch_op(0, "finalize") + dispatch_op(0, "finalize", extra=True) + create_op("telephone")
        + dispatch_op(1, "close") + advance(1) + TICK + dispatch_op(1, "finalize") + dispatch_op(1, "message"),
        "wrap_up_overdue_in_dispatch": bytes([54]) + create_op("webrtc") + dispatch_op(0, "cancel") + advance(1)
        + dispatch_op(0, "annotate") + dispatch_op(0, "finalize", extra=True) + advance(12) + TICK,
        "wrap_up_default": bytes([0]) + create_op("email") + dispatch_op(0, "fail") + advance(10) + TICK
        + advance(5) + TICK + dispatch_op(0, "close"),
        "raw_whatsapp": bytes([0]) + raw_create(dump({"channel": "whatsapp", "direction": "inbound",
                                                      "user_id": "+14155550009", "agent_id": "agent_abc",
                                                      "messages": [{"role": "user", "text": "hi"}]}))
        + raw_dispatch(0, dump({"type": "message", "role": "agent", "template": {"name": "t"}, "event_id": "e2"}))
        + raw_dispatch(0, dump({"type": "takeover", "minutes": 2, "event_id": "e1"}))
        + dispatch_op(0, "handback", event_id=1) + dispatch_op(0, "close", event_id=2),
    }
    for name, data in seqs.items():
        write("sequence", name, data)


if __name__ == "__main__":
    clear_seeds()
    options()
    agents()
    creates()
    dispatches()
    lists()
    sequences()
    for t in sorted(os.listdir(OUT)):
        print(t, len(os.listdir(os.path.join(OUT, t))))
