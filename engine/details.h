// The `details` column: the conversation fields without a column of their own, as one JSON
// object. Written with JsonOut and read with a SAX reader straight into the conversation, with
// no JSON tree in between except for the host's own values (custom_metadata, tags, ...): a
// dispatch reads and writes it once each, and the tree round trip was a third of its CPU.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "conversation.h"

namespace convo {

// A stored row that cannot be read back.
struct CorruptRow : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string encode_details(const Conversation &c);

// Sets c's details fields from `text`; the other fields (status in particular) must be set
// already, since rows older than schema 2 take their wrap-up from the status. Throws
// CorruptRow when `text` is not such an object.
void decode_details(std::string_view text, Conversation &c);

}  // namespace convo
