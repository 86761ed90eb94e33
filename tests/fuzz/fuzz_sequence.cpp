// Fuzzes the lifecycle: the input is a series of operations — create, dispatch, tick, clock
// moves (including far ahead and backwards), raw JSON creates and dispatches, reads, agent
// changes — run on a fresh in-memory
// engine with a manual clock (one per input, so every run is reproducible from its input).
//
// Byte 0 picks the engine options (short ring/dial/join timers, a small platform max-open,
// a short wrap-up timeout, a usage limit); then each operation is one byte (op % 14) and its
// arguments (see run_op).
//
// A model built only from the feed and the lifecycle table (convo_describe) is checked after
// every operation: each status_changed follows a row of the table (an event's transition, or a
// timer firing in a status it is armed in, on a channel it runs on), from the status the model
// holds; terminal statuses are never left; messages only arrive in progress (but a create's
// seed messages and greeting or template); no agent message while a human has taken over; on
// WhatsApp no free-form business message while the contact's 24-hour window (opened by each
// user message) is closed; a takeover lasts its minutes, its timer hands back at that deadline;
// every ended conversation's wrap-up is pending until finalize or the wrap-up timer, which
// fires wrap_up_timeout_seconds after it ended; each conversation's event times never go
// backwards; convo_get agrees with the model (status, end_reason, user_turn_count,
// human_takeover and its deadline, wrap_up, the WhatsApp window; terminal => ended and nothing
// pending but the wrap-up; open => its deadline after its last change). Typed creates and
// dispatches have an expected code the model predicts (precondition, conflict, the table's
// verdict after the overdue timers the engine reported, then a message's rules: a template off
// WhatsApp is EINVALID, an agent during a takeover ECONFLICT, a free-form business message
// outside the window EPRECONDITION; an outbound WhatsApp create without a template while the
// window is closed is EPRECONDITION); an accepted event appends its own effect, at its event
// time, unless it has nothing to do (a close when ended, a handback with no takeover, a
// finalize without fields when wrapped up), and then changes nothing; a failed dispatch appends
// nothing but overdue timer firings; a repeated event_id or client id changes nothing; a tick
// leaves nothing due and fires nothing twice; the clock never goes back; the feed is gapless
// across organizations.
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fuzz_support.h"

using namespace convo_fuzz;

namespace {

constexpr size_t kMaxOps = 64;
constexpr size_t kMaxConversations = 40;
const char *const kClientIds[] = {"c0000000-0000-4000-8000-000000000001",
                                  "C0000000-0000-4000-8000-000000000002",
                                  "c0000000-0000-4000-8000-000000000003",
                                  "c0000000-0000-4000-8000-000000000004"};
const char *const kChannels[] = {"telephone", "webrtc", "email", "text"};
const char *const kEventIds[] = {"", "e1", "e2", "e3"};
constexpr const char *kAgentPhone = "+18885550000";     // standard_agent()'s number
constexpr const char *kBusinessPhone = "+18885550300";  // a from_number of chat creates
constexpr int64_t kChatWindowMs = 86400000;              // the WhatsApp window: 24 h

// a + b, saturating (the clock may stand at the end of int64).
int64_t plus(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }
// A deadline `length` after `at`: the engine holds it at the last supported millisecond.
int64_t deadline_after(int64_t at, int64_t length) { return std::min(plus(at, length), kLastMs); }
int64_t time_of(const json &t) { return parse_utc(t.get<std::string>()).value_or(-1); }

// What a WhatsApp window is keyed by: organization, business number, user number.
std::string contact_key(const json &conversation) {
    const json from = conversation.value("from_number", json());
    return conversation.at("organization_id").get<std::string>() + " " +
           (from.is_string() ? from.get<std::string>() : "") + " " +
           conversation.at("user_id").get<std::string>();
}


struct Reader {
    const uint8_t *data;
    size_t size, pos = 0;
    bool done() const { return pos >= size; }
    uint8_t u8() { return pos < size ? data[pos++] : 0; }
    std::string bytes(size_t n) {
        n = std::min(n, size - std::min(pos, size));
        std::string s(reinterpret_cast<const char *>(data + pos), n);
        pos += n;
        return s;
    }
};

struct Conv {
    std::string id, channel, direction;
    int org = 0;
    std::string status;
    json end_reason;  // null or string
    int64_t user_messages = 0;
    std::string last_at;
    std::set<std::string> event_ids;  // recorded by the engine
    json response;                    // the create answer (body, http), for repeated client ids
    int http = 0;
    bool human_takeover = false;
    json takeover_until = nullptr;  // the takeover timer's deadline
    json wrap_up = nullptr;         // null while open, "pending", "done"
    json ended_at = nullptr;
    bool opening = false;  // its create's events are being read: messages are seeds/greeting
    std::string contact;   // whatsapp: whose window it shares
};

struct World {
    convo_engine *e = nullptr;
    convo_session *s[2] = {nullptr, nullptr};
    convo_session *plain = nullptr;  // org_a without SENSITIVE
    Table table;
    std::vector<Conv> convs;
    std::map<std::string, size_t> by_id;
    uint64_t last_seq[2] = {0, 0};
    std::set<uint64_t> seqs;
    bool v1_published[2] = {true, true};
    std::optional<int64_t> usage_limit;
    int64_t wrap_up_ms = 300000;
    std::map<std::string, int64_t> windows;  // WhatsApp contact -> when its window closes

