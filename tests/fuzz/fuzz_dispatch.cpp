// Fuzzes convo_dispatch's event JSON against conversations in every reachable (channel,
// direction, status), set up once per process on a manual clock that then stands still (so no
// deadline ever falls due and a failed dispatch must change nothing at all).
//
// Input: byte 0 chooses the target — bits 0-5: the slot (one past the last: an unknown id),
// bit 6: a session without CONVO_SCOPE_SENSITIVE, bit 7: the id in upper case. The rest, up to
// its first NUL, is the event JSON.
//
// Slots: every (channel, direction, status) the table reaches, then the states beside the
// status the rules look at: a human's takeover, a WhatsApp window opened by a user message, a
// wrap-up already finalized. A slot whose conversation leaves its state gets a fresh one; each
// whatsapp conversation has a user number of its own, so its window is closed until a user
// message opens it.
//
// Checked: the call contract; a failure appends nothing and leaves the conversation as it was;
// CONVO_ECONFLICT exactly when the lifecycle table (convo_describe) refuses the event in that
// status and channel or an agent speaks while a human has taken over; CONVO_EPRECONDITION
// exactly for a free-form business message on WhatsApp while the window is closed; a success
// moves the conversation where the table says, appends gapless feed events of that
// conversation only (none when it has nothing to do: then it changes nothing at all), returns
// what convo_get returns (without sensitive keys for a session without the scope), and a
// repeated event_id changes nothing.
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
    json shape;  // what the rules look at, as the first drive left it (see shape_of)
    bool by_timer() const {
        for (const Step &s : steps) {
            if (s.timer) return true;
        }
        return false;
    }
};

using Start = std::tuple<std::string, std::string, std::string>;

// What a conversation's answers depend on besides its status: whether a human has taken over,
// its wrap-up, whether its WhatsApp window is open.
json shape_of(const json &c) {
    return json{{"status", c.at("status")},
                {"human_takeover", c.at("human_takeover")},
                {"wrap_up", c.at("wrap_up")},
                {"window", !c.at("chat_window_expires_at").is_null()}};
}

