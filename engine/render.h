// The JSON hosts see: conversations and feed events, with sensitive fields only for sessions
// that have the SENSITIVE scope. Written with JsonOut, straight into the answer's text.
#pragma once

#include <vector>

#include "conversation.h"
#include "json_out.h"

namespace convo {

// `transcript` is read only when `sensitive`.
void conversation_json(JsonOut &w, const Conversation &c, const std::vector<Message> &transcript,
                       bool sensitive, TimeMs now);

void event_json(JsonOut &w, const FeedEvent &e, bool sensitive);

// A stored create response as a session may see it.
Json redact_response(Json body, bool sensitive);

}  // namespace convo