    explicit World(uint8_t b) {
        static const int rings[] = {60, 5, 1}, dials[] = {300, 10, 2}, ttls[] = {600, 30},
                         maxes[] = {1440, 2, 1}, wrap_ups[] = {300, 2};
        wrap_up_ms = wrap_ups[(b / 54) % 2] * 1000;
        json o{{"path", ":memory:"},
               {"clock", "manual"},
               {"start", kStart},
               {"ring_timeout_seconds", rings[b % 3]},
               {"dial_timeout_seconds", dials[(b / 3) % 3]},
               {"token_ttl_seconds", ttls[(b / 9) % 2]},
               {"platform_max_open_minutes", maxes[(b / 18) % 3]},
               {"wrap_up_timeout_seconds", wrap_ups[(b / 54) % 2]}};
        if (b & 0x80) {
            o["max_open_per_organization"] = 3;
            usage_limit = 3;
        }
        e = open_engine(o);
        s[0] = open_session(e, "org_a", kAllScopes);
        s[1] = open_session(e, "org_b", kAllScopes);
        plain = open_session(e, "org_a", CONVO_SCOPE_READ | CONVO_SCOPE_WRITE);
        table = read_table(e);
        for (convo_session *x : s) must_put_agent(x, standard_agent());
    }
    ~World() {
        for (convo_session *x : s) convo_session_close(x);
        convo_session_close(plain);
        convo_engine_close(e);
    }

    int64_t now() { return now_of(e); }

    size_t open_count(int org) const {
        size_t n = 0;
        for (const Conv &c : convs) n += c.org == org && !table.is_terminal(c.status);
        return n;
    }

    // Reads the organization's new feed events and applies them to the model; returns them.
    json absorb(int org) {
        json fresh = json::array();
        for (json more = events_after(s[org], last_seq[org], false); !more.empty();
             more = events_after(s[org], last_seq[org], false)) {
            for (const json &e : more) {
                apply(org, e);
                fresh.push_back(e);
            }
            last_seq[org] = more.back().at("seq").get<uint64_t>();
        }
        for (Conv &c : convs) c.opening = false;  // a create's events all come in one read
        return fresh;
    }

    bool window_open(const std::string &contact, int64_t t) const {
        auto it = windows.find(contact);
        return it != windows.end() && it->second > t;
    }

    void apply(int org, const json &e) {
        const uint64_t seq = e.at("seq").get<uint64_t>();
        check(seqs.insert(seq).second, "seq " + std::to_string(seq) + " appears twice");
        check(e.at("organization_id") == (org == 0 ? "org_a" : "org_b"), "feed event of another organization");
        check(is_engine_time(e.at("at")), "feed event time malformed: " + e.dump());
        const std::string type = e.at("type").get<std::string>();
        const std::string id = e.at("conversation_id").get<std::string>();
        const json &data = e.at("data");
        if (type == "created") {
            check(!by_id.count(id), "a second `created` for " + id);
            Conv c;
            c.id = id;
            c.org = org;
            c.channel = data.at("channel").get<std::string>();
            c.direction = data.at("direction").get<std::string>();
            c.status = e.at("to").get<std::string>();
            c.last_at = e.at("at").get<std::string>();
            c.opening = true;
            check(table.channels.count(c.channel) && table.statuses.count(c.status), "created: " + e.dump());
            by_id[id] = convs.size();
            convs.push_back(c);
            return;
        }
        check(by_id.count(id) != 0, "feed event of a conversation without `created`: " + e.dump());
        Conv &c = convs[by_id[id]];
        check(c.org == org, "feed event of another organization's conversation");
        step(c, e);
    }

