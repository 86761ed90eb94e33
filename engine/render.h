// The JSON hosts see: conversations and feed events, with sensitive fields only for sessions
// that have the SENSITIVE scope.
#pragma once

#include <vector>

#include "conversation.h"

namespace convo {

// `transcript` is read only when `sensitive`.
Json conversation_json(const Conversation &c, const std::vector<Message> &transcript,
                       bool sensitive, TimeMs now);

Json event_json(const FeedEvent &e, bool sensitive);

// A stored create response as a session may see it.
Json redact_response(Json body, bool sensitive);

}  // namespace convo
