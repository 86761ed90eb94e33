// Fuzzes convo_list's query JSON over a fixed set of conversations (set up once per process,
// read-only afterwards): every channel and direction, several statuses, users, agents and
// versions, custom_metadata with strings, numbers, nested objects and arrays, creation times
// one second apart and some in the same millisecond; org_b has conversations too. The
// placeholders {{v1}} and {{v2}} in the input become agent versions' ids.
//
// Checked: the call contract; the shape {"items":[...],"next_cursor":string|null}; at most
// `limit` items, newest first, each exactly as convo_get returns it, all of org_a; every item
// matches every filter of the query; when the oracle can read the whole query, the page is
// exactly the first `limit` conversations that match, and next_cursor is non-null exactly when
// more match; following next_cursor continues without repeats; the feed never changes.
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_support.h"

using namespace convo_fuzz;

namespace {

struct Fixture {
    convo_engine *e = nullptr;
    convo_session *all = nullptr, *other = nullptr;
    std::string v1, v2, x1;
    std::vector<json> convs;  // org_a's conversations in creation order, as convo_get returns them
    uint64_t last_seq = 0;

    Fixture() {
        e = open_engine(json{{"path", ":memory:"}, {"clock", "manual"}, {"start", kStart}});
        all = open_session(e, "org_a", kAllScopes);
        other = open_session(e, "org_b", kAllScopes);
        json abc = must_put_agent(all, standard_agent());
        json abc2 = abc;
        for (json &v : abc2["versions"]) v["published"] = true;  // both versions usable
        abc2.erase("created_at");
        abc2.erase("updated_at");
        abc = must_put_agent(all, abc2);
        for (const json &v : abc.at("versions")) (v.at("version") == 1 ? v1 : v2) = v.at("id").get<std::string>();
        json xyz_in = standard_agent("agent_xyz", "+18885550001");
        for (json &v : xyz_in["versions"]) v["published"] = true;
        json xyz = must_put_agent(all, xyz_in);
        x1 = xyz.at("versions").at(0).at("id").get<std::string>();
        must_put_agent(other, standard_agent());

        const json metas[] = {json{{"tier", "gold"}, {"region", "eu"}},
                              json{{"tier", "silver"}},
                              json{{"tier", "gold"}, {"account", {{"id", 7}, {"tags", {"a", "b"}}}}},
                              json{{"tier", "gold"}, {"account", {{"id", 8}}}},
                              json{{"n", 1}, {"f", 1.5}, {"b", true}, {"z", nullptr}},
                              json{{"", ""}, {"unicode", "caf\xc3\xa9"}, {"list", json::array()}},
                              json::object()};
        const char *channels[] = {"text", "email", "telephone", "webrtc", "sms", "whatsapp"};
        int n = 0;
        for (int round = 0; round < 3; ++round) {
            for (const char *channel : channels) {
                for (const char *direction : {"outbound", "inbound"}) {
                    json r = request_for(channel, direction);
                    if (n % 3 == 1) r["agent_id"] = "agent_xyz";
                    if (n % 5 == 2) r["version"] = 2;
                    if (!is_phone_channel(channel)) r["user_id"] = "user_" + std::to_string(n % 4);
                    // No window is open: an outbound WhatsApp conversation starts with a template.
                    if (std::string(channel) == "whatsapp" && std::string(direction) == "outbound") {
                        r["message"] = json{{"type", "template"}, {"template", {{"name", "hello"}}}};
                    }
                    if (n % 7 != 6) r["custom_metadata"] = metas[n % 7];
                    add(r, n % 4 != 3);  // every fourth in the same millisecond as the previous
                    ++n;
                }
            }
        }
        // Move some on: ended, cancelled, answered, failed.
        for (size_t i = 0; i < convs.size(); ++i) {
            const std::string id = convs[i].at("id").get<std::string>();
            const std::string status = convs[i].at("status").get<std::string>();
            const std::string channel = convs[i].at("channel").get<std::string>();
            if (i % 3 == 0 && status == "in_progress") must_dispatch(all, id, json{{"type", "end"}});
            if (i % 3 == 1 && status != "in_progress") must_dispatch(all, id, json{{"type", "cancel"}});
            if (i % 3 == 2 && channel == "telephone") must_dispatch(all, id, json{{"type", "answered"}});
            if (i % 5 == 4) must_dispatch(all, id, json{{"type", "annotate"}, {"tags", {"x"}}});
        }
        for (json &c : convs) c = get(all, c.at("id").get<std::string>()).body;
        must_create(other, request_for("text"));
        must_create(other, request_for("email"));
        for (json more = events_after(all, 0, false); !more.empty(); more = events_after(all, last_seq, false)) {
            last_seq = more.back().at("seq").get<uint64_t>();
        }
    }
    ~Fixture() {
        convo_session_close(all);
        convo_session_close(other);
        convo_engine_close(e);
    }