    // One event (not `created`) of conversation `c`: checked against the model, then applied.
    void step(Conv &c, const json &e) {
        const std::string type = e.at("type").get<std::string>();
        const std::string &id = c.id;
        const json &data = e.at("data");
        const std::string at = e.at("at").get<std::string>();
        check(at >= c.last_at, "time runs backwards in " + id + ": " + at + " after " + c.last_at);
        c.last_at = at;
        if (type == "status_changed") {
            const std::string from = e.at("from").get<std::string>();
            const std::string to = e.at("to").get<std::string>();
            check(from == c.status, "status_changed from " + from + " but the model holds " + c.status);
            check(!table.is_terminal(from), "a terminal status was left: " + e.dump());
            if (data.contains("timer")) {
                const std::string timer = data["timer"].get<std::string>();
                auto it = table.timer_moves.find({timer, from});
                check(it != table.timer_moves.end() && it->second == to &&
                          table.timer_channels[timer].count(c.channel),
                      "timer firing not in the table: " + e.dump() + " on " + c.channel);
                if (table.is_terminal(to)) {
                    check(e.at("reason") == table.timer_end_reason[timer], "timer end reason: " + e.dump());
                }
            } else {
                const std::string event = data.at("event").get<std::string>();
                auto target = table.target(event, from, c.channel);
                check(target && *target == to, "transition not in the table: " + e.dump() + " on " + c.channel);
            }
            c.status = to;
            if (table.is_terminal(to)) {
                c.end_reason = e.at("reason");
                c.ended_at = e.at("at");
                c.human_takeover = false;  // its timer is disarmed without a handback
                c.takeover_until = nullptr;
                c.wrap_up = "pending";
            }
        } else if (type == "message") {
            message(c, e);
        } else if (type == "takeover") {
            check(c.status == "in_progress", "a takeover in status " + c.status);
            const json minutes = data.value("minutes", json());
            check(minutes.is_number_integer() && minutes.get<int64_t>() >= 1 &&
                      data.value("until", json()) ==
                          format_ms(deadline_after(time_of(e.at("at")), minutes.get<int64_t>() * 60000)),
                  "a takeover's data is not {minutes, until = at + minutes}: " + e.dump());
            c.human_takeover = true;
            c.takeover_until = data.at("until");
        } else if (type == "handback") {
            check(c.human_takeover && c.status == "in_progress", "a handback with no takeover: " + e.dump());
            check(data == json{{"by", "handback"}} || (data == json{{"timer", "takeover"}} && e.at("at") == c.takeover_until),
                  "a handback neither by the event nor by the takeover timer at " + c.takeover_until.dump() + ": " + e.dump());
            c.human_takeover = false;
            c.takeover_until = nullptr;
        } else if (type == "finalized") {
            check(table.is_terminal(c.status) && c.wrap_up == "pending",
                  "finalized in " + c.status + " with wrap_up " + c.wrap_up.dump());
            check(!data.contains("timer") ||
                      (data == json{{"timer", "wrap_up"}} &&
                       e.at("at") == format_ms(deadline_after(time_of(c.ended_at), wrap_up_ms))),
                  "the wrap-up timer fired off its deadline (ended " + c.ended_at.dump() + "): " + e.dump());
            c.wrap_up = "done";
        } else {
            check(type == "annotated", "unknown feed event type: " + type);
        }
        if (type != "message") c.opening = false;
    }

    // A message; the create's own (seed messages, then the greeting or template) meet no rule.
    void message(Conv &c, const json &e) {
        const json &data = e.at("data");
        const std::string role = data.at("role").get<std::string>();
        const bool with_template = data.contains("template");
        check(c.opening || c.status == "in_progress", "a message in status " + c.status);
        check(c.opening || role != "agent" || !c.human_takeover, "an agent message while a human has taken over");
        check(!with_template || c.channel == "whatsapp", "a template message on " + c.channel);
        const int64_t at = time_of(e.at("at"));
        if (c.channel == "whatsapp" && !c.opening) {
            if (role == "user") {
                int64_t &w = windows.emplace(c.contact, at).first->second;
                w = std::max(w, at + kChatWindowMs);
            } else {
                check(with_template || window_open(c.contact, at),
                      "a free-form " + role + " message while the WhatsApp window is closed: " + e.dump());
            }
        }
        if (role == "user") ++c.user_messages;
    }

