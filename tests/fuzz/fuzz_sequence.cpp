// Fuzzes the lifecycle: the input is a series of operations — create, dispatch, tick, clock
// moves (including far ahead and backwards), raw JSON creates and dispatches, reads, agent
// changes — run on a fresh in-memory
// engine with a manual clock (one per input, so every run is reproducible from its input).
//
// Byte 0 picks the engine options (short ring/dial/join timers, a small platform max-open,
// a usage limit); then each operation is one byte (op % 13) and its arguments (see run_op).
//
// A model built only from the feed and the lifecycle table (convo_describe) is checked after
// every operation: each status_changed follows a row of the table (an event's transition, or a
// timer firing in a status it is armed in, on a channel it runs on), from the status the model
// holds; terminal statuses are never left; messages only arrive in progress; each
// conversation's event times never go backwards; convo_get agrees with the model (status,
// end_reason, user_turn_count; terminal => ended and nothing pending; open => its deadline
// after its last change). Typed creates and dispatches have an expected code the model
// predicts (precondition, conflict, the table's verdict after the overdue timers the engine
// reported); a failed dispatch appends nothing but overdue timer firings; a repeated event_id
// or client id changes nothing; a tick leaves nothing due and fires nothing twice; the clock
// never goes back; the feed is gapless across organizations.
#include <algorithm>
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

// a + b, saturating (the clock may stand at the end of int64).
int64_t plus(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

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
    std::set<std::string> event_ids;  // accepted
    json response;                    // the create answer (body, http), for repeated client ids
    int http = 0;
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

    explicit World(uint8_t b) {
        static const int rings[] = {60, 5, 1}, dials[] = {300, 10, 2}, ttls[] = {600, 30},
                         maxes[] = {1440, 2, 1};
        json o{{"path", ":memory:"},
               {"clock", "manual"},
               {"start", kStart},
               {"ring_timeout_seconds", rings[b % 3]},
               {"dial_timeout_seconds", dials[(b / 3) % 3]},
               {"token_ttl_seconds", ttls[(b / 9) % 2]},
               {"platform_max_open_minutes", maxes[(b / 18) % 3]}};
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
        return fresh;
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
            check(table.channels.count(c.channel) && table.statuses.count(c.status), "created: " + e.dump());
            by_id[id] = convs.size();
            convs.push_back(c);
            return;
        }
        check(by_id.count(id) != 0, "feed event of a conversation without `created`: " + e.dump());
        Conv &c = convs[by_id[id]];
        check(c.org == org, "feed event of another organization's conversation");
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
            if (table.is_terminal(to)) c.end_reason = e.at("reason");
        } else if (type == "message") {
            check(c.status == "in_progress", "a message in status " + c.status);
            if (data.at("role") == "user") ++c.user_messages;
        } else {
            check(type == "annotated", "unknown feed event type: " + type);
        }
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

    void create_typed(Reader &in) {
        const uint8_t a = in.u8(), b = in.u8();
        const std::string channel = kChannels[a % 4];
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
        // What the engine must answer, in the order it checks.
        convo_code expect = CONVO_OK;
        std::optional<size_t> existing;
        if (client) {
            std::string lower = *client;
            for (char &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (by_id.count(lower)) existing = by_id[lower];
        }
        if (variant == 4 && channel != "telephone") {
            expect = CONVO_EINVALID;
        } else if (existing) {
            expect = convs[*existing].org == org ? CONVO_OK : CONVO_ECONFLICT;
        } else if (variant == 5 || variant == 2 || (variant != 3 && !v1_published[org])) {
            expect = CONVO_EPRECONDITION;
        } else if (usage_limit && static_cast<int64_t>(open_count(org)) >= *usage_limit) {
            expect = CONVO_EPRECONDITION;
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
        verify(c);
    }

    json typed_event(const std::string &type, uint8_t flags) {
        json e = event_body(type);
        if (type == "message") {
            static const char *roles[] = {"user", "agent", "human", "user"};
            e["role"] = roles[(flags >> 5) & 3];
        }
        if (type == "end" && (flags & 0x40)) e["reason"] = "resolved";
        if (type == "annotate" && (flags & 0x40)) e["tags"] = json::array({"t"});
        return e;
    }

    void dispatch_typed(Reader &in) {
        const uint8_t a = in.u8(), b = in.u8(), flags = in.u8();
        const size_t n = convs.size();
        const size_t index = n ? a % (n + 1) : 0;
        const bool known = index < n;
        static const char *const types[] = {"ringing", "answered", "joined", "delivered", "message",
                                            "end",     "cancel",   "no_answer", "busy",  "fail",
                                            "transfer", "annotate", "bogus"};
        const std::string type = types[b % 13];
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
        // The overdue deadlines the engine fired first, then the event's own effects.
        size_t timers = 0;
        while (timers < fresh.size() && fresh[timers].at("type") == "status_changed" &&
               fresh[timers].at("data").contains("timer")) {
            ++timers;
        }
        // Replay the model to the status the event met.
        std::string met = c.status;
        for (size_t i = fresh.size(); i-- > timers;) {
            if (fresh[i].at("type") == "status_changed") met = fresh[i].at("from").get<std::string>();
        }
        if (!event_id.empty() && c.event_ids.count(event_id)) {
            check(code == CONVO_OK && fresh.empty(), "a repeated event_id answered " + describe_code(code) +
                                                         " with " + std::to_string(fresh.size()) + " events");
            verify(c);
            return;
        }
        auto target = table.target(type, met, c.channel);
        if (code == CONVO_OK) {
            check(target.has_value(), "'" + type + "' accepted in " + c.channel + "/" + met +
                                          ", which the table refuses");
            check(c.status == *target, "'" + type + "' from " + met + " led to " + c.status + ", the table says " +
                                           *target);
            check(fresh.size() > timers, "an accepted event appended nothing of its own");
            check(r.body.at("status") == c.status, "dispatch answered status " + r.body["status"].dump());
            if (!event_id.empty()) c.event_ids.insert(event_id);
        } else {
            check(code == CONVO_ECONFLICT, "a valid event answered " + describe_code(code) + ": " + r.error);
            check(!target, "'" + type + "' refused in " + c.channel + "/" + met + ", which the table allows");
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
                check(ev.at("type") == "status_changed" && ev.at("data").contains("timer"),
                      "a tick appended a non-timer event: " + ev.dump());
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
            // An accepted event_id (now or before): a later typed repeat must change nothing.
            std::optional<json> ev = parse_object(text);
            if (auto event_id = ev ? str(*ev, "event_id") : std::nullopt) convs[a % n].event_ids.insert(*event_id);
        }
        if (!r.ok()) {
            for (const json &ev : fresh) {
                check(ev.at("type") == "status_changed" && ev.at("data").contains("timer"),
                      "a failed dispatch appended a non-timer event: " + ev.dump());
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
        switch (in.u8() % 13) {
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
