// The feed as the parent reads it back after a kill: both organizations' feeds merged in seq
// order and checked gapless, and replayed per conversation against the lifecycle table. Shared
// by the single-threaded checks (verify.cpp) and the threaded ones (threaded.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crash_common.h"

namespace crash {

// The first 8 characters of a conversation id, for messages.
std::string short_id(const std::string &id);
// One feed event, readable.
std::string show_event(const json &e);

// A conversation as its feed events tell it.
struct Replayed {
    std::string org, channel, status;
    json end_reason = nullptr, started_at = nullptr, ended_at = nullptr;
    std::string updated_at;
    int64_t user_turns = 0;
    std::vector<json> messages;  // {role, text, at[, template]}
    int terminal_changes = 0;
    bool human_takeover = false;
    json human_takeover_until = nullptr;
    json wrap_up = nullptr;  // null while open, then "pending", then "done"
    size_t opening = 0;      // messages of its create still to come
    std::string contact;     // whatsapp: whose window it shares
};

// What the feed does not say: how many messages each create appended (seed messages, then the
// greeting or template) and the WhatsApp contact of each whatsapp conversation.
struct ReplayContext {
    std::map<std::string, size_t> openers;
    std::map<std::string, std::string> contacts;
};

// Replays the feed per conversation (created -> status_changed... -> messages, takeovers,
// handbacks, finalizations) and the WhatsApp windows it opens, checking that each step follows
// the lifecycle table and the rules beside it. Problems collect in `problems`.
class Replay {
public:
    Replay(const Lifecycle &table, const ReplayContext &context)
        : table_(table), context_(context) {}

    std::vector<std::string> problems;

    const std::map<std::string, Replayed> &conversations() const { return out_; }
    const Replayed *find(const std::string &id) const {
        auto it = out_.find(id);
        return it == out_.end() ? nullptr : &it->second;
    }
    // When `contact`'s window closes, as the feed so far opened it (nullopt: never opened).
    std::optional<int64_t> window(const std::string &contact) const {
        auto it = windows_.find(contact);
        if (it == windows_.end()) return std::nullopt;
        return it->second;
    }
    bool window_open(const std::string &contact, int64_t t) const {
        std::optional<int64_t> w = window(contact);
        return w && *w > t;
    }

    void apply_all(const std::vector<json> &feed) {
        for (const json &e : feed) apply(e);
    }
    void apply(const json &e);

private:
    void problem(const std::string &what, const json &e);
    void created(const std::string &id, const json &e);
    void status_changed(Replayed &r, const json &e);
    // A message; the create's own (seed messages, greeting, template) are exempt from the rules
    // on status, takeover and window, and open no window.
    void message(Replayed &r, const json &e);
    void takeover(Replayed &r, const json &e);
    void handback(Replayed &r, const json &e);
    void finalized(Replayed &r, const json &e);

    const Lifecycle &table_;
    const ReplayContext &context_;
    std::map<std::string, Replayed> out_;
    std::map<std::string, int64_t> windows_;  // contact -> when its window closes
};

// "status: <what> X, feed replay Y; ..." for the summary fields (conversation_state()) in which
// `state` differs from the replayed conversation; "" when none does.
std::string replay_diff(const Replayed &r, const json &state, const std::string &what);
// "" when a stored conversation's transcript is the replayed messages, else both.
std::string transcript_diff(const Replayed &r, const json &conversation);

// The whole feed after `after` of both organizations (sessions of kOrgA and kOrgB), merged in
// seq order. Problems (a read error, another organization's event, a gap in the seqs) go to
// `problems`; false when the feed could not be read whole.
bool read_merged_feed(convo_session *const sessions[2], uint64_t after, std::vector<json> *out,
                      std::vector<std::string> *problems);

}  // namespace crash