    void add(const json &request, bool tick) {
        if (tick) checked_plain("fixture convo_clock_set", convo_clock_set(e, now_of(e) + 1000), 0);
        json body = must_create(all, request);
        convs.push_back(get(all, created_id(body)).body);
    }
};

// What the oracle understood of a query; `exact` is false when it holds something the oracle
// cannot judge (a cursor, a time in another form), and then only filters are checked.
struct Query {
    std::set<std::string> statuses;
    std::map<std::string, std::string> equal;  // item field -> value
    std::vector<std::pair<std::string, std::string>> metadata;  // key, canonical JSON
    std::optional<std::string> after, before;                   // engine-format times
    size_t limit = 20;
    bool exact = true;
};

std::string canonical(const json &j) { return j.dump(); }  // nlohmann::json sorts keys

// Reads a query the engine accepted.
Query understand(const json &q) {
    Query out;
    if (has_non_null(q, "status")) {
        json names = q["status"].is_array() ? q["status"] : json::array({q["status"]});
        for (const json &n : names) out.statuses.insert(n.get<std::string>());
    }
    for (const char *k : {"channel", "direction", "agent_id", "agent_version_id", "user_id", "agent_number"}) {
        if (has_non_null(q, k)) out.equal[k] = q[k].get<std::string>();
    }
    if (has_non_null(q, "custom_metadata")) {
        for (auto it = q["custom_metadata"].begin(); it != q["custom_metadata"].end(); ++it) {
            out.metadata.emplace_back(it.key(), canonical(it.value()));
        }
    }
    for (const char *k : {"created_after", "created_before"}) {
        if (!has_non_null(q, k)) continue;
        std::string t = q[k].get<std::string>();
        json as_json = t;
        if (is_engine_time(as_json)) {
            (std::string(k) == "created_after" ? out.after : out.before) = t;
        } else {
            out.exact = false;
        }
    }
    if (has_non_null(q, "limit")) out.limit = q["limit"].get<size_t>();
    if (has_non_null(q, "cursor")) out.exact = false;
    return out;
}

bool matches(const Query &q, const json &c) {
    if (!q.statuses.empty() && !q.statuses.count(c.at("status").get<std::string>())) return false;
    for (const auto &[k, v] : q.equal) {
        if (!c.at(k).is_string() || c[k].get<std::string>() != v) return false;
    }
    for (const auto &[k, v] : q.metadata) {
        const json &m = c.at("custom_metadata");
        if (!m.is_object() || !m.contains(k) || canonical(m[k]) != v) return false;
    }
    const std::string created = c.at("created_at").get<std::string>();
    if (q.after && !(created > *q.after)) return false;
    if (q.before && !(created < *q.before)) return false;
    return true;
}

Result list(convo_session *s, const std::string &text, unsigned allowed) {
    char *out = nullptr;
    return checked("convo_list", convo_list(s, text.c_str(), &out), &out, allowed);
}

Fixture *g_fixture = nullptr;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string text = c_string_of(data, size);
    input_context() = text;
    try {
        if (g_fixture == nullptr) g_fixture = new Fixture();
        Fixture &f = *g_fixture;
        replace_all(text, "{{v1}}", f.v1);
        replace_all(text, "{{v2}}", f.v2);
        replace_all(text, "{{x1}}", f.x1);
        input_context() = text;

        Result r = list(f.all, text, bit(CONVO_EINVALID));
        check(events_after(f.all, f.last_seq, false).empty(), "convo_list appended feed events");
        if (!r.ok()) return 0;
        std::optional<json> q = parse_object(text);
        check(q.has_value(), "convo_list accepted a query that is not a JSON object");
        Query oracle = understand(*q);

        json query = *q;
        std::set<std::string> seen;
        std::string last_created;  // the previous item's created_at (items come newest first)
        std::vector<std::string> listed;
        for (int page = 0; page < 4; ++page) {
            const json &items = r.body.at("items");
            const json &next = r.body.at("next_cursor");
            check(r.body.size() == 2 && items.is_array(), "list answer is not {items, next_cursor}");
            check(next.is_null() || next.is_string(), "next_cursor is neither null nor a string");
            check(items.size() <= oracle.limit, "list answered " + std::to_string(items.size()) +
                                                    " items for limit " + std::to_string(oracle.limit));
            for (const json &item : items) {
                check_conversation(item, "list item");
                const std::string id = item.at("id").get<std::string>();
                check(seen.insert(id).second, "list answered " + id + " twice across pages");
                check(item.at("organization_id") == "org_a", "list answered another organization's conversation");
                auto it = std::find_if(f.convs.begin(), f.convs.end(), [&](const json &c) { return c.at("id") == id; });
                check(it != f.convs.end() && *it == item, "list item " + id + " differs from convo_get");
                check(matches(oracle, item), "list item " + id + " does not match the query");
                const std::string created = item.at("created_at").get<std::string>();
                check(last_created.empty() || created <= last_created, "list is not newest first");
                last_created = created;
                listed.push_back(id);
            }
            if (page == 0 && oracle.exact) {
                // Expected: the matching conversations, newest first (creation order breaks ties).
                std::vector<std::string> expect;
                for (auto c = f.convs.rbegin(); c != f.convs.rend(); ++c) {
                    if (matches(oracle, *c)) expect.push_back(c->at("id").get<std::string>());
                }
                std::vector<std::string> first(expect.begin(),
                                               expect.begin() + std::min(expect.size(), oracle.limit));
                check(listed == first, "list answered " + std::to_string(listed.size()) + " items, the oracle expects " +
                                           std::to_string(first.size()) + " (" + std::to_string(expect.size()) +
                                           " match in all)");
                check(next.is_null() == (expect.size() <= oracle.limit),
                      "next_cursor is " + next.dump() + " with " + std::to_string(expect.size()) +
                          " matches for limit " + std::to_string(oracle.limit));
            }
            if (next.is_null()) break;
            query["cursor"] = next;
            r = list(f.all, query.dump(), 0);
        }
    } catch (const std::exception &ex) {
        fail(std::string("harness: unexpected exception: ") + ex.what());
    }
    return 0;
}
