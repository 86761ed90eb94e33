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

const std::vector<Status> kEnded = {Status::completed, Status::failed, Status::cancelled,
                                    Status::transferred, Status::unanswered};

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
        // Issue 3: a human takes over a live conversation and hands it back; close ends any
        // open conversation (and is a no-op once ended); finalize is the ended one's wrap-up.
        {"takeover", {Status::in_progress}, std::nullopt, {}},
        {"handback", {Status::in_progress}, std::nullopt, {}},
        {"close", {Status::in_progress}, Status::completed, {}},
        {"close",
         {Status::triggered, Status::ringing, Status::token_created},
         Status::cancelled,
         {}},
        {"close", kEnded, std::nullopt, {}},
        {"finalize", kEnded, std::nullopt, {}},
    };
    return table;
}

bool contains(const std::vector<Status> &v, Status s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// The timers: what arms them (status, channel, and the phase for the two that end one).
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
        case Timer::takeover:
            return s == Status::in_progress && c.human_takeover;
        case Timer::wrap_up:
            return terminal(s) && c.wrap_up == WrapUp::pending;
    }
    return false;
}

// Where a closing timer leads.
Status fires_to(Timer t, Status from) {
    switch (t) {
        case Timer::idle:
            return Status::completed;
        case Timer::max_open:
            return from == Status::in_progress ? Status::completed : Status::unanswered;
        case Timer::ring:
        case Timer::join:
            return Status::unanswered;
        default:  // dial
            return Status::failed;
    }
}

const char *end_reason_of(Timer t) {
    static const char *const reasons[] = {"idle_timeout", "max_open_timeout", "ring_timeout",
                                          "dial_timeout", "token_expired"};
    return reasons[static_cast<int>(t)];
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

// Only `keys` (and each of the right type, checked by the caller).
bool only(const json &object, std::initializer_list<const char *> keys) {
    for (const auto &item : object.items()) {
        if (std::none_of(keys.begin(), keys.end(),
                         [&](const char *k) { return item.key() == k; })) {
            return false;
        }
    }
    return true;
}

// A template's parts: body and buttons (arrays of strings), header (string).
bool template_parts(const json &parts) {
    return (!parts.contains("body") || string_array(parts["body"])) &&
           (!parts.contains("buttons") || string_array(parts["buttons"])) &&
           (!parts.contains("header") || parts["header"].is_string());
}

// Wassist's SendMessageTemplateInput: {name, variables?: {body?, header?, buttons?, cards?}}.
bool valid_template(const json &t) {
    if (!t.is_object() || !only(t, {"name", "variables"}) ||
        !non_empty_string(t.value("name", json())))
        return false;
    if (!t.contains("variables")) return true;
    const json &v = t["variables"];
    if (!v.is_object() || !only(v, {"body", "header", "buttons", "cards"}) || !template_parts(v))
        return false;
    if (!v.contains("cards")) return true;
    if (!v["cards"].is_array()) return false;
    return std::all_of(v["cards"].begin(), v["cards"].end(), [](const json &card) {
        return card.is_object() && only(card, {"body", "header", "buttons"}) &&
               template_parts(card);
    });
}

// Seed messages: [{"role":"user"|"agent","text":non-empty}].
bool valid_seeds(const json &seeds) {
    if (!seeds.is_array()) return false;
    return std::all_of(seeds.begin(), seeds.end(), [](const json &m) {
        return m.is_object() && only(m, {"role", "text"}) &&
               (m.value("role", json()) == "user" || m.value("role", json()) == "agent") &&
               non_empty_string(m.value("text", json()));
    });
}

// The fields annotate and finalize share, each of its type; nullopt if they are right.
std::optional<std::string> annotation_error(const json &event) {
    for (const char *k : {"summary", "topic"}) {
        if (event.contains(k) && !event[k].is_string()) return std::string(k) + ": string";
    }
    for (const char *k : {"actions_needed", "tags"}) {
        if (event.contains(k) && !string_array(event[k]))
            return std::string(k) + ": array of strings";
    }
    return std::nullopt;
}

const char *const kTakenOver =
    "role: a human has taken over; agent messages are refused until handback or the takeover "
    "timer ends it";

constexpr int64_t kWindowMs = 24 * kMsPerHour;

}  // namespace

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> named(const char *const (&names)[N], const std::string &s) {
    for (std::size_t i = 0; i < N; ++i) {
        if (s == names[i]) return static_cast<Enum>(i);
    }
    return std::nullopt;
}