// Shortest routes from `starts` into every reachable (channel, direction, status) by events,
// then those only timers reach; appended to `found`.
void explore(const Table &t, const std::vector<Start> &starts, std::vector<Slot> &found,
             std::set<Start> &seen) {
    const size_t first = found.size();
    for (bool with_timers : {false, true}) {
        std::deque<Slot> queue(found.begin() + static_cast<long>(first), found.end());  // pass 2: from all
        for (const auto &[channel, direction, status] : starts) {
            Slot s{channel, direction, status, status, {}, "", nullptr};
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
}

// The slots: the first channels' (their numbers are fixed: the seeds name them), then sms and
// whatsapp, then states beside the status.
std::vector<Slot> routes(const Table &t) {
    std::vector<Slot> found;
    std::set<Start> seen;
    explore(t,
            {{"telephone", "outbound", "triggered"},
             {"telephone", "inbound", "ringing"},
             {"email", "outbound", "triggered"},
             {"webrtc", "outbound", "token_created"},
             {"text", "outbound", "in_progress"}},
            found, seen);
    explore(t,
            {{"sms", "outbound", "in_progress"},
             {"sms", "inbound", "in_progress"},
             {"whatsapp", "outbound", "in_progress"},
             {"whatsapp", "inbound", "in_progress"}},
            found, seen);
    auto extend = [&](const std::string &channel, const std::string &direction, const std::string &status,
                      std::initializer_list<const char *> events) {
        for (const Slot &s : std::vector<Slot>(found)) {
            if (s.channel != channel || s.direction != direction || s.status != status || s.by_timer()) continue;
            Slot n = s;
            for (const char *e : events) n.steps.push_back(Step{false, e, status});
            found.push_back(n);
            return;
        }
    };
    extend("text", "outbound", "in_progress", {"takeover"});
    extend("whatsapp", "inbound", "in_progress", {"message"});  // the window open
    extend("whatsapp", "inbound", "in_progress", {"message", "takeover"});
    extend("whatsapp", "outbound", "in_progress", {"takeover"});  // closed, taken over
    extend("text", "outbound", "completed", {"finalize"});
    extend("whatsapp", "inbound", "completed", {"finalize"});
    return found;
}

struct Fixture {
    convo_engine *e = nullptr;
    convo_session *all = nullptr, *plain = nullptr;
    Table table;
    std::vector<Slot> slots;
    uint64_t last_seq = 0;
    std::set<std::pair<std::string, std::string>> recorded;  // (conversation, event_id) accepted
    int contacts = 0;  // whatsapp conversations so far: each gets a user number of its own

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
                std::fprintf(stderr, "slot %zu: %s/%s/%s %s\n", i, slots[i].channel.c_str(),
                             slots[i].direction.c_str(), slots[i].status.c_str(), slots[i].shape.dump().c_str());
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
        json request = request_for(s.channel, s.direction);
        if (s.channel == "whatsapp") {
            request["user_id"] = "+1415556" + std::to_string(1000000 + contacts++ % 9000000);
            // Its window is closed: outbound, it starts with a template.
            if (s.direction == "outbound") request["message"] = json{{"type", "template"}, {"template", {{"name", "hello"}}}};
        }
        json body = must_create(all, request);
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
        json shape = shape_of(get(all, s.id).body);
        check(shape.at("status") == s.status, "fixture: route to " + s.channel + "/" + s.status + " ended in " +
                                                  shape.dump());
        check(s.shape.is_null() || shape == s.shape, "fixture: slot " + s.shape.dump() + " driven to " + shape.dump());
        s.shape = shape;
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

// The code the rules give a well-formed event in conversation `c` (the clock stands still, so a
// window open now was open at any time the event can take effect).
convo_code rule_code_in(const Table &t, const json &event, const json &c) {
    return rule_code(t, event, c.at("status").get<std::string>(), c.at("channel").get<std::string>(),
                     c.at("human_takeover").get<bool>(), !c.at("chat_window_expires_at").is_null());
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
                            known ? bit(CONVO_EINVALID) | bit(CONVO_ECONFLICT) | bit(CONVO_EPRECONDITION)
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
            if (r.code == CONVO_ECONFLICT || r.code == CONVO_EPRECONDITION) {
                check(type && f.table.events.count(*type), describe_code(r.code) + " for an event without a known type");
                const convo_code want = rule_code_in(f.table, *ev, before);
                check(r.code == want, describe_code(r.code) + " for '" + *type + "' in " + shape_of(before).dump() +
                                          " on " + before.at("channel").get<std::string>() + ", where the rules give " +
                                          describe_code(want) + ": " + r.error);
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
        // Every accepted event_id is recorded, a no-op's too: a repeat changes nothing.
        const std::optional<std::string> event_id = str(*ev, "event_id");
        const bool repeated = event_id && !f.recorded.insert({id, *event_id}).second;
        if (fresh.empty()) {
            // A repeated event_id, or an event with nothing to do: either way nothing changes.
            check(repeated || (rule_code_in(f.table, *ev, before) == CONVO_OK && is_noop(f.table, *ev, before)),
                  "a successful dispatch appended no feed event, and '" + *type + "' has something to do in " +
                      shape_of(before).dump());
            check(after == before, "a dispatch that appended nothing changed the conversation");
            return 0;
        }
        check(!repeated, "a repeated event_id appended " + std::to_string(fresh.size()) + " event(s)");
        check(rule_code_in(f.table, *ev, before) == CONVO_OK,
              "'" + *type + "' accepted in " + shape_of(before).dump() + " on " + slot.channel + ", which the rules refuse (" +
                  describe_code(rule_code_in(f.table, *ev, before)) + ")");
        check(!is_noop(f.table, *ev, before), "'" + *type + "' has nothing to do in " + shape_of(before).dump() +
                                                  " but appended " + std::to_string(fresh.size()) + " event(s)");
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
        // A slot that left its state gets a fresh conversation in it (not those timers reach:
        // driving them moves the clock).
        if (!slot.by_timer() && shape_of(after) != slot.shape) f.drive(f.slots[index]);
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
