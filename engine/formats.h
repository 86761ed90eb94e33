// The three API shapes a session may speak: AnyReach (convo's native shape), Wassist (WhatsApp
// agents) and HelloAnnie (CHAT/SMS bots). A format changes only how a session's requests are
// read and its conversations and events are written; these pure functions translate JSON at
// that edge, so the engine, its rules and its store stay the same. docs/formats.md maps the
// shapes field by field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "conversation.h"
#include "outcome.h"

namespace convo {

enum class Format : uint8_t { anyreach, wassist, helloannie };

extern const char *const kFormatNames;  // "anyreach, wassist, helloannie", for error messages
std::optional<Format> format_from_name(std::string_view name);
std::string_view format_name(Format f);

// ---- Requests in. For anyreach both copy `in`. Otherwise they check what the format's spec
// says (types, required fields, UUIDs, enums, unknown fields) and name fields as the format
// does; what the native parser checks afterwards, its errors name natively, so pass those
// through outcome_in_format. Their own errors are already in the format's names: do not pass
// them through it (a refused native spelling, "user_id: unknown field", would be renamed).

// A create request in the format's shape → the native create request.
Outcome create_to_native(Format f, const Json &in, Json *native);
// A dispatch event in the format's shape → the native event.
Outcome event_to_native(Format f, const Json &in, Json *native);

// ---- Results out. Each takes what the engine writes natively and returns the format's body.

// A create response. `*http_status` holds the native status (200 or 202) on entry and the
// format's on return (Wassist 201, HelloAnnie 200). A response without a conversation
// (telephone's {"contact_id"}) comes back unchanged.
Json create_response_from_native(Format f, const Json &native_response, int *http_status);
// The body of get and dispatch.
Json conversation_from_native(Format f, const Json &native_conversation);
// The body of list: native {"items":[…],"next_cursor":…}.
Json conversation_list_from_native(Format f, const Json &native_list);
// One feed event (convo_events items, subscriber callbacks).
Json event_from_native(Format f, const Json &native_event);
// The body of convo_events: native {"events":[…],"next_seq":n}.
Json event_page_from_native(Format f, const Json &native_page);

// ---- Errors. Rewrites the leading field path(s) of a native error message ("user_id: …",
// "messages[2].text: …", "text, template: …") into the format's names ("toNumber: …",
// "messages[2].input: …"), and the field list of "…: needs at least one of a, b".
std::string message_in_format(Format f, const std::string &native_message);
// The same outcome (same code) with its message in the format's names.
Outcome outcome_in_format(Format f, const Outcome &native);

}  // namespace convo