const char *const kChannelNames[] = {"telephone", "webrtc", "email", "text", "sms", "whatsapp"};
const char *const kStatusNames[] = {"triggered",   "ringing",     "token_created",
                                    "in_progress", "completed",   "failed",
                                    "cancelled",   "transferred", "unanswered"};
const char *const kTimerNames[] = {"idle", "max_open", "ring",   "dial",
                                   "join", "takeover", "wrap_up"};

}  // namespace

const char *name(Channel c) {
    return kChannelNames[static_cast<int>(c)];
}
const char *name(Status s) {
    return kStatusNames[static_cast<int>(s)];
}
const char *name(Timer t) {
    return kTimerNames[static_cast<int>(t)];
}
std::optional<Channel> channel_named(const std::string &s) {
    return named<Channel>(kChannelNames, s);
}
std::optional<Status> status_named(const std::string &s) {
    return named<Status>(kStatusNames, s);
}
std::optional<Timer> timer_named(const std::string &s) {
    return named<Timer>(kTimerNames, s);
}

bool terminal(Status s) {
    return !contains(kOpen, s);
}

bool reachable(Status s, Channel ch) {
    const bool chat = ch == Channel::text || ch == Channel::sms || ch == Channel::whatsapp;
    switch (s) {
        case Status::triggered:
            return ch == Channel::telephone || ch == Channel::email;
        case Status::ringing:
            return ch == Channel::telephone;
        case Status::token_created:
            return ch == Channel::webrtc;
        case Status::cancelled:
        case Status::unanswered:  // chats start in_progress: neither cancel nor max-open
            return !chat;         // leads there
        default:
            return true;
    }
}