    // convo_get agrees with the model.
    void verify(const Conv &c) {
        Result g = get(s[c.org], c.id);
        const json &b = g.body;
        check_conversation(b, "get " + c.id);
        check(b.at("status") == c.status, "get says " + b["status"].dump() + ", the feed says " + c.status);
        check(b.at("end_reason") == c.end_reason, "end_reason " + b["end_reason"].dump() +
                                                      ", the feed says " + c.end_reason.dump());
        check(b.at("user_turn_count") == c.user_messages, "user_turn_count " + b["user_turn_count"].dump() +
                                                              ", the feed has " + std::to_string(c.user_messages));
        check(b.at("channel") == c.channel && b.at("direction") == c.direction, "channel/direction changed");
        check(b.at("human_takeover") == c.human_takeover && b.at("human_takeover_until") == c.takeover_until,
              "human_takeover " + b["human_takeover"].dump() + " until " + b["human_takeover_until"].dump() +
                  ", the feed says " + json(c.human_takeover).dump() + " until " + c.takeover_until.dump());
        check(b.at("wrap_up") == c.wrap_up, "wrap_up " + b["wrap_up"].dump() + ", the feed says " + c.wrap_up.dump());
        json expires = nullptr, remaining = nullptr;
        if (c.channel == "whatsapp") {
            const int64_t t = now();
            auto w = windows.find(c.contact);
            const bool open = w != windows.end() && w->second > t;
            expires = open ? json(format_ms(w->second)) : json();
            remaining = open ? json((w->second - t) / 1000) : json(0);
        }
        check(b.at("chat_window_expires_at") == expires && b.at("chat_window_remaining_seconds") == remaining,
              "the WhatsApp window reads " + b["chat_window_expires_at"].dump() + " (" +
                  b["chat_window_remaining_seconds"].dump() + " s), the feed's user messages give " +
                  expires.dump() + " (" + remaining.dump() + " s)");
        if (table.is_terminal(c.status)) {
            check(b.at("expires_at").is_null(), "a terminal conversation still expires");
            check(!b.at("ended_at").is_null(), "a terminal conversation has no ended_at");
        } else {
            check(b.at("ended_at").is_null() && b.at("end_reason").is_null(), "an open conversation has ended");
            check(b.at("expires_at").is_null() || b["expires_at"] == kLast ||
                      b["expires_at"].get<std::string>() > b.at("updated_at").get<std::string>(),
                  "an open conversation's deadline " + b["expires_at"].dump() + " is not after its last change " +
                      b["updated_at"].dump());
        }
        if (c.org == 0) {
            Result p = get(plain, c.id);
            check_no_sensitive(p.body, "get without SENSITIVE");
        }
        check(get(s[1 - c.org], c.id, bit(CONVO_ENOTFOUND)).code == CONVO_ENOTFOUND,
              "another organization reads " + c.id);
    }

    // ---- operations -------------------------------------------------------------------

    // a: bits 0-1 the channel, bit 2 inbound, bit 3 org_b, bits 4-5 the idle timeout;
    // b: bits 0-1 max_open, bits 2-4 the client id (of four, or none), bits 5-7 the agent variant.
    void create_typed(Reader &in) {
        const uint8_t a = in.u8(), b = in.u8();
        submit_create(kChannels[a % 4], a, b, json::object());
    }

    // sms and whatsapp: a and b as create_typed's, then c: bit 0 whatsapp, bits 1-2 the user
    // number (of four, so that conversations share a window), bit 3 a from_number, bit 4 a
    // template message (EINVALID on sms), bits 5-6 the seed messages (none, user, user and
    // agent, agent), bit 7 tags.
    void create_chat(Reader &in) {
        const uint8_t a = in.u8(), b = in.u8(), c = in.u8();
        json extra{{"user_id", "+1415555000" + std::to_string((c >> 1) & 3)}};
        if (c & 8) extra["from_number"] = kBusinessPhone;
        if (c & 16) extra["message"] = json{{"type", "template"}, {"template", {{"name", "welcome"}}}};
        static const json seeds[] = {json(), json::array({{{"role", "user"}, {"text", "earlier"}}}),
                                     json::array({{{"role", "user"}, {"text", "earlier"}},
                                                  {{"role", "agent"}, {"text", "noted"}}}),
                                     json::array({{{"role", "agent"}, {"text", "we called"}}})};
        if ((c >> 5) & 3) extra["messages"] = seeds[(c >> 5) & 3];
        if (c & 128) extra["tags"] = json::array({"vip"});
        submit_create(c & 1 ? "whatsapp" : "sms", a, b, extra);
    }

