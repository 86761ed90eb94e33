// Recently used conversations, as the store holds them, so a call on a conversation that is in
// use (the common case: a conversation gets its messages close together) neither SELECTs its
// row nor parses its details. Least recently used out first; a fixed number of entries, so
// memory does not grow with the store.
//
// The store keeps it equal to what its open transaction would read: a written batch's
// conversations enter once the batch is written, and whatever a group wrote is dropped when the
// group does not commit (sqlite_store.cpp).
#pragma once

#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "conversation.h"

namespace convo {

class ConversationCache {
public:
    explicit ConversationCache(size_t capacity) : capacity_(capacity) {}

    // The conversation with this id (made the most recently used), or null.
    const Conversation *find(std::string_view id);
    void put(Conversation c);
    void erase(std::string_view id);
    void clear();
    size_t size() const { return by_id_.size(); }

private:
    using Entries = std::list<Conversation>;
    const size_t capacity_;
    Entries entries_;  // most recently used first
    std::unordered_map<std::string_view, Entries::iterator> by_id_;  // keys view entries' ids
};

}  // namespace convo
