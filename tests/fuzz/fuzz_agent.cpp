// Fuzzes convo_agent_put's agent JSON. One engine per process (manual clock): org_a has the
// standard agent (agent_abc, +18885550000, versions 1 and 2) and agent_other (+18885550001).
// The placeholders {{v1}} and {{v2}} in the input become agent_abc's version ids.
//
// Checked: the call contract; a failure leaves the agent the input names exactly as it was;
// CONVO_ECONFLICT only over a phone number another agent has; a success returns what
// convo_agent_get then returns, keeps every version's id stable (the ids of versions that
// existed before are unchanged), gives each version a UUID, and its output put back as input
// is accepted and changes nothing.
#include <map>
#include <string>

#include "fuzz_support.h"

using namespace convo_fuzz;

namespace {

struct Fixture {
    convo_engine *e = nullptr;
    convo_session *all = nullptr;
    std::string v1, v2;

    Fixture() {
        e = open_engine(json{{"path", ":memory:"}, {"clock", "manual"}, {"start", kStart}});
        all = open_session(e, "org_a", kAllScopes);
        json abc = must_put_agent(all, standard_agent());
        for (const json &v : abc.at("versions")) {
            (v.at("version") == 1 ? v1 : v2) = v.at("id").get<std::string>();
        }
        must_put_agent(all, standard_agent("agent_other", "+18885550001"));
    }
    ~Fixture() {
        convo_session_close(all);
        convo_engine_close(e);
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

Result agent_get(convo_session *s, const std::string &id) {
    char *out = nullptr;
    return checked("convo_agent_get", convo_agent_get(s, id.c_str(), &out), &out,
                   bit(CONVO_ENOTFOUND) | bit(CONVO_EINVALID));
}

Result agent_put(convo_session *s, const std::string &text, unsigned allowed) {
    char *out = nullptr;
    return checked("convo_agent_put", convo_agent_put(s, text.c_str(), &out), &out, allowed);
}

std::map<int64_t, std::string> version_ids(const json &agent) {
    std::map<int64_t, std::string> ids;
    if (!agent.is_object()) return ids;
    for (const json &v : agent.at("versions")) ids[v.at("version").get<int64_t>()] = v.at("id").get<std::string>();
    return ids;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string text = c_string_of(data, size);
    input_context() = text;
    try {
        Fixture &f = fixture();
        replace_all(text, "{{v1}}", f.v1);
        replace_all(text, "{{v2}}", f.v2);
        input_context() = text;
        std::optional<json> in = parse_object(text);
        std::optional<std::string> id = in ? str(*in, "id") : std::nullopt;
        Result before;
        if (id) before = agent_get(f.all, *id);

        Result r = agent_put(f.all, text, bit(CONVO_EINVALID) | bit(CONVO_ECONFLICT));
        if (!r.ok()) {
            if (id) {
                Result after = agent_get(f.all, *id);
                check(after.code == before.code && after.body == before.body,
                      "a failed put (" + describe_code(r.code) + ") changed agent '" + *id + "'");
            }
            if (r.code == CONVO_ECONFLICT) {
                check(in && has_non_null(*in, "phone_number"), "ECONFLICT without a phone number: " + r.error);
            }
            return 0;
        }

        check(in.has_value() && id.has_value(), "convo_agent_put accepted input without a string id");
        const json &a = r.body;
        check(a.value("id", json()) == *id, "put answered another agent id: " + a.value("id", json()).dump());
        for (const char *k : {"name", "phone_number", "versions", "created_at", "updated_at"}) {
            check(a.contains(k), std::string("put answer lacks '") + k + "'");
        }
        check(is_engine_time(a["created_at"]) && is_engine_time(a["updated_at"]), "put answer has malformed times");
        check(a["versions"].is_array() && a["versions"].size() == in->at("versions").size(),
              "put answered a different number of versions");
        std::map<int64_t, std::string> ids = version_ids(a);
        check(ids.size() == a["versions"].size(), "put answered a version number twice");
        for (const auto &[n, vid] : ids) {
            check(is_uuid(vid), "version " + std::to_string(n) + " has id " + vid + ", not a UUID");
        }
        if (before.ok()) {
            std::map<int64_t, std::string> old = version_ids(before.body);
            for (const auto &[n, vid] : ids) {
                auto it = old.find(n);
                check(it == old.end() || it->second == vid,
                      "version " + std::to_string(n) + " changed id across puts");
            }
            check(a["created_at"] == before.body["created_at"], "a put changed created_at");
        }
        Result got = agent_get(f.all, *id);
        check(got.ok() && got.body == a, "convo_agent_get differs from what put answered");
        // The output is valid input and putting it back changes nothing.
        Result again = agent_put(f.all, a.dump(), 0);
        check(again.body == a, "putting the output back answered differently: " + again.body.dump());
        ++g_changes;
    } catch (const std::exception &ex) {
        fail(std::string("harness: unexpected exception: ") + ex.what());
    }
    return 0;
}