    void submit_create(const std::string &channel, uint8_t a, uint8_t b, const json &extra) {
        const std::string direction = (a >> 2) & 1 ? "inbound" : "outbound";
        const int org = (a >> 3) & 1;
        const int idle[] = {0, 1, 2, 30}, max_open[] = {0, 1, 5, 60};
        const int variant = (b >> 5) & 7;
        json r = request_for(channel, direction);
        if (idle[(a >> 4) & 3]) r["idle_timeout_minutes"] = idle[(a >> 4) & 3];
        if (max_open[b % 4]) r["max_open_minutes"] = max_open[b % 4];
        std::optional<std::string> client;
        if (((b >> 2) & 7) < 4) client = kClientIds[(b >> 2) & 7];
        if (client) r["id"] = *client;
        switch (variant) {
            case 1: r["version"] = 1; break;
            case 2: r["version"] = 2; break;
            case 3: r.erase("agent_id"); r["agent_config"] = json{{"name", "Inline"}, {"greeting", "Hello"}}; break;
            case 4: r.erase("agent_id"); r["agent_number"] = "+18885550000"; break;
            case 5: r["agent_id"] = "agent_nope"; break;
            case 6: r["version"] = "latest"; break;
            default: break;
        }
        r.update(extra);
        // The business number a chat conversation gets: its from_number, else its agent's.
        const json business = r.contains("from_number") ? r["from_number"]
                               : variant == 3          ? json()
                                                       : json(kAgentPhone);
        // What the engine must answer, in the order it checks.
        convo_code expect = CONVO_OK;
        std::optional<size_t> existing;
        if (client) {
            std::string lower = *client;
            for (char &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (by_id.count(lower)) existing = by_id[lower];
        }
        if ((variant == 4 && channel != "telephone") || (r.contains("message") && channel != "whatsapp")) {
            expect = CONVO_EINVALID;
        } else if (existing) {
            expect = convs[*existing].org == org ? CONVO_OK : CONVO_ECONFLICT;
        } else if (variant == 5 || variant == 2 || (variant != 3 && !v1_published[org])) {
            expect = CONVO_EPRECONDITION;
        } else if (usage_limit && static_cast<int64_t>(open_count(org)) >= *usage_limit) {
            expect = CONVO_EPRECONDITION;
        } else if (channel == "whatsapp" && direction == "outbound" && !r.contains("message") &&
                   !window_open(contact_key(json{{"organization_id", org == 0 ? "org_a" : "org_b"},
                                                 {"from_number", business},
                                                 {"user_id", r["user_id"]}}),
                                now())) {
            expect = CONVO_EPRECONDITION;  // outbound WhatsApp outside the window needs a template
        }
        input_context() = "create " + r.dump() + " in org " + std::to_string(org);
        char *out = nullptr;
        int http = -1;
        convo_code code = convo_create(s[org], r.dump().c_str(), &out, &http);
        Result res = checked("convo_create", code, &out, kRequestErrors);
        check(code == expect, "create answered " + describe_code(code) + " (" + res.error + "), the model expects " +
                                  describe_code(expect));
        const size_t before = convs.size();
        json fresh = absorb(org);
        check(absorb(1 - org).empty(), "a create appended events to the other organization");
        if (code != CONVO_OK) {
            check(fresh.empty(), "a failed create appended events");
            return;
        }
        if (existing) {
            check(fresh.empty(), "a repeated client id appended events");
            Conv &c = convs[*existing];
            if (!c.response.is_null()) {
                check(res.body == c.response && http == c.http, "a repeated client id answered differently");
            }
            return;
        }
        check(convs.size() == before + 1, "a create did not add exactly one conversation");
        Conv &c = convs.back();
        check(c.id == created_id(res.body), "the created event names another id");
        c.response = res.body;
        c.http = http;
        adopt(c);
        if (channel == "sms" || channel == "whatsapp") {
            check(get(s[org], c.id).body.at("from_number") == business,
                  "created with from_number " + get(s[org], c.id).body["from_number"].dump() + ", not " + business.dump());
        }
        verify(c);
    }

    // A new conversation: its WhatsApp contact, read back (a raw create may name any).
    void adopt(Conv &c) {
        if (c.channel == "whatsapp") c.contact = contact_key(get(s[c.org], c.id).body);
    }

    // flags bit 7 gives a business message a template instead of text, a takeover its minutes
    // (1-4, from bits 5-6); bit 6 an end its reason, an annotate tags, a close
    // skip_notifications, a finalize fields.
    json typed_event(const std::string &type, uint8_t flags) {
        json e = event_body(type);
        if (type == "message") {
            static const char *roles[] = {"user", "agent", "human", "user"};
            e["role"] = roles[(flags >> 5) & 3];
            if ((flags & 0x80) && e["role"] != "user") {
                e.erase("text");
                e["template"] = json{{"name", "follow_up"}, {"variables", {{"body", {"x"}}}}};
            }
        }
        if (type == "takeover" && (flags & 0x80)) e["minutes"] = 1 + ((flags >> 5) & 3);
        if (!(flags & 0x40)) return e;
        if (type == "end") e["reason"] = "resolved";
        if (type == "annotate") e["tags"] = json::array({"t"});
        if (type == "close") e["skip_notifications"] = true;
        if (type == "finalize") {
            e["summary"] = "wrapped up";
            e["tags"] = json::array({"done"});
        }
        return e;
    }

    // The code the rules give event `e` met by `c` at time `t`.
    convo_code rule_code(const Conv &c, const json &e, int64_t t) const {
        return convo_fuzz::rule_code(table, e, c.status, c.channel, c.human_takeover, window_open(c.contact, t));
    }

    // a: the conversation (one past the last: an unknown id); b: the event type; flags: bits
    // 0-1 the event_id, bits 2-3 its `at`, bit 4 the other organization, bits 5-6 a message's
    // role, bits 6-7 see typed_event.
    void dispatch_typed(Reader &in) {
        const uint8_t a = in.u8(), b = in.u8(), flags = in.u8();
        const size_t n = convs.size();
        const size_t index = n ? a % (n + 1) : 0;
        const bool known = index < n;
        static const char *const types[] = {"ringing", "answered", "joined", "delivered", "message",
                                            "end",     "cancel",   "no_answer", "busy",  "fail",
                                            "transfer", "annotate", "bogus",   "takeover", "handback",
                                            "close",   "finalize"};
        const std::string type = types[b % std::size(types)];
        json e = type == "bogus" ? json{{"type", "bogus"}} : typed_event(type, flags);
        const std::string event_id = kEventIds[flags & 3];
        if (!event_id.empty()) e["event_id"] = event_id;
        const int64_t now_ms = now();
        switch ((flags >> 2) & 3) {
            case 1: e["at"] = format_ms(now_ms - 1000); break;
            case 2: e["at"] = format_ms(now_ms - 3600000); break;
            case 3: e["at"] = format_ms(std::min(plus(now_ms, 86400000), kLastMs)); break;  // in range
            default: break;
        }
        const int conv_org = known ? convs[index].org : 0;
        const int org = (flags >> 4) & 1 ? 1 - conv_org : conv_org;
        const std::string id = known ? convs[index].id : "00000000-0000-7000-8000-000000000000";
        input_context() = "dispatch " + e.dump() + " to " + (known ? convs[index].channel + " " + id : id);
        const Conv before = known ? convs[index] : Conv{};
        const json got_before = known && org == conv_org ? get(s[org], id).body : json();

        char *out = nullptr;
        convo_code code = convo_dispatch(s[org], id.c_str(), e.dump().c_str(), &out);
        Result r = checked("convo_dispatch", code, &out, kRequestErrors);
        json fresh = absorb(conv_org);
        check(absorb(1 - conv_org).empty(), "a dispatch appended events to the other organization");
        if (type == "bogus") {
            check(code == CONVO_EINVALID, "an unknown event type answered " + describe_code(code));
        } else if (!known || org != conv_org) {
            check(code == CONVO_ENOTFOUND, "a conversation of no/another organization answered " + describe_code(code));
        }
        if (type == "bogus" || !known || org != conv_org) {
            check(fresh.empty(), "a refused dispatch appended events");
            return;
        }
        Conv &c = convs[index];
        if (!event_id.empty() && c.event_ids.count(event_id)) {
            check(code == CONVO_OK && fresh.empty(), "a repeated event_id answered " + describe_code(code) +
                                                         " with " + std::to_string(fresh.size()) + " events");
            verify(c);
            return;
        }
        // The overdue deadlines the engine fired first, then the event's own effects: the model
        // as the event met it, and when it took effect.
        Conv met = before;
        size_t timers = 0;
        for (; timers < fresh.size() && fresh[timers].at("data").contains("timer"); ++timers) step(met, fresh[timers]);
        const int64_t last = time_of(before.last_at);
        const std::optional<int64_t> given = e.contains("at") ? parse_utc(e["at"].get<std::string>()) : std::nullopt;
        const int64_t t = std::max(given && *given >= last && *given <= now_ms ? *given : now_ms, last);
        const convo_code expect = rule_code(met, e, t);
        check(code == expect, "'" + type + "' in " + c.channel + "/" + met.status + " answered " + describe_code(code) +
                                  " (" + r.error + "), the model expects " + describe_code(expect));
        if (code == CONVO_OK) {
            const std::string target = *table.target(type, met.status, c.channel);
            check(c.status == target, "'" + type + "' from " + met.status + " led to " + c.status + ", the table says " +
                                          target);
            const bool noop = is_noop(table, e, json{{"status", met.status},
                                                     {"human_takeover", met.human_takeover},
                                                     {"wrap_up", met.wrap_up}});
            check((fresh.size() == timers) == noop, "an accepted '" + type + "' appended " +
                                                        std::to_string(fresh.size() - timers) +
                                                        " events of its own; the model expects " +
                                                        (noop ? "none (nothing to do)" : "some"));
            for (size_t i = timers; i < fresh.size(); ++i) {
                check(time_of(fresh[i].at("at")) == t, "an event took effect at " + fresh[i]["at"].dump() +
                                                           ", its event time is " + format_ms(t));
            }
            check(!noop || !fresh.empty() || get(s[org], id).body == got_before, "a no-op changed the conversation");
            check(r.body.at("status") == c.status, "dispatch answered status " + r.body["status"].dump());
            if (!event_id.empty()) c.event_ids.insert(event_id);  // a no-op's too
        } else {
            check(fresh.size() == timers, "a refused event appended more than overdue timer firings");
        }
        verify(c);
    }

    void tick() {
        input_context() = "tick at " + format_ms(now());
        unsigned fired = 0;
        checked_plain("convo_tick", convo_tick(e, &fired), 0);
        size_t timer_events = 0;
        for (int org : {0, 1}) {
            for (const json &ev : absorb(org)) {
                check(ev.at("data").contains("timer"), "a tick appended a non-timer event: " + ev.dump());
                ++timer_events;
            }
        }
        check(fired == timer_events, "convo_tick reported " + std::to_string(fired) + " fired, the feed has " +
                                         std::to_string(timer_events));
        int64_t next = 0;
        convo_code code = convo_next_deadline(e, &next);
        checked_plain("convo_next_deadline", code, bit(CONVO_ENOTFOUND));
        check(code == CONVO_ENOTFOUND || next > now(), "after a tick a deadline is still due: " + format_ms(next));
        unsigned again = 0;
        checked_plain("convo_tick", convo_tick(e, &again), 0);
        check(again == 0, "a second tick at the same time fired " + std::to_string(again));
        for (const Conv &c : convs) {
            if (!table.is_terminal(c.status)) {
                json exp = get(s[c.org], c.id).body.at("expires_at");
                check(exp.is_null() || exp.get<std::string>() > format_ms(now()),
                      "after a tick " + c.id + " still expires at " + exp.dump());
            }
        }
    }

    void advance(Reader &in) {
        const uint8_t a = in.u8();
        static const int64_t steps[] = {1000, 10000, 59000, 60000, 61000, 300000, 1800000, 3600000, 86400000, 604800000};
        int64_t target = now();
        int64_t next = 0;
        const bool has_next = convo_next_deadline(e, &next) == CONVO_OK;
        switch (a % 13) {
            case 10: if (has_next) target = next; break;
            case 11: if (has_next) target = next - 1; break;
            case 12: if (has_next) target = plus(next, 1); break;
            default: target = plus(target, steps[a % 13 % 10]); break;
        }
        target = std::min(std::max(target, now()), kLastMs);
        input_context() = "clock to " + format_ms(target);
        checked_plain("convo_clock_set", convo_clock_set(e, target), 0);
        check(now() == target, "the clock is not where it was set");
    }

    // The clock set far ahead: the last millisecond of the supported range is taken (everything
    // after must still hold); one past it, or the end of int64, is refused and changes nothing.
    void clock_far(Reader &in) {
        const int64_t targets[] = {kLastMs, kLastMs + 1, INT64_MAX};
        const int64_t target = targets[in.u8() % 3];
        const int64_t was = now();
        input_context() = "clock far ahead to " + std::to_string(target);
        convo_code code = convo_clock_set(e, target);
        checked_plain("convo_clock_set", code, bit(CONVO_EINVALID));
        check((code == CONVO_OK) == (target == kLastMs), "convo_clock_set: the supported range is not kept");
        check(now() == (code == CONVO_OK ? target : was), "the clock is not where convo_clock_set left it");
    }

    void clock_back(Reader &in) {
        const int64_t was = now();
        input_context() = "clock back";
        convo_code code = convo_clock_set(e, was - 1 - in.u8());
        checked_plain("convo_clock_set", code, bit(CONVO_EINVALID));
        check(code == CONVO_EINVALID && now() == was, "the manual clock went backwards");
    }

    void dispatch_raw(Reader &in) {
        const uint8_t a = in.u8();
        const size_t len = in.u8();
        std::string raw = in.bytes(len);
        const std::string text = c_string_of(reinterpret_cast<const uint8_t *>(raw.data()), raw.size());
        const size_t n = convs.size();
        const std::string id = n ? convs[a % n].id : "nope";
        const int org = n ? convs[a % n].org : 0;
        input_context() = "raw dispatch " + text + " to " + id;
        char *out = nullptr;
        Result r = checked("convo_dispatch", convo_dispatch(s[org], id.c_str(), text.c_str(), &out), &out,
                           kRequestErrors);
        json fresh = absorb(org);
        if (r.ok() && n) {
            // An accepted event_id (now or before, a no-op's too): a later typed repeat must
            // change nothing.
            std::optional<json> ev = parse_object(text);
            if (auto event_id = ev ? str(*ev, "event_id") : std::nullopt) convs[a % n].event_ids.insert(*event_id);
        }
        if (!r.ok()) {
            for (const json &ev : fresh) {
                check(ev.at("data").contains("timer"), "a failed dispatch appended a non-timer event: " + ev.dump());
            }
        }
        if (n) verify(convs[a % n]);
    }

    void create_raw(Reader &in) {
        const size_t len = in.u8();
        std::string raw = in.bytes(len);
        const std::string text = c_string_of(reinterpret_cast<const uint8_t *>(raw.data()), raw.size());
        input_context() = "raw create " + text;
        char *out = nullptr;
        int http = -1;
        convo_code code = convo_create(s[0], text.c_str(), &out, &http);
        Result r = checked("convo_create", code, &out, kRequestErrors);
        const size_t before = convs.size();
        json fresh = absorb(0);
        if (!r.ok()) {
            check(fresh.empty(), "a failed raw create appended events");
            return;
        }
        if (convs.size() > before) {
            Conv &c = convs.back();
            check(c.id == created_id(r.body), "the created event names another id");
            c.response = r.body;
            c.http = http;
            adopt(c);
            verify(c);
        }
    }

    void list_check() {
        input_context() = "list";
        char *out = nullptr;
        Result r = checked("convo_list", convo_list(s[0], "{\"limit\":100}", &out), &out, 0);
        const json &items = r.body.at("items");
        size_t mine = 0;
        for (const Conv &c : convs) mine += c.org == 0;
        check(items.size() == std::min<size_t>(mine, 100), "list shows " + std::to_string(items.size()) +
                                                               " conversations, the feed created " + std::to_string(mine));
        for (const json &item : items) {
            auto it = by_id.find(item.at("id").get<std::string>());
            check(it != by_id.end() && convs[it->second].org == 0, "list shows a conversation the feed never created");
            check(item.at("status") == convs[it->second].status, "list shows another status than the feed");
        }
    }

    void agent_toggle(Reader &in) {
        const uint8_t a = in.u8();
        const int org = a & 1;
        const bool publish = (a >> 1) & 1;
        json agent = standard_agent();
        agent["versions"][0]["published"] = publish;
        input_context() = "agent put v1 published=" + std::string(publish ? "true" : "false");
        must_put_agent(s[org], agent);
        v1_published[org] = publish;
    }

    void run_op(Reader &in) {
        switch (in.u8() % 14) {
            case 0:
            case 1: if (convs.size() < kMaxConversations) create_typed(in); break;
            case 2:
            case 3: dispatch_typed(in); break;
            case 4: tick(); break;
            case 5: advance(in); break;
            case 6: dispatch_raw(in); break;
            case 7: if (convs.size() < kMaxConversations) create_raw(in); break;
            case 8: {
                const uint8_t a = in.u8();
                if (!convs.empty()) verify(convs[a % convs.size()]);
                break;
            }
            case 9: list_check(); break;
            case 10: clock_back(in); break;
            case 11: agent_toggle(in); break;
            case 12: clock_far(in); break;
            case 13: if (convs.size() < kMaxConversations) create_chat(in); break;
        }
    }

    void finish() {
        input_context() = "end of input";
        for (int org : {0, 1}) absorb(org);
        for (const Conv &c : convs) verify(c);
        // Gapless across the engine: the organizations' feeds together are 1..N.
        uint64_t expect = 1;
        for (uint64_t seq : seqs) {
            check(seq == expect, "feed gap: seq " + std::to_string(expect) + " missing");
            ++expect;
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    input_context() = "engine setup";
    try {
        Reader in{data, size};
        World w(in.u8());
        w.absorb(0);
        w.absorb(1);
        for (size_t ops = 0; ops < kMaxOps && !in.done(); ++ops) w.run_op(in);
        w.finish();
    } catch (const std::exception &ex) {
        fail(std::string("harness: unexpected exception: ") + ex.what());
    }
    return 0;
}