std::optional<std::pair<int64_t, Timer>> Conversation::next_deadline(bool closing) const {
    std::optional<std::pair<int64_t, Timer>> best;
    for (std::size_t i = 0; i < (closing ? kClosingTimers : kTimers); ++i) {
        if (deadline[i] && (!best || *deadline[i] < best->first)) {
            best = std::make_pair(*deadline[i], static_cast<Timer>(i));
        }
    }
    return best;
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
        {"handback", {}},
        {"message", {"role", "text", "template"}},
        {"end", {"reason"}},
        {"fail", {"reason"}},
        {"transfer", {"to"}},
        {"annotate", {"summary", "topic", "actions_needed", "tags", "recording_details"}},
        {"takeover", {"minutes"}},
        {"close", {"skip_notifications"}},
        {"finalize", {"summary", "topic", "actions_needed", "tags"}},
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
        if (event.contains("template")) {
            if (event.contains("text")) return "text, template: one, not both";
            if (role == "user") return "template: agent and human only";
            if (!valid_template(event["template"])) return "template: {name, variables?}";
        } else if (!non_empty_string(event.value("text", json()))) {
            return "text: non-empty string";
        }
    } else if (type == "end") {
        if (event.contains("reason") && !non_empty_string(event["reason"])) return "reason";
    } else if (type == "fail") {
        if (!non_empty_string(event.value("reason", json()))) return "reason: required";
    } else if (type == "transfer") {
        if (!non_empty_string(event.value("to", json()))) return "to: required";
    } else if (type == "takeover") {
        if (event.contains("minutes") &&
            (!positive_integer(event["minutes"]) || event["minutes"].get<int64_t>() > INT32_MAX)) {
            return "minutes: integer >= 1";
        }
    } else if (type == "close") {
        if (event.contains("skip_notifications") && !event["skip_notifications"].is_boolean())
            return "skip_notifications: boolean";
    } else if (type == "annotate" || type == "finalize") {
        if (auto error = annotation_error(event)) return error;
        if (event.contains("recording_details") && !event["recording_details"].is_object())
            return "recording_details: object";
        // annotate needs at least one field; finalize may come bare.
        if (type == "annotate" && event.size() == 1 + event.count("event_id") + event.count("at"))
            return "annotate: at least one field";
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

namespace {

// The create request's own rules (CONVO_EINVALID when broken).
bool valid_create(const json &r, Channel channel) {
    const bool messaging = channel == Channel::sms || channel == Channel::whatsapp;
    const json user = r.value("user_id", json());
    if (!non_empty_string(user)) return false;
    if ((channel == Channel::telephone || messaging) && !e164(user)) return false;
    if (r.contains("from_number") && (!messaging || !e164(r["from_number"]))) return false;
    if (r.contains("messages") && !valid_seeds(r["messages"])) return false;
    if (r.contains("tags") && !string_array(r["tags"])) return false;
    if (r.contains("message")) {
        const json &m = r["message"];
        if (channel != Channel::whatsapp || !m.is_object() || !only(m, {"type", "template"}) ||
            m.value("type", json()) != "template" || !valid_template(m.value("template", json())))
            return false;
    }
    const json direction = r.value("direction", json("outbound"));
    if (direction != "outbound" && direction != "inbound") return false;
    const int refs = static_cast<int>(r.contains("agent_id")) +
                     static_cast<int>(r.contains("agent_version_id")) +
                     static_cast<int>(r.contains("agent_config"));
    const bool by_number = refs == 0 && channel == Channel::telephone && r.contains("agent_number");
    if (refs != 1 && !by_number) return false;
    if (r.contains("version") && !r.contains("agent_id")) return false;
    if (r.contains("agent_number") && !e164(r["agent_number"])) return false;
    if (channel == Channel::email && !r.contains("to_address")) return false;
    if (r.contains("id") && !uuid(r["id"])) return false;
    for (const char *k : {"idle_timeout_minutes", "max_open_minutes"}) {
        if (r.contains(k) && !positive_integer(r[k])) return false;
    }
    return true;
}

Status initial_status(Channel channel, bool inbound) {
    switch (channel) {
        case Channel::email:
            return Status::triggered;
        case Channel::webrtc:
            return Status::token_created;
        case Channel::telephone:
            return inbound ? Status::ringing : Status::triggered;
        default:  // text, sms, whatsapp
            return Status::in_progress;
    }
}

}  // namespace

CreatePlan ReferenceModel::plan_create(int org, const std::string &organization_id, const json &r,
                                       int64_t now) const {
    CreatePlan plan;
    plan.org = org;
    auto refuse = [&](convo_code code) {
        plan.prediction.code = code;
        return plan;
    };
    if (!r.is_object()) return refuse(CONVO_EINVALID);
    const auto channel = channel_named(r.value("channel", std::string()));
    if (!channel || !valid_create(r, *channel)) return refuse(CONVO_EINVALID);
    plan.channel = *channel;
    plan.inbound = r.value("direction", std::string("outbound")) == "inbound";
    plan.user_id = r["user_id"].get<std::string>();

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
    const Agent *agent = nullptr;
    const AgentVersion *version = nullptr;
    if (r.contains("agent_id")) {
        agent = agent_named(r.value("agent_id", std::string()));
        if (agent == nullptr) return refuse(CONVO_EPRECONDITION);
        const json v = r.value("version", json("latest"));
        if (v == "latest") {
            version = latest(*agent);
        } else if (v.is_number_integer()) {
            for (const AgentVersion &candidate : agent->versions) {
                if (candidate.version == v.get<int>() && candidate.published) version = &candidate;
            }
        } else {
            return refuse(CONVO_EINVALID);
        }
    } else if (r.contains("agent_version_id")) {
        for (const Agent &a : list) {
            for (const AgentVersion &v : a.versions) {
                if (v.id == r.value("agent_version_id", std::string()) && v.published) {
                    version = &v;
                    agent = &a;
                }
            }
        }
    } else if (r.contains("agent_config")) {
        const json &config = r["agent_config"];
        if (!config.is_object()) return refuse(CONVO_EINVALID);
        if (config.contains("greeting") && config["greeting"].is_string()) {
            greeting = config["greeting"].get<std::string>();
        }
        speaks_first = config.value("speaks_first", true);
    } else {  // telephone by agent_number
        for (const Agent &a : list) {
            if (a.phone_number && *a.phone_number == r["agent_number"]) agent = &a;
        }
        if (agent == nullptr) return refuse(CONVO_EPRECONDITION);
        version = latest(*agent);
    }
    if (agent != nullptr && version == nullptr) return refuse(CONVO_EPRECONDITION);
    if (r.contains("agent_version_id") && version == nullptr) return refuse(CONVO_EPRECONDITION);
    if (version != nullptr) {
        greeting = version->greeting;
        speaks_first = version->speaks_first;
    }

    // sms and whatsapp: the business number, given or the agent's.
    if (*channel == Channel::sms || *channel == Channel::whatsapp) {
        if (r.contains("from_number")) {
            plan.from_number = r["from_number"].get<std::string>();
        } else if (agent != nullptr) {
            plan.from_number = agent->phone_number;
        }
    }
    const bool has_template = r.contains("message");
    // Outbound WhatsApp with the contact's window closed must open with a template.
    if (*channel == Channel::whatsapp && !plan.inbound && !has_template) {
        const auto w =
            windows_.find({organization_id, plan.from_number.value_or(""), plan.user_id});
        if (w == windows_.end() || w->second <= now) {
            plan.prediction.detail_field = "message";
            count("outbound whatsapp creates refused, window closed (400)");
            return refuse(CONVO_EPRECONDITION);
        }
    }

    plan.initial = initial_status(*channel, plan.inbound);
    for (const json &seed : r.value("messages", json::array())) plan.opening.push_back(seed);
    plan.seeds = plan.opening.size();
    const bool chat = plan.initial == Status::in_progress;
    if (has_template) {
        plan.opening.push_back({{"role", "agent"}, {"template", r["message"]["template"]}});
    } else if (chat && speaks_first && greeting && !greeting->empty()) {
        plan.starting_message = greeting;
        plan.opening.push_back({{"role", "agent"}, {"text", *greeting}});
    }
    plan.tags = r.value("tags", json::array());
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
    c.user_id = plan.user_id;
    c.from_number = plan.from_number;
    c.status = plan.initial;
    c.created_at = c.updated_at = now;
    c.idle_minutes = plan.idle_minutes;
    c.max_open_minutes = plan.max_open_minutes;
    c.tags = plan.tags;
    c.client_id = plan.client_id;
    c.create_response = response;
    c.http_status = http_status;
    by_id_[id] = key;
    if (plan.client_id) by_client_id_[*plan.client_id] = key;

    if (c.status == Status::in_progress) c.started_at = now;
    arm_for_status(c, now);
    events.push_back(feed_event(
        c, "created", json(), name(c.status), json(), now,
        {{"channel", name(c.channel)}, {"direction", c.inbound ? "inbound" : "outbound"}}));
    // Seed messages, then the template or greeting, each at the creation time. Seeds are
    // stored as they are: they count as turns but open no WhatsApp window.
    for (const json &m : plan.opening) append_message(c, m, now, events);
    if (plan.seeds > 0) count("creates with seed messages");
    if (!plan.opening.empty() && plan.opening.back().contains("template"))
        count("whatsapp creates opening with a template");
    return c;
}

void ReferenceModel::append_message(Conversation &c, const json &message, int64_t at,
                                    std::vector<json> &events) {
    const bool is_template = message.contains("template");
    json data = {{"role", message["role"]}};
    c.last_message = {{"role", message["role"]},
                      {"text", is_template ? json() : message["text"]},
                      {"at", format_rfc3339(at)}};
    if (is_template) {
        data["template"] = c.last_message["template"] = message["template"];
    } else {
        data["text"] = message["text"];
    }
    ++c.messages;
    if (message["role"] == "user") ++c.user_turns;
    events.push_back(feed_event(c, "message", json(), json(), json(), at, std::move(data)));
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
    const std::size_t fired = p.events.size();

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
    if (refused_by_rules(c, event, time, p)) return p;

    coverage_.accepted.insert({type, static_cast<int>(c.status), static_cast<int>(c.channel)});
    apply(c, event, rule->to, time, p.events);
    if (p.events.size() == fired) {
        // Nothing to do (a handback without takeover, a close once ended, a bare finalize
        // once done): CONVO_OK, and the conversation stays exactly as it was.
        count(type + " with nothing to do");
    } else {
        c.updated_at = time;
    }
    // Accepted, so a repeat of its event_id is "CONVO_OK ... appends nothing" from now on,
    // even when it had nothing to do.
    if (!event_id.empty()) c.event_ids.insert(event_id);
    return p;
}

bool ReferenceModel::refused_by_rules(const Conversation &c, const json &event, int64_t time,
                                      Prediction &p) {
    if (event["type"] != "message") return false;
    const bool is_template = event.contains("template");
    const std::string role = event["role"].get<std::string>();
    if (is_template && c.channel != Channel::whatsapp) {
        count("template messages off whatsapp refused (422)");
        p.code = CONVO_EINVALID;
        p.detail_field = "template";
        return true;
    }
    if (role == "agent" && c.human_takeover) {
        count("agent messages refused during takeover (409)");
        p.code = CONVO_ECONFLICT;
        p.detail = kTakenOver;
        return true;
    }
    if (c.channel == Channel::whatsapp && role != "user" && !is_template) {
        const auto w = window(c);
        if (!w || *w <= time) {
            count("free-form " + role + " messages refused outside the window (400)");
            p.code = CONVO_EPRECONDITION;
            p.detail_field = "text";
            return true;
        }
        count("free-form business messages inside the window");
    }
    if (is_template) count("template messages");
    if (role == "human" && c.human_takeover) count("human messages during takeover");
    return false;
}

void ReferenceModel::apply(Conversation &c, const json &event, std::optional<Status> to,
                           int64_t time, std::vector<json> &events) {
    const std::string type = event["type"].get<std::string>();
    if (to && *to != c.status) {
        std::string reason = type;
        if (terminal(*to)) {
            if (type == "end") reason = event.value("reason", std::string("ended"));
            if (type == "cancel") reason = "cancelled";
            if (type == "fail") reason = event.value("reason", std::string());
            if (type == "transfer") reason = "transferred";
            if (type == "close") reason = "closed";
            // no_answer and busy: the type is the reason
        }
        if (type == "transfer") c.transferred_to = event["to"];
        json data = {{"event", type}};
        if (event.contains("skip_notifications")) {
            data["skip_notifications"] = event["skip_notifications"];
        }
        change_status(c, *to, time, reason, data, events);
    }
    // The host's fields (annotate, finalize): recorded, and the event's data holds exactly them.
    auto record = [&](const char *feed_type) {
        json data = json::object();
        for (const char *k : {"summary", "topic", "actions_needed", "tags", "recording_details"}) {
            if (!event.contains(k)) continue;
            data[k] = event[k];
            const std::string field = k;
            json &slot = field == "summary"          ? c.summary
                         : field == "topic"          ? c.topic
                         : field == "actions_needed" ? c.actions_needed
                         : field == "tags"           ? c.tags
                                                     : c.recording_details;
            slot = event[k];
        }
        if (std::string(feed_type) == "annotated" && type == "finalize" && data.empty()) return;
        events.push_back(feed_event(c, feed_type, json(), json(), json(), time, data));
    };
    if (type == "message") {
        // Every user message on whatsapp opens the contact's window, or keeps it open, 24 h.
        if (c.channel == Channel::whatsapp && event["role"] == "user") {
            int64_t &expiry = windows_.try_emplace(c.contact(), time).first->second;
            expiry = std::max(expiry, time + kWindowMs);
        }
        append_message(c, event, time, events);
        if (c.status == Status::in_progress && c.idle_minutes) {
            set_deadline(c, Timer::idle, time + *c.idle_minutes * kMsPerMinute);
        }
    } else if (type == "annotate") {
        record("annotated");
    } else if (type == "finalize") {
        const bool pending = c.wrap_up == WrapUp::pending;
        if (pending) {
            c.wrap_up = WrapUp::done;
            arm_for_status(c, time);
            count("finalize before the wrap-up timer");
        }
        if (!pending) count("finalize once wrapped up");
        record(pending ? "finalized" : "annotated");
    } else if (type == "takeover") {
        if (c.human_takeover) count("takeover again (re-armed)");
        c.human_takeover = true;
        c.takeover_minutes = event.value("minutes", int64_t{10});
        set_deadline(c, Timer::takeover, time + length(c, Timer::takeover));
        events.push_back(
            feed_event(c, "takeover", json(), json(), json(), time,
                       {{"minutes", c.takeover_minutes},
                        {"until", time_or_null(c.deadline[static_cast<int>(Timer::takeover)])}}));
    } else if (type == "handback" && c.human_takeover) {
        c.human_takeover = false;
        arm_for_status(c, time);
        events.push_back(
            feed_event(c, "handback", json(), json(), json(), time, {{"by", "handback"}}));
    }
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
    if (++retired_ % 512 == 0) prune_windows();
}

// A window that closed before the oldest live conversation began can matter no more: every
// later event time is past it (so it reads as closed), and a new user message sets
// time + 24 h, which is later. Forgetting it keeps the model's memory bounded.
void ReferenceModel::prune_windows() {
    int64_t oldest = INT64_MAX;
    for (const auto &[key, c] : conversations_) oldest = std::min(oldest, c.created_at);
    for (auto w = windows_.begin(); w != windows_.end();) {
        w = w->second < oldest ? windows_.erase(w) : std::next(w);
    }
}

std::optional<int64_t> ReferenceModel::window(const Conversation &c) const {
    const auto w = windows_.find(c.contact());
    if (w == windows_.end()) return std::nullopt;
    return w->second;
}

json ReferenceModel::view(const Conversation &c, int64_t now) const {
    json duration;
    if (c.started_at) duration = (c.ended_at.value_or(now) - *c.started_at) / kMsPerSecond;
    const auto expires = c.next_deadline(true);
    // whatsapp only: the contact's window as of now; (null, 0) once closed.
    json window_expires, window_remaining;
    if (c.channel == Channel::whatsapp) {
        const auto w = window(c);
        const bool open = w && *w > now;
        window_expires = open ? json(format_rfc3339(*w)) : json();
        window_remaining = open ? (*w - now) / kMsPerSecond : 0;
    }
    static const char *const wrap_up_names[] = {nullptr, "pending", "done"};
    const char *wrap_up = wrap_up_names[static_cast<int>(c.wrap_up)];
    return {
        {"id", c.id},
        {"organization_id", c.organization_id},
        {"channel", name(c.channel)},
        {"direction", c.inbound ? "inbound" : "outbound"},
        {"user_id", c.user_id},
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
        {"expires_at", expires ? json(format_rfc3339(expires->first)) : json()},
        {"transferred_to", c.transferred_to},
        {"summary", c.summary},
        {"topic", c.topic},
        {"tags", c.tags},
        {"actions_needed", c.actions_needed},
        {"recording_details", c.recording_details},
        {"from_number", c.from_number ? json(*c.from_number) : json()},
        {"human_takeover", c.human_takeover},
        {"human_takeover_until", time_or_null(c.deadline[static_cast<int>(Timer::takeover)])},
        {"wrap_up", wrap_up != nullptr ? json(wrap_up) : json()},
        {"chat_window_expires_at", window_expires},
        {"chat_window_remaining_seconds", window_remaining},
        {"message_count", c.messages},
        {"last_message", c.last_message},
    };
}

void ReferenceModel::fire_due(Conversation &c, int64_t time, std::vector<json> &events) {
    for (auto next = c.next_deadline(); next && next->first <= time; next = c.next_deadline()) {
        if (next->first == time) ++coverage_.event_on_deadline;
        fire(c, next->second, next->first, events);
    }
}

void ReferenceModel::fire(Conversation &c, Timer t, int64_t at, std::vector<json> &events) {
    coverage_.timers.insert({static_cast<int>(t), static_cast<int>(c.status)});
    for (std::size_t i = 0; i < kTimers; ++i) {
        if (i != static_cast<std::size_t>(t) && c.deadline[i] == at) ++coverage_.timer_ties;
    }
    const json data = {{"timer", name(t)}};
    set_deadline(c, t, std::nullopt);
    if (t == Timer::takeover) {  // the human's time is up: handed back, status unchanged
        c.human_takeover = false;
        events.push_back(feed_event(c, "handback", json(), json(), json(), at, data));
    } else if (t == Timer::wrap_up) {  // the host did not finalize in time
        c.wrap_up = WrapUp::done;
        events.push_back(feed_event(c, "finalized", json(), json(), json(), at, data));
    } else {
        change_status(c, fires_to(t, c.status), at, end_reason_of(t), data, events);
    }
    c.updated_at = at;
    arm_for_status(c, at);
}

void ReferenceModel::change_status(Conversation &c, Status to, int64_t at,
                                   const std::string &reason, const json &data,
                                   std::vector<json> &events) {
    events.push_back(feed_event(c, "status_changed", name(c.status), name(to), reason, at, data));
    c.status = to;
    if (to == Status::in_progress && !c.started_at) c.started_at = at;
    if (terminal(to)) {
        // Ended: the takeover (if any) ends with it, silently; the wrap-up is pending.
        c.end_reason = reason;
        c.ended_at = at;
        c.human_takeover = false;
        c.wrap_up = WrapUp::pending;
    }
    c.updated_at = at;
    arm_for_status(c, at);
}

int64_t ReferenceModel::length(const Conversation &c, Timer t) const {
    switch (t) {
        case Timer::idle:
            return *c.idle_minutes * kMsPerMinute;
        case Timer::max_open:
            return c.max_open_minutes * kMsPerMinute;
        case Timer::ring:
            return options_.ring_ms;
        case Timer::dial:
            return options_.dial_ms;
        case Timer::join:
            return options_.token_ms;
        case Timer::takeover:
            return c.takeover_minutes * kMsPerMinute;
        case Timer::wrap_up:
            return options_.wrap_up_ms;
    }
    return 0;
}

// Arms the timers the conversation's state calls for (keeping those already running) and
// clears the others.
void ReferenceModel::arm_for_status(Conversation &c, int64_t at) {
    for (std::size_t i = 0; i < kTimers; ++i) {
        const auto t = static_cast<Timer>(i);
        if (!armed_in(t, c, c.status)) {
            set_deadline(c, t, std::nullopt);
        } else if (!c.deadline[i]) {
            set_deadline(c, t, at + length(c, t));
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
