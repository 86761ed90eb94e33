#include "conversation_cache.h"

namespace convo {

const Conversation *ConversationCache::find(std::string_view id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);  // iterators stay valid
    return &*it->second;
}

void ConversationCache::put(Conversation c) {
    if (capacity_ == 0) return;
    erase(c.id);
    entries_.push_front(std::move(c));
    by_id_.emplace(entries_.front().id, entries_.begin());
    if (by_id_.size() > capacity_) erase(entries_.back().id);
}

void ConversationCache::erase(std::string_view id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    const Entries::iterator entry = it->second;
    by_id_.erase(it);  // before the entry: the key views its id
    entries_.erase(entry);
}

void ConversationCache::clear() {
    by_id_.clear();
    entries_.clear();
}

}  // namespace convo
