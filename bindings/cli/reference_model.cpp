#include "reference_model.h"

#include <algorithm>
#include <regex>

#include "time_text.h"

namespace convo_cli::sim {

namespace {

// ---- The lifecycle, restated from the core-engine issue (section 6) and docs/c-api.md ----

// `event` may be dispatched in `from` for the listed channels (empty: every channel), and
// moves the conversation to `to` (nullopt: the status stays).
struct Rule {
    const char *event;
    std::vector<Status> from;
    std::optional<Status> to;
    std::vector<Channel> channels;
};

const std::vector<Status> kOpen = {Status::triggered, Status::ringing, Status::token_created,
                                   Status::in_progress};
const std::vector<Status> kEvery = {Status::triggered,   Status::ringing,     Status::token_created,
                                    Status::in_progress, Status::completed,   Status::failed,
                                    Status::cancelled,   Status::transferred, Status::unanswered};

const std::vector<Rule> &rules() {
    static const std::vector<Rule> table = {
        {"ringing", {Status::triggered}, Status::ringing, {Channel::telephone}},
        {"answered",
         {Status::triggered, Status::ringing},
         Status::in_progress,
         {Channel::telephone}},
        {"joined", {Status::token_created}, Status::in_progress, {Channel::webrtc}},
        // "email greeting sent": read as email only.
        {"delivered", {Status::triggered}, Status::in_progress, {Channel::email}},
        {"message", {Status::in_progress}, std::nullopt, {}},
        {"message", {Status::triggered}, Status::in_progress, {Channel::email}},
        {"end", {Status::in_progress}, Status::completed, {}},
        {"cancel",
         {Status::triggered, Status::ringing, Status::token_created},
         Status::cancelled,
         {}},
        {"no_answer", {Status::triggered, Status::ringing}, Status::unanswered, {}},
        {"busy", {Status::triggered, Status::ringing}, Status::unanswered, {}},
        {"fail", kOpen, Status::failed, {}},
        {"transfer", {Status::ringing, Status::in_progress}, Status::transferred, {}},
        {"annotate", kEvery, std::nullopt, {}},
    };
    return table;
}

bool contains(const std::vector<Status> &v, Status s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// The timers: what status arms them and where they lead.
bool armed_in(Timer t, const Conversation &c, Status s) {
    switch (t) {
        case Timer::idle:
            return s == Status::in_progress && c.idle_minutes.has_value();
        case Timer::max_open:
            return !terminal(s);
        case Timer::ring:
            return s == Status::ringing;
        case Timer::dial:
            return s == Status::triggered && c.channel == Channel::telephone;
        case Timer::join:
            return s == Status::token_created;
    }
    return false;
}

Status fires_to(Timer t, Status from) {
    switch (t) {
        case Timer::idle:
            return Status::completed;
        case Timer::max_open:
            return from == Status::in_progress ? Status::completed : Status::unanswered;
        case Timer::ring:
        case Timer::join:
            return Status::unanswered;
        case Timer::dial:
            return Status::failed;
    }
    return Status::failed;
}

const char *end_reason_of(Timer t) {
    switch (t) {
        case Timer::idle:
            return "idle_timeout";
        case Timer::max_open:
            return "max_open_timeout";
        case Timer::ring:
            return "ring_timeout";
        case Timer::dial:
            return "dial_timeout";
        case Timer::join:
            return "token_expired";
    }
    return "";
}

json time_or_null(const std::optional<int64_t> &ms) {
    return ms ? json(format_rfc3339(*ms)) : json();
}

// ---- Request validation, as far as the docs' tables go ----

bool non_empty_string(const json &v) {
    return v.is_string() && !v.get<std::string>().empty();
}

bool string_array(const json &v) {
    if (!v.is_array()) return false;
    return std::all_of(v.begin(), v.end(), [](const json &x) { return x.is_string(); });
}

bool e164(const json &v) {
    static const std::regex re("^\\+[1-9][0-9]{1,14}$");
    return v.is_string() && std::regex_match(v.get<std::string>(), re);
}

bool uuid(const json &v) {
    static const std::regex re(
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    return v.is_string() && std::regex_match(v.get<std::string>(), re);
}

bool positive_integer(const json &v) {
    return v.is_number_integer() && v.get<int64_t>() >= 1;
}

std::optional<Channel> channel_named(const std::string &s) {
    if (s == "telephone") return Channel::telephone;
    if (s == "webrtc") return Channel::webrtc;
    if (s == "email") return Channel::email;
    if (s == "text") return Channel::text;
    return std::nullopt;
}

}  // namespace

const char *name(Channel c) {
    static const char *const names[] = {"telephone", "webrtc", "email", "text"};
    return names[static_cast<int>(c)];
}

const char *name(Status s) {
    static const char *const names[] = {"triggered",   "ringing",     "token_created",
                                        "in_progress", "completed",   "failed",
                                        "cancelled",   "transferred", "unanswered"};
    return names[static_cast<int>(s)];
}

const char *name(Timer t) {
    static const char *const names[] = {"idle", "max_open", "ring", "dial", "join"};
    return names[static_cast<int>(t)];
}

bool terminal(Status s) {
    return !contains(kOpen, s);
}

std::optional<std::pair<int64_t, Timer>> Conversation::next_deadline() const {
    std::optional<std::pair<int64_t, Timer>> best;
    for (std::size_t i = 0; i < kTimers; ++i) {
        if (deadline[i] && (!best || *deadline[i] < best->first)) {
            best = std::make_pair(*deadline[i], static_cast<Timer>(i));
        }
    }
    return best;
}

namespace {

// The channels a conversation can have while in a status (text never waits to be answered;
// inbound calls start ringing; only webrtc has a token).
std::vector<Channel> channels_in(Status s) {
    std::vector<Channel> all = {Channel::telephone, Channel::webrtc, Channel::email, Channel::text};
    switch (s) {
        case Status::triggered:
            return {Channel::telephone, Channel::email};
        case Status::ringing:
            return {Channel::telephone};
        case Status::token_created:
            return {Channel::webrtc};
        case Status::cancelled:
        case Status::unanswered:
            return {Channel::telephone, Channel::webrtc, Channel::email};
        default:
            return all;
    }
}

}  // namespace

std::size_t Coverage::accepted_total() {
    std::set<std::tuple<std::string, int, int>> rows;
    for (const Rule &r : rules()) {
        for (Status s : r.from) {
            for (Channel ch : channels_in(s)) {
                if (r.channels.empty() ||
                    std::find(r.channels.begin(), r.channels.end(), ch) != r.channels.end()) {
                    rows.insert({r.event, static_cast<int>(s), static_cast<int>(ch)});
                }
            }
        }
    }
    return rows.size();
}

std::size_t Coverage::refused_total() {
    std::set<std::string> events;
    for (const Rule &r : rules()) events.insert(r.event);
    std::size_t cells = 0;
    for (const std::string &e : events) {
        for (Status s : kEvery) {
            // Forbidden when no (rule, channel) allows e in s for every channel found there.
            for (Channel ch : channels_in(s)) {
                bool allowed = false;
                for (const Rule &r : rules()) {
                    if (r.event == e && contains(r.from, s) &&
                        (r.channels.empty() ||
                         std::find(r.channels.begin(), r.channels.end(), ch) != r.channels.end())) {
                        allowed = true;
                    }
                }
                if (!allowed) {
                    ++cells;
                    break;
                }
            }
        }
    }
    return cells;
}

std::size_t Coverage::timers_total() {
    std::size_t pairs = 0;
    for (std::size_t t = 0; t < kTimers; ++t) {
        for (Status s : kOpen) {
            for (Channel ch : channels_in(s)) {
                Conversation probe;
                probe.channel = ch;
                probe.idle_minutes = 1;
                if (armed_in(static_cast<Timer>(t), probe, s)) {
                    ++pairs;
                    break;
                }
            }
        }
    }
    return pairs;
}

std::optional<std::string> invalid_event(const json &event) {
    if (!event.is_object()) return "not an object";
    const auto type_it = event.find("type");
    if (type_it == event.end() || !type_it->is_string()) return "type: required string";
    const std::string type = type_it->get<std::string>();
    static const std::map<std::string, std::vector<std::string>> fields = {
        {"ringing", {}},
        {"answered", {}},
        {"joined", {}},
        {"delivered", {}},
        {"cancel", {}},
        {"no_answer", {}},
        {"busy", {}},
        {"message", {"role", "text"}},
        {"end", {"reason"}},
        {"fail", {"reason"}},
        {"transfer", {"to"}},
        {"annotate", {"summary", "topic", "actions_needed", "tags", "recording_details"}},
    };
    const auto allowed = fields.find(type);
    if (allowed == fields.end()) return "type: unknown";
    for (const auto &[key, value] : event.items()) {
        if (key == "type") continue;
        if (key == "event_id") {
            if (!value.is_string() || value.get<std::string>().empty() ||
                value.get<std::string>().size() > 256) {
                return "event_id: 1-256 characters";
            }
            continue;
        }
        if (key == "at") {
            if (!value.is_string() || !parse_rfc3339(value.get<std::string>())) {
                return "at: RFC 3339";
            }
            continue;
        }
        const auto &list = allowed->second;
        if (std::find(list.begin(), list.end(), key) == list.end()) return key + ": unknown field";
    }
    if (type == "message") {
        const json role = event.value("role", json());
        if (!role.is_string() || (role != "user" && role != "agent" && role != "human")) {
            return "role: user, agent or human";
        }
        if (!non_empty_string(event.value("text", json()))) return "text: non-empty string";
    } else if (type == "end") {
        if (event.contains("reason") && !non_empty_string(event["reason"])) return "reason";
    } else if (type == "fail") {
        if (!non_empty_string(event.value("reason", json()))) return "reason: required";
    } else if (type == "transfer") {
        if (!non_empty_string(event.value("to", json()))) return "to: required";
    } else if (type == "annotate") {
        bool any = false;
        for (const char *k : {"summary", "topic"}) {
            if (!event.contains(k)) continue;
            if (!event[k].is_string()) return std::string(k) + ": string";
            any = true;
        }
        for (const char *k : {"actions_needed", "tags"}) {
            if (!event.contains(k)) continue;
            if (!string_array(event[k])) return std::string(k) + ": array of strings";
            any = true;
        }
        if (event.contains("recording_details")) {
            if (!event["recording_details"].is_object()) return "recording_details: object";
            any = true;
        }
        if (!any) return "annotate: at least one field";
    }
    return std::nullopt;
}

void ReferenceModel::put_agent(int org, Agent agent) {
    auto &list = agents_[org];
    list.erase(
        std::remove_if(list.begin(), list.end(), [&](const Agent &a) { return a.id == agent.id; }),
        list.end());
    list.push_back(std::move(agent));
}

CreatePlan ReferenceModel::plan_create(int org, const std::string &organization_id, const json &r,
                                       int64_t now) const {
    (void)now;
    (void)organization_id;
    CreatePlan plan;
    plan.org = org;
    auto refuse = [&](convo_code code) {
        plan.prediction.code = code;
        return plan;
    };
    if (!r.is_object()) return refuse(CONVO_EINVALID);
    const auto channel = channel_named(r.value("channel", std::string()));
    if (!channel) return refuse(CONVO_EINVALID);
    plan.channel = *channel;
    const json user = r.value("user_id", json());
    if (!non_empty_string(user) || (*channel == Channel::telephone && !e164(user))) {
        return refuse(CONVO_EINVALID);
    }
    const json direction = r.value("direction", json("outbound"));
    if (direction != "outbound" && direction != "inbound") return refuse(CONVO_EINVALID);
    plan.inbound = direction == "inbound";
    const int refs = static_cast<int>(r.contains("agent_id")) +
                     static_cast<int>(r.contains("agent_version_id")) +
                     static_cast<int>(r.contains("agent_config"));
    const bool by_number =
        refs == 0 && *channel == Channel::telephone && r.contains("agent_number");
    if (refs != 1 && !by_number) return refuse(CONVO_EINVALID);
    if (r.contains("version") && !r.contains("agent_id")) return refuse(CONVO_EINVALID);
    if (r.contains("agent_number") && !e164(r["agent_number"])) return refuse(CONVO_EINVALID);
    if (*channel == Channel::email && !r.contains("to_address")) return refuse(CONVO_EINVALID);
    if (r.contains("id") && !uuid(r["id"])) return refuse(CONVO_EINVALID);
    for (const char *k : {"idle_timeout_minutes", "max_open_minutes"}) {
        if (r.contains(k) && !positive_integer(r[k])) return refuse(CONVO_EINVALID);
    }

    // A repeated client id: the stored response (same organization) or a conflict.
    if (r.contains("id")) {
        const std::string id = r["id"].get<std::string>();
        plan.client_id = id;
        const auto it = by_client_id_.find(id);
        if (it != by_client_id_.end()) {
            if (conversations_.at(it->second).org != org) return refuse(CONVO_ECONFLICT);
            plan.repeat = true;
            plan.repeat_of = it->second;
            return plan;
        }
    }

    // Resolution: which version speaks, or EPRECONDITION.
    std::optional<std::string> greeting;
    bool speaks_first = true;
    const auto agents = agents_.find(org);
    const std::vector<Agent> none;
    const std::vector<Agent> &list = agents == agents_.end() ? none : agents->second;
    auto agent_named = [&](const std::string &id) -> const Agent * {
        for (const Agent &a : list) {
            if (a.id == id) return &a;
        }
        return nullptr;
    };
    auto latest = [](const Agent &a) -> const AgentVersion * {
        const AgentVersion *best = nullptr;
        for (const AgentVersion &v : a.versions) {
            if (v.published && (best == nullptr || v.version > best->version)) best = &v;
        }
        return best;
    };
    const AgentVersion *version = nullptr;
    if (r.contains("agent_id")) {
        const Agent *a = agent_named(r.value("agent_id", std::string()));
        if (a == nullptr) return refuse(CONVO_EPRECONDITION);
        const json v = r.value("version", json("latest"));
        if (v == "latest") {
            version = latest(*a);
        } else if (v.is_number_integer()) {
            for (const AgentVersion &candidate : a->versions) {
                if (candidate.version == v.get<int>() && candidate.published) version = &candidate;
            }
        } else {
            return refuse(CONVO_EINVALID);
        }
        if (version == nullptr) return refuse(CONVO_EPRECONDITION);
    } else if (r.contains("agent_version_id")) {
        for (const Agent &a : list) {
            for (const AgentVersion &v : a.versions) {
                if (v.id == r.value("agent_version_id", std::string()) && v.published) version = &v;
            }
        }
        if (version == nullptr) return refuse(CONVO_EPRECONDITION);
    } else if (r.contains("agent_config")) {
        const json &config = r["agent_config"];
        if (!config.is_object()) return refuse(CONVO_EINVALID);
        if (config.contains("greeting") && config["greeting"].is_string()) {
            greeting = config["greeting"].get<std::string>();
        }
        speaks_first = config.value("speaks_first", true);
    } else {  // telephone by agent_number
        const Agent *found = nullptr;
        for (const Agent &a : list) {
            if (a.phone_number && *a.phone_number == r["agent_number"]) found = &a;
        }
        if (found == nullptr) return refuse(CONVO_EPRECONDITION);
        version = latest(*found);
        if (version == nullptr) return refuse(CONVO_EPRECONDITION);
    }
    if (version != nullptr) {
        greeting = version->greeting;
        speaks_first = version->speaks_first;
    }

    switch (*channel) {
        case Channel::text:
            plan.initial = Status::in_progress;
            break;
        case Channel::email:
            plan.initial = Status::triggered;
            break;
        case Channel::webrtc:
            plan.initial = Status::token_created;
            break;
        case Channel::telephone:
            plan.initial = plan.inbound ? Status::ringing : Status::triggered;
            break;
    }
    if (*channel == Channel::text && speaks_first && greeting) plan.starting_message = greeting;
    const int64_t cap = options_.platform_max_open_minutes;
    if (r.contains("idle_timeout_minutes")) {
        plan.idle_minutes = std::min(r["idle_timeout_minutes"].get<int64_t>(), cap);
    }
    plan.max_open_minutes = std::min(r.value("max_open_minutes", cap), cap);
    return plan;
}

const Conversation &ReferenceModel::commit_create(const CreatePlan &plan, uint64_t key,
                                                  const std::string &id,
                                                  const std::string &organization_id,
                                                  const std::string &response, int http_status,
                                                  int64_t now, std::vector<json> &events) {
    Conversation &c = conversations_[key];
    c.key = key;
    c.id = id;
    c.org = plan.org;
    c.organization_id = organization_id;
    c.channel = plan.channel;
    c.inbound = plan.inbound;
    c.status = plan.initial;
    c.created_at = c.updated_at = now;
    c.idle_minutes = plan.idle_minutes;
    c.max_open_minutes = plan.max_open_minutes;
    c.client_id = plan.client_id;
    c.create_response = response;
    c.http_status = http_status;
    by_id_[id] = key;
    if (plan.client_id) by_client_id_[*plan.client_id] = key;

    if (c.status == Status::in_progress) c.started_at = now;
    set_deadline(c, Timer::max_open, now + c.max_open_minutes * kMsPerMinute);
    for (Timer t : {Timer::idle, Timer::ring, Timer::dial, Timer::join}) {
        if (armed_in(t, c, c.status)) {
            const int64_t span = t == Timer::idle   ? *c.idle_minutes * kMsPerMinute
                                 : t == Timer::ring ? options_.ring_ms
                                 : t == Timer::dial ? options_.dial_ms
                                                    : options_.token_ms;
            set_deadline(c, t, now + span);
        }
    }
    events.push_back(feed_event(
        c, "created", json(), name(c.status), json(), now,
        {{"channel", name(c.channel)}, {"direction", c.inbound ? "inbound" : "outbound"}}));
    if (plan.starting_message) {
        c.messages = 1;
        c.last_message = {
            {"role", "agent"}, {"text", *plan.starting_message}, {"at", format_rfc3339(now)}};
        events.push_back(feed_event(c, "message", json(), json(), json(), now,
                                    {{"role", "agent"}, {"text", *plan.starting_message}}));
    }
    return c;
}

Prediction ReferenceModel::dispatch(int org, std::optional<uint64_t> key, const json &event,
                                    int64_t now) {
    Prediction p;
    if (invalid_event(event)) {
        p.code = CONVO_EINVALID;
        return p;
    }
    const auto it = key ? conversations_.find(*key) : conversations_.end();
    if (it == conversations_.end() || it->second.org != org) {
        p.code = CONVO_ENOTFOUND;
        return p;
    }
    Conversation &c = it->second;

    // The event's time: `at` when it lies in [updated_at, now], else now.
    int64_t time = now;
    if (event.contains("at")) {
        const int64_t at = *parse_rfc3339(event["at"].get<std::string>());
        if (at >= c.updated_at && at <= now) time = at;
    }
    // A retry of an accepted event: CONVO_OK and nothing at all, not even overdue deadlines
    // ("appends nothing"; they fire at the next tick or the next new event).
    const std::string event_id = event.value("event_id", std::string());
    if (!event_id.empty() && c.event_ids.count(event_id) != 0) return p;

    // Deadlines that passed by then take effect first, recorded whatever follows.
    fire_due(c, time, p.events);

    const std::string type = event["type"].get<std::string>();

    const Rule *rule = nullptr;
    bool status_allows = false;
    for (const Rule &r : rules()) {
        if (r.event != type || !contains(r.from, c.status)) continue;
        status_allows = true;
        if (r.channels.empty() ||
            std::find(r.channels.begin(), r.channels.end(), c.channel) != r.channels.end()) {
            rule = &r;
            break;
        }
    }
    if (rule == nullptr) {
        coverage_.refused.insert({type, static_cast<int>(c.status)});
        p.code = CONVO_ECONFLICT;
        p.detail = "event '" + type + "' is not allowed in status '" + name(c.status) + "'";
        if (status_allows) *p.detail += std::string(" for channel '") + name(c.channel) + "'";
        return p;
    }

    coverage_.accepted.insert({type, static_cast<int>(c.status), static_cast<int>(c.channel)});
    if (!event_id.empty()) c.event_ids.insert(event_id);
    if (rule->to && *rule->to != c.status) {
        const Status to = *rule->to;
        std::string reason = type;
        if (terminal(to)) {
            if (type == "end") reason = event.value("reason", std::string("ended"));
            if (type == "cancel") reason = "cancelled";
            if (type == "fail") reason = event.value("reason", std::string());
            if (type == "transfer") reason = "transferred";
            // no_answer and busy: the type is the reason
        }
        if (type == "transfer") c.transferred_to = event["to"];
        change_status(c, to, time, reason, {{"event", type}}, p.events);
    }
    if (type == "message") {
        ++c.messages;
        if (event["role"] == "user") ++c.user_turns;
        c.last_message = {
            {"role", event["role"]}, {"text", event["text"]}, {"at", format_rfc3339(time)}};
        if (c.status == Status::in_progress && c.idle_minutes) {
            set_deadline(c, Timer::idle, time + *c.idle_minutes * kMsPerMinute);
        }
        p.events.push_back(feed_event(c, "message", json(), json(), json(), time,
                                      {{"role", event["role"]}, {"text", event["text"]}}));
    } else if (type == "annotate") {
        json data = json::object();
        for (const char *k : {"summary", "topic", "actions_needed", "tags", "recording_details"}) {
            if (!event.contains(k)) continue;
            data[k] = event[k];
            const std::string field = k;
            if (field == "summary") c.summary = event[k];
            if (field == "topic") c.topic = event[k];
            if (field == "actions_needed") c.actions_needed = event[k];
            if (field == "tags") c.tags = event[k];
            if (field == "recording_details") c.recording_details = event[k];
        }
        p.events.push_back(feed_event(c, "annotated", json(), json(), json(), time, data));
    }
    c.updated_at = time;
    return p;
}

std::vector<Fired> ReferenceModel::tick(int64_t now) {
    std::vector<Fired> fired;
    while (!timers_.empty() && std::get<0>(*timers_.begin()) <= now) {
        const auto [at, timer, key] = *timers_.begin();
        Conversation &c = conversations_.at(key);
        std::vector<json> events;
        fire(c, static_cast<Timer>(timer), at, events);
        for (json &e : events) fired.push_back({key, std::move(e)});
    }
    return fired;
}

std::optional<int64_t> ReferenceModel::next_deadline() const {
    if (timers_.empty()) return std::nullopt;
    return std::get<0>(*timers_.begin());
}

const Conversation *ReferenceModel::find(uint64_t key) const {
    const auto it = conversations_.find(key);
    return it == conversations_.end() ? nullptr : &it->second;
}

std::optional<uint64_t> ReferenceModel::key_of(const std::string &id) const {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    return it->second;
}

void ReferenceModel::retire(uint64_t key) {
    const auto it = conversations_.find(key);
    if (it == conversations_.end()) return;
    for (std::size_t i = 0; i < kTimers; ++i) set_deadline(it->second, static_cast<Timer>(i), {});
    by_id_.erase(it->second.id);
    if (it->second.client_id) by_client_id_.erase(*it->second.client_id);
    conversations_.erase(it);
}

json ReferenceModel::view(const Conversation &c, int64_t now) {
    json duration;
    if (c.started_at) duration = (c.ended_at.value_or(now) - *c.started_at) / kMsPerSecond;
    const auto next = c.next_deadline();
    return {
        {"id", c.id},
        {"organization_id", c.organization_id},
        {"channel", name(c.channel)},
        {"direction", c.inbound ? "inbound" : "outbound"},
        {"status", name(c.status)},
        {"end_reason", c.end_reason ? json(*c.end_reason) : json()},
        {"user_turn_count", c.user_turns},
        {"created_at", format_rfc3339(c.created_at)},
        {"updated_at", format_rfc3339(c.updated_at)},
        {"started_at", time_or_null(c.started_at)},
        {"ended_at", time_or_null(c.ended_at)},
        {"duration", duration},
        {"idle_timeout_minutes", c.idle_minutes ? json(*c.idle_minutes) : json()},
        {"max_open_minutes", c.max_open_minutes},
        {"expires_at", next ? json(format_rfc3339(next->first)) : json()},
        {"transferred_to", c.transferred_to},
        {"summary", c.summary},
        {"topic", c.topic},
        {"tags", c.tags},
        {"actions_needed", c.actions_needed},
        {"recording_details", c.recording_details},
        {"message_count", c.messages},
        {"last_message", c.last_message},
    };
}

void ReferenceModel::fire_due(Conversation &c, int64_t time, std::vector<json> &events) {
    const auto next = c.next_deadline();
    if (next && next->first <= time) {
        if (next->first == time) ++coverage_.event_on_deadline;
        fire(c, next->second, next->first, events);
    }
}

void ReferenceModel::fire(Conversation &c, Timer t, int64_t at, std::vector<json> &events) {
    const Status to = fires_to(t, c.status);
    coverage_.timers.insert({static_cast<int>(t), static_cast<int>(c.status)});
    for (std::size_t i = 0; i < kTimers; ++i) {
        if (i != static_cast<std::size_t>(t) && c.deadline[i] == at) ++coverage_.timer_ties;
    }
    c.end_reason = end_reason_of(t);
    change_status(c, to, at, *c.end_reason, {{"timer", name(t)}}, events);
    c.updated_at = at;
}

void ReferenceModel::change_status(Conversation &c, Status to, int64_t at,
                                   const std::string &reason, const json &data,
                                   std::vector<json> &events) {
    const Status before = c.status;
    events.push_back(feed_event(c, "status_changed", name(before), name(to), reason, at, data));
    c.status = to;
    if (to == Status::in_progress && !c.started_at) c.started_at = at;
    if (terminal(to)) {
        c.end_reason = reason;
        c.ended_at = at;
    }
    c.updated_at = at;
    arm_for_status(c, before, at);
}

void ReferenceModel::arm_for_status(Conversation &c, Status before, int64_t at) {
    for (std::size_t i = 0; i < kTimers; ++i) {
        const auto t = static_cast<Timer>(i);
        const bool now_armed = armed_in(t, c, c.status);
        const bool was_armed = armed_in(t, c, before) && c.deadline[i].has_value();
        if (!now_armed) {
            set_deadline(c, t, std::nullopt);
        } else if (!was_armed) {
            int64_t span = 0;
            switch (t) {
                case Timer::idle:
                    span = *c.idle_minutes * kMsPerMinute;
                    break;
                case Timer::max_open:  // armed once, at creation
                    continue;
                case Timer::ring:
                    span = options_.ring_ms;
                    break;
                case Timer::dial:
                    span = options_.dial_ms;
                    break;
                case Timer::join:
                    span = options_.token_ms;
                    break;
            }
            set_deadline(c, t, at + span);
        }
    }
}

void ReferenceModel::set_deadline(Conversation &c, Timer t, std::optional<int64_t> at) {
    auto &slot = c.deadline[static_cast<std::size_t>(t)];
    if (slot) timers_.erase({*slot, static_cast<int>(t), c.key});
    slot = at;
    if (slot) timers_.insert({*slot, static_cast<int>(t), c.key});
}

json ReferenceModel::feed_event(const Conversation &c, const char *type, json from, json to,
                                json reason, int64_t at, json data) const {
    return {{"conversation_id", c.id},
            {"organization_id", c.organization_id},
            {"type", type},
            {"from", std::move(from)},
            {"to", std::move(to)},
            {"reason", std::move(reason)},
            {"at", format_rfc3339(at)},
            {"data", std::move(data)}};
}

}  // namespace convo_cli::sim
