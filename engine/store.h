// The storage interface the engine runs on. Every change goes through a group: one transaction
// (begin_group … end_group) holding the batches of one or more callers, each written all or
// nothing by write(): its conversations, transcript messages, feed events and event ids. The
// SQLite implementation is sqlite_store.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent.h"
#include "conversation.h"
#include "outcome.h"
#include "requests.h"

namespace convo {

// What a create answered, kept so a repeated client id gets the same answer.
struct StoredResponse {
    std::string body;  // JSON text, as a session with every scope sees it
    int http_status = 200;
};

struct Change {
    bool insert = false;
    Conversation conversation;         // the state after the change
    std::vector<Message> messages;     // appended to the transcript
    std::vector<FeedEvent> events;     // appended to the feed; write() assigns their seq
    std::optional<std::string> event_id;       // recorded for idempotent dispatch
    std::optional<StoredResponse> response;    // insert only
};

struct DueTimer {
    std::string organization_id;
    std::string conversation_id;
};

struct StoreSettings {
    std::string path;
    bool synchronous_full = true;
};

class Store {
public:
    virtual ~Store() = default;

    virtual Outcome load(const std::string &org, const std::string &id,
                         std::optional<Conversation> *out) = 0;
    // Who owns a conversation id, and the response its create gave (for idempotent create).
    virtual Outcome find_owner(const std::string &id, std::optional<std::string> *org,
                               std::optional<StoredResponse> *response) = 0;
    virtual Outcome transcript(const Conversation &c, std::vector<Message> *out) = 0;
    // When a contact's WhatsApp window closes (nullopt: never opened). Loaded conversations
    // carry it already; create asks before the conversation exists.
    virtual Outcome chat_window(const std::string &org, const std::string &business_number,
                                const std::string &user_number, std::optional<TimeMs> *out) = 0;
    virtual Outcome list(const std::string &org, const ListQuery &q,
                         std::vector<Conversation> *out, std::optional<std::string> *next) = 0;
    virtual Outcome count_open(const std::string &org, int64_t *out) = 0;
    virtual Outcome event_seen(const Conversation &c, const std::string &event_id,
                               bool *seen) = 0;
    virtual Outcome read_events(const std::string &org, uint64_t after, unsigned limit,
                                std::vector<FeedEvent> *out) = 0;

    // Conversations with a deadline at or before `now`, earliest first.
    virtual Outcome due(TimeMs now, int limit, std::vector<DueTimer> *out) = 0;
    virtual Outcome next_deadline(std::optional<TimeMs> *out) = 0;

    virtual Outcome agent(const std::string &org, const std::string &id,
                          std::optional<Agent> *out) = 0;
    virtual Outcome agent_by_number(const std::string &org, const std::string &number,
                                    std::optional<Agent> *out) = 0;
    virtual Outcome agent_by_version_id(const std::string &org, const std::string &version_id,
                                        std::optional<Agent> *out) = 0;
    // Ids already given to this agent's versions: version number → id.
    virtual Outcome version_ids(const std::string &org, const std::string &agent_id,
                                std::map<int, std::string> *out) = 0;
    virtual Outcome put_agent(const std::string &org, const Agent &a) = 0;

    // Group commit: begin_group() opens a transaction; write() adds one batch to it, all or
    // nothing (a failed batch leaves the others' intact), its events then carrying their seq.
    // `alone` says the group holds no other writer's batch and none will join it if this one
    // fails: the batch is then written without a savepoint, and its failure rolls back the
    // whole transaction (in_group() turns false);
    // end_group(true) commits them together (one fsync), or fails when SQLite has already
    // rolled the transaction back; end_group(false) rolls back. Reads
    // between them see the group's writes. A failed commit leaves the store refusing every call
    // until reopened: whether the group was saved is known only from the file.
    virtual Outcome begin_group() = 0;
    virtual Outcome write(std::vector<Change> &batch, bool alone) = 0;
    virtual Outcome end_group(bool commit) = 0;
    // False when no group is open, also after SQLite rolled one back by itself (some I/O
    // errors do): the group's earlier batches are then lost.
    virtual bool in_group() const = 0;
    virtual uint64_t last_seq() const = 0;
    // At open: a count that grows with every row the store holds an id for (feed events,
    // conversations, agent versions). A seeded engine mixes it into its seed, so after a
    // reopen it never hands out an id it gave before.
    virtual uint64_t history_at_open() const = 0;
};

// Opens (creating and migrating) the SQLite database. CONVO_ECONFLICT when another engine or
// process has it open.
Outcome open_sqlite_store(const StoreSettings &settings, std::unique_ptr<Store> *out);

}  // namespace convo
