// Fuzzes convo_dispatch's event JSON against conversations in every reachable (channel,
// direction, status), set up once per process on a manual clock that then stands still (so no
// deadline ever falls due and a failed dispatch must change nothing at all).
//
// Input: byte 0 chooses the target — bits 0-5: the slot (one past the last: an unknown id),
// bit 6: a session without CONVO_SCOPE_SENSITIVE, bit 7: the id in upper case. The rest, up to
// its first NUL, is the event JSON.
//
// Checked: the call contract; a failure appends nothing and leaves the conversation as it was;
// CONVO_ECONFLICT exactly when the lifecycle table (convo_describe) refuses the event in that
// status and channel; a success moves the conversation where the table says, appends gapless
// feed events of that conversation only, returns what convo_get returns (without sensitive
// keys for a session without the scope), and a repeated event_id changes nothing.
#include <deque>
#include <string>
#include <tuple>
#include <vector>

#include "fuzz_support.h"

using namespace convo_fuzz;

namespace {

constexpr const char *kUnknownId = "00000000-0000-7000-8000-000000000000";

struct Step {
    bool timer = false;
    std::string name, to;
};
struct Slot {
    std::string channel, direction, start, status;
    std::vector<Step> steps;
    std::string id;
    bool by_timer() const {
        for (const Step &s : steps) {
            if (s.timer) return true;
        }
        return false;
    }
};

// Shortest routes into every reachable (channel, direction, status) by events, then those only
// timers reach.
std::vector<Slot> routes(const Table &t) {
    const std::vector<std::tuple<std::string, std::string, std::string>> starts = {
        {"telephone", "outbound", "triggered"},
        {"telephone", "inbound", "ringing"},
        {"email", "outbound", "triggered"},
        {"webrtc", "outbound", "token_created"},
        {"text", "outbound", "in_progress"}};
    std::vector<Slot> found;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (bool with_timers : {false, true}) {
        std::deque<Slot> queue(found.begin(), found.end());  // the second pass goes on from all
        for (const auto &[channel, direction, status] : starts) {
            Slot s{channel, direction, status, status, {}, ""};
            if (seen.insert({channel, direction, status}).second) {
                found.push_back(s);
                queue.push_back(s);
            }
        }
        while (!queue.empty()) {
            Slot s = queue.front();
            queue.pop_front();
            std::vector<Step> next;
            for (const std::string &ev : t.events) {
                auto to = t.target(ev, s.status, s.channel);
                if (to && *to != s.status) next.push_back(Step{false, ev, *to});
            }
            if (with_timers) {
                for (const auto &[key, to] : t.timer_moves) {
                    const auto &chans = t.timer_channels.at(key.first);
                    if (key.second == s.status && chans.count(s.channel)) {
                        next.push_back(Step{true, key.first, to});
                    }
                }
            }
            for (const Step &st : next) {
                Slot n = s;
                n.steps.push_back(st);
                n.status = st.to;
                if (seen.insert({n.channel, n.direction, n.status}).second) {
                    found.push_back(n);
                    queue.push_back(n);
                }
            }
        }
    }
    return found;
}

struct Fixture {
    convo_engine *e = nullptr;
    convo_session *all = nullptr, *plain = nullptr;
    Table table;
    std::vector<Slot> slots;
    uint64_t last_seq = 0;

    Fixture() {
        e = open_engine(json{{"path", ":memory:"}, {"clock", "manual"}, {"start", kStart}});
        all = open_session(e, "org_a", kAllScopes);
        plain = open_session(e, "org_a", CONVO_SCOPE_READ | CONVO_SCOPE_WRITE);
        must_put_agent(all, standard_agent());
        table = read_table(e);
        slots = routes(table);
        // Timer routes first, while they are the only conversations with deadlines; after them
        // the clock never moves again.
        for (Slot &s : slots) {
            if (s.by_timer()) drive(s);
        }
        for (Slot &s : slots) {
            if (!s.by_timer()) drive(s);
        }
        if (std::getenv("CONVO_FUZZ_SLOTS") != nullptr) {  // the slot table, for writing seeds
            for (size_t i = 0; i < slots.size(); ++i) {
                std::fprintf(stderr, "slot %zu: %s/%s/%s\n", i, slots[i].channel.c_str(),
                             slots[i].direction.c_str(), slots[i].status.c_str());
            }
        }
        json feed = events_after(all, 0, true);
        while (!feed.empty()) {
            last_seq = feed.back().at("seq").get<uint64_t>();
            feed = events_after(all, last_seq, true);
        }
    }
    ~Fixture() {
        convo_session_close(all);
        convo_session_close(plain);
        convo_engine_close(e);
    }

    void drive(Slot &s) {
        json body = must_create(all, request_for(s.channel, s.direction));
        s.id = created_id(body);
        for (const Step &st : s.steps) {
            if (st.timer) {
                int64_t deadline = 0;
                checked_plain("fixture convo_next_deadline", convo_next_deadline(e, &deadline), 0);
                if (deadline > now_of(e)) checked_plain("fixture convo_clock_set", convo_clock_set(e, deadline), 0);
                checked_plain("fixture convo_tick", convo_tick(e, nullptr), 0);
            } else {
                must_dispatch(all, s.id, event_body(st.name));
            }
        }
        std::string status = get(all, s.id).body.at("status").get<std::string>();
        check(status == s.status, "fixture: route to " + s.channel + "/" + s.status + " ended in " + status);
    }
};

Fixture *g_fixture = nullptr;
size_t g_changes = 0;

Fixture &fixture() {
    if (g_changes >= 20000) {  // keeps a long run's memory bounded
        delete g_fixture;
        g_fixture = nullptr;
        g_changes = 0;
    }
    if (g_fixture == nullptr) g_fixture = new Fixture();
    return *g_fixture;
}

std::string upper(std::string s) {
    for (char &c : s) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return s;
}

Result dispatch(convo_session *s, const std::string &id, const std::string &text, unsigned allowed) {
    char *out = nullptr;
    return checked("convo_dispatch", convo_dispatch(s, id.c_str(), text.c_str(), &out), &out, allowed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    try {
        Fixture &f = fixture();
        const uint8_t selector = data[0];
        const std::string text = c_string_of(data + 1, size - 1);
        const size_t index = (selector & 0x3f) % (f.slots.size() + 1);
        const bool known = index < f.slots.size();
        const bool sensitive = (selector & 0x40) == 0;
        convo_session *s = sensitive ? f.all : f.plain;
        const std::string id = known ? f.slots[index].id : kUnknownId;
        const std::string given_id = (selector & 0x80) ? upper(id) : id;
        input_context() = "slot " + std::to_string(index) +
                          (known ? " (" + f.slots[index].channel + "/" + f.slots[index].direction +
                                       "/" + f.slots[index].status + ")"
                                 : " (unknown id)") +
                          (sensitive ? "" : " without SENSITIVE") + ", event: " + text;

        json before = known ? get(f.all, id).body : json();
        Result r = dispatch(s, given_id, text,
                            known ? bit(CONVO_EINVALID) | bit(CONVO_ECONFLICT)
                                  : bit(CONVO_EINVALID) | bit(CONVO_ENOTFOUND));
        json fresh = events_after(f.all, f.last_seq, true);
        std::optional<json> ev = parse_object(text);
        std::optional<std::string> type = ev ? str(*ev, "type") : std::nullopt;

        if (!r.ok()) {
            check(fresh.empty(), "a failed dispatch (" + describe_code(r.code) + ") appended " +
                                     std::to_string(fresh.size()) + " feed event(s)");
            if (known) {
                check(get(f.all, id).body == before, "a failed dispatch changed the conversation");
            }
            if (r.code == CONVO_ECONFLICT) {
                check(type && f.table.events.count(*type), "ECONFLICT for an event without a known type");
                const std::string status = before.at("status").get<std::string>();
                const std::string channel = before.at("channel").get<std::string>();
                check(!f.table.target(*type, status, channel),
                      "ECONFLICT for '" + *type + "' in " + channel + "/" + status +
                          ", which the lifecycle table allows: " + r.error);
            }
            return 0;
        }

        const Slot &slot = f.slots[index];
        check(ev.has_value(), "convo_dispatch accepted an event that is not a JSON object");
        check(type && f.table.events.count(*type), "convo_dispatch accepted an event without a known type");
        check_conversation(r.body, "dispatch result");
        check(r.body.at("id") == id, "dispatch returned another conversation: " + r.body["id"].dump());
        json after = get(f.all, id).body;
        if (sensitive) {
            check(r.body == after, "dispatch result differs from convo_get afterwards");
        } else {
            check_no_sensitive(r.body, "dispatch result");
            check(r.body == without_sensitive(after), "dispatch result differs from convo_get afterwards");
        }
        const std::string from = before.at("status").get<std::string>();
        if (fresh.empty()) {
            check(has_non_null(*ev, "event_id"), "a successful dispatch appended no feed event");
            check(after == before, "a repeated event_id changed the conversation");
            return 0;
        }
        auto to = f.table.target(*type, from, slot.channel);
        check(to.has_value(), "'" + *type + "' accepted in " + slot.channel + "/" + from +
                                  ", which the lifecycle table refuses");
        check(after.at("status") == *to, "'" + *type + "' from " + from + " led to " +
                                             after["status"].dump() + ", the table says " + *to);
        for (const json &e : fresh) {
            check(e.at("conversation_id") == id, "dispatch appended an event of another conversation");
        }
        f.last_seq = fresh.back().at("seq").get<uint64_t>();
        ++g_changes;

        if (has_non_null(*ev, "event_id")) {
            Result again = dispatch(s, given_id, text, 0);
            check(again.body == r.body, "a repeated event_id returned a different conversation");
            check(events_after(f.all, f.last_seq, true).empty(), "a repeated event_id appended events");
        }
        if (*to != from) f.drive(f.slots[index]);  // the slot gets a fresh conversation in `from`
        f.last_seq = std::max(f.last_seq, [&] {
            uint64_t last = f.last_seq;
            for (json more = events_after(f.all, last, true); !more.empty();
                 more = events_after(f.all, last, true)) {
                last = more.back().at("seq").get<uint64_t>();
            }
            return last;
        }());
    } catch (const std::exception &ex) {
        fail(std::string("harness: unexpected exception: ") + ex.what());
    }
    return 0;
}
