#include "requests.h"

#include <cstring>
#include <initializer_list>

#include "ids.h"

namespace convo {
namespace {

constexpr int64_t kMaxInt = 1000000000;  // bounds every count of minutes/seconds/items
constexpr int kMaxDepth = 64;             // deeper JSON is refused before parsing
constexpr size_t kMaxKeyShown = 64;       // an unknown key is quoted in errors up to this length

// An unknown key as an error names it: JSON-escaped (a key may hold NUL or control characters,
// and the message is a C string) and cut at a character boundary when long.
std::string printable_key(const std::string &key) {
    std::string shown = key;
    if (shown.size() > kMaxKeyShown) {
        size_t end = kMaxKeyShown;
        while (end > 0 && (static_cast<unsigned char>(shown[end]) & 0xC0) == 0x80) --end;
        shown.resize(end);
    }
    std::string escaped = Json(shown).dump();
    escaped = escaped.substr(1, escaped.size() - 2);
    return shown.size() < key.size() ? escaped + "..." : escaped;
}

// Reads the fields of one JSON object, naming them with `prefix` in errors
// ("versions[2]." for nested objects). JSON null counts as absent.
class Fields {
public:
    Fields(const Json &obj, const Limits &limits, std::string prefix = "")
        : obj_(obj), limits_(limits), prefix_(std::move(prefix)) {}

    Fields nested(const Json &obj, std::string prefix) const { return Fields(obj, limits_, std::move(prefix)); }

    std::string name(std::string_view key) const { return prefix_ + std::string(key); }

    Outcome only(std::initializer_list<std::string_view> known) const {
        for (auto it = obj_.begin(); it != obj_.end(); ++it) {
            bool ok = false;
            for (std::string_view k : known) ok = ok || k == it.key();
            if (!ok) return Outcome::invalid(name(printable_key(it.key())) + ": unknown field");
        }
        return Outcome::ok();
    }

    const Json *find(std::string_view key) const {
        auto it = obj_.find(std::string(key));
        return it == obj_.end() || it->is_null() ? nullptr : &*it;
    }
    bool has(std::string_view key) const { return find(key) != nullptr; }

    // An identifier-sized string (at most kMaxIdentifierBytes).
    Outcome string(std::string_view key, std::optional<std::string> *out,
                   bool nonempty = false) const {
        return bounded_string(key, out, nonempty, kMaxIdentifierBytes, "the limit for identifiers");
    }

    // Free text (at most the max_message_bytes limit).
    Outcome text(std::string_view key, std::optional<std::string> *out, bool nonempty = false) const {
        return bounded_string(key, out, nonempty, size_t(limits_.max_message_bytes), "max_message_bytes");
    }

    Outcome bounded_string(std::string_view key, std::optional<std::string> *out, bool nonempty,
                           size_t max, const char *limit_name) const {
        const Json *j = find(key);
        if (j == nullptr) return Outcome::ok();
        if (!j->is_string()) return Outcome::invalid(name(key) + ": must be a string");
        const std::string &v = j->get_ref<const std::string &>();
        if (nonempty && v.empty()) return Outcome::invalid(name(key) + ": must not be empty");
        if (v.size() > max) {
            return Outcome::invalid(name(key) + ": longer than " + std::to_string(max) + " bytes (" +
                                    limit_name + ")");
        }
        *out = v;
        return Outcome::ok();
    }

    Outcome required_string(std::string_view key, std::string *out, bool free_text = false) const {
        if (!has(key)) return Outcome::invalid(name(key) + ": is required");
        std::optional<std::string> s;
        CONVO_TRY(free_text ? text(key, &s, true) : string(key, &s, true));
        *out = *s;
        return Outcome::ok();
    }

    Outcome integer(std::string_view key, std::optional<int64_t> *out, int64_t min = 1,
                    int64_t max = kMaxInt) const {
        const Json *j = find(key);
        if (j == nullptr) return Outcome::ok();
        bool in_range = j->is_number_integer() &&
                        (j->is_number_unsigned() ? j->get<uint64_t>() <= uint64_t(max)
                                                 : j->get<int64_t>() >= min &&
                                                       j->get<int64_t>() <= max);
        if (!in_range || (j->is_number_unsigned() && j->get<uint64_t>() < uint64_t(min))) {
            return Outcome::invalid(name(key) + ": must be an integer from " + std::to_string(min) +
                                    " to " + std::to_string(max));
        }
        *out = j->get<int64_t>();
        return Outcome::ok();
    }

    Outcome int32(std::string_view key, std::optional<int> *out) const {
        std::optional<int64_t> v;
        CONVO_TRY(integer(key, &v));
        if (v) *out = static_cast<int>(*v);
        return Outcome::ok();
    }

    Outcome boolean(std::string_view key, std::optional<bool> *out) const {
        const Json *j = find(key);
        if (j == nullptr) return Outcome::ok();
        if (!j->is_boolean()) return Outcome::invalid(name(key) + ": must be a boolean");
        *out = j->get<bool>();
        return Outcome::ok();
    }

    Outcome object(std::string_view key, std::optional<Json> *out) const {
        const Json *j = find(key);
        if (j == nullptr) return Outcome::ok();
        if (!j->is_object()) return Outcome::invalid(name(key) + ": must be an object");
        if (int64_t(j->dump().size()) > limits_.max_metadata_bytes) {
            return Outcome::invalid(name(key) + ": larger than " +
                                    std::to_string(limits_.max_metadata_bytes) +
                                    " bytes as JSON (max_metadata_bytes)");
        }
        *out = *j;
        return Outcome::ok();
    }

    Outcome string_array(std::string_view key, std::optional<Json> *out) const {
        const Json *j = find(key);
        if (j == nullptr) return Outcome::ok();
        bool ok = j->is_array();
        for (size_t i = 0; ok && i < j->size(); ++i) ok = (*j)[i].is_string();
        if (!ok) return Outcome::invalid(name(key) + ": must be an array of strings");
        if (j->size() > kMaxArrayItems) {
            return Outcome::invalid(name(key) + ": more than " + std::to_string(kMaxArrayItems) + " items");
        }
        for (const Json &item : *j) {
            if (int64_t(item.get_ref<const std::string &>().size()) > limits_.max_message_bytes) {
                return Outcome::invalid(name(key) + ": an item is longer than " +
                                        std::to_string(limits_.max_message_bytes) +
                                        " bytes (max_message_bytes)");
            }
        }
        *out = *j;
        return Outcome::ok();
    }

    Outcome time(std::string_view key, std::optional<TimeMs> *out) const {
        std::optional<std::string> s;
        CONVO_TRY(string(key, &s));
        if (!s) return Outcome::ok();
        *out = parse_time(*s);
        if (!*out) return Outcome::invalid(name(key) + ": must be an RFC 3339 date-time in " + kTimeRange);
        return Outcome::ok();
    }

    // A string that must be one of `names` (as parsed by `from_name`).
    template <typename Enum, typename FromName>
    Outcome choice(std::string_view key, std::optional<Enum> *out, FromName from_name,
                   const char *names) const {
        std::optional<std::string> s;
        CONVO_TRY(string(key, &s));
        if (!s) return Outcome::ok();
        *out = from_name(*s);
        if (!*out) return Outcome::invalid(name(key) + ": must be one of " + names);
        return Outcome::ok();
    }

    Outcome checked(std::string_view key, std::optional<std::string> *out, bool (*rule)(std::string_view),
                    const char *what) const {
        CONVO_TRY(string(key, out));
        if (*out && !rule(**out)) return Outcome::invalid(name(key) + ": must be " + what);
        return Outcome::ok();
    }

private:
    const Json &obj_;
    const Limits &limits_;
    std::string prefix_;
};

const char *const kChannels = "telephone, webrtc, email, text, sms, whatsapp";

bool needs_phone_number(Channel c) {
    return c == Channel::telephone || c == Channel::sms || c == Channel::whatsapp;
}

// Each object of the array `key` (at most kMaxArrayItems), read by `item` with its own Fields.
template <typename Item>
Outcome object_array(const Json &array, const std::string &key, const Limits &limits, Item item) {
    if (!array.is_array()) return Outcome::invalid(key + ": must be an array of objects");
    if (array.size() > kMaxArrayItems) {
        return Outcome::invalid(key + ": more than " + std::to_string(kMaxArrayItems) + " items");
    }
    for (size_t i = 0; i < array.size(); ++i) {
        const std::string at = key + "[" + std::to_string(i) + "]";
        if (!array[i].is_object()) return Outcome::invalid(at + ": must be an object");
        CONVO_TRY(item(Fields(array[i], limits, at + ".")));
    }
    return Outcome::ok();
}

// Wassist's SendMessageTemplateInput: {name, variables?: {body?, header?, buttons?, cards?}},
// each card {body?, header?, buttons?}.
Outcome parse_template(const Json &j, const std::string &key, const Limits &limits, Json *out) {
    if (!j.is_object()) return Outcome::invalid(key + ": must be an object");
    Fields f(j, limits, key + ".");
    CONVO_TRY(f.only({"name", "variables"}));
    std::string name;
    CONVO_TRY(f.required_string("name", &name));
    auto parts = [](const Fields &v) {
        std::optional<Json> list;
        std::optional<std::string> header;
        CONVO_TRY(v.string_array("body", &list));
        CONVO_TRY(v.text("header", &header));
        CONVO_TRY(v.string_array("buttons", &list));
        return Outcome::ok();
    };
    if (const Json *vars = f.find("variables")) {
        if (!vars->is_object()) return Outcome::invalid(key + ".variables: must be an object");
        Fields v(*vars, limits, key + ".variables.");
        CONVO_TRY(v.only({"body", "header", "buttons", "cards"}));
        CONVO_TRY(parts(v));
        if (const Json *cards = v.find("cards")) {
            CONVO_TRY(object_array(*cards, key + ".variables.cards", limits, [&](const Fields &card) {
                CONVO_TRY(card.only({"body", "header", "buttons"}));
                return parts(card);
            }));
        }
    }
    if (int64_t(j.dump().size()) > limits.max_metadata_bytes) {
        return Outcome::invalid(key + ": larger than " + std::to_string(limits.max_metadata_bytes) +
                                " bytes as JSON (max_metadata_bytes)");
    }
    *out = j;
    return Outcome::ok();
}
const char *const kDirections = "outbound, inbound";
const char *const kStatuses =
    "token_created, triggered, ringing, in_progress, completed, failed, cancelled, transferred, "
    "unanswered";

bool too_deep(std::string_view text) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxDepth) return true;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return false;
}

// The version fields shared by agent versions and inline agent_config.
Outcome parse_version_fields(const Fields &f, AgentVersion *v) {
    std::optional<bool> published, speaks_first;
    CONVO_TRY(f.boolean("published", &published));
    CONVO_TRY(f.text("greeting", &v->greeting));
    CONVO_TRY(f.boolean("speaks_first", &speaks_first));
    CONVO_TRY(f.text("default_subject", &v->default_subject));
    std::optional<Json> caps;
    CONVO_TRY(f.object("capabilities", &caps));
    if (caps) {
        Fields cf = f.nested(*caps, f.name("capabilities."));
        CONVO_TRY(cf.only({"supportsVideoInput", "supportsScreenShare"}));
        std::optional<bool> video, screen;
        CONVO_TRY(cf.boolean("supportsVideoInput", &video));
        CONVO_TRY(cf.boolean("supportsScreenShare", &screen));
        v->supports_video_input = video.value_or(false);
        v->supports_screen_share = screen.value_or(false);
    }
    v->published = published.value_or(false);
    v->speaks_first = speaks_first.value_or(true);
    return Outcome::ok();
}

}  // namespace

Outcome parse_object(std::string_view text, const char *what, int64_t max_bytes, Json *out) {
    if (int64_t(text.size()) > max_bytes) {
        return Outcome::invalid(std::string(what) + ": larger than " + std::to_string(max_bytes) +
                                " bytes (max_request_bytes)");
    }
    if (too_deep(text)) {
        return Outcome::invalid(std::string(what) + ": JSON nested deeper than " +
                                std::to_string(kMaxDepth) + " levels");
    }
    try {
        *out = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error &e) {
        std::string detail = e.what();
        size_t pos = detail.find("] ");
        if (pos != std::string::npos) detail = detail.substr(pos + 2);
        return Outcome::invalid(std::string(what) + ": not valid JSON: " + detail);
    }
    if (!out->is_object()) return Outcome::invalid(std::string(what) + ": must be a JSON object");
    return Outcome::ok();
}

std::string canonical_json(const Json &j) { return nlohmann::json(j).dump(); }

Outcome parse_options(const char *text, Options *out) {
    Options o;
    Json j = Json::object();
    if (text != nullptr) CONVO_TRY(parse_object(text, "options", INT64_MAX, &j));
    Fields f(j, o.limits);
    CONVO_TRY(f.only({"path", "clock", "start", "synchronous", "platform_max_open_minutes",
                      "ring_timeout_seconds", "dial_timeout_seconds", "token_ttl_seconds",
                      "webrtc_url", "max_open_per_organization", "timer_thread", "log_level",
                      "max_request_bytes", "max_message_bytes", "max_metadata_bytes", "seed",
                      "wrap_up_timeout_seconds"}));
    std::optional<std::string> path, clock, synchronous, url, level;
    CONVO_TRY(f.bounded_string("path", &path, true, kMaxPathBytes, "the limit for paths"));
    CONVO_TRY(f.string("clock", &clock));
    if (clock && *clock != "system" && *clock != "manual") {
        return Outcome::invalid("clock: must be one of system, manual");
    }
    CONVO_TRY(f.time("start", &o.start));
    CONVO_TRY(f.string("synchronous", &synchronous));
    if (synchronous && *synchronous != "full" && *synchronous != "normal") {
        return Outcome::invalid("synchronous: must be one of full, normal");
    }
    std::optional<int> max_open, ring, dial, ttl, wrap_up;
    CONVO_TRY(f.int32("platform_max_open_minutes", &max_open));
    CONVO_TRY(f.int32("ring_timeout_seconds", &ring));
    CONVO_TRY(f.int32("dial_timeout_seconds", &dial));
    CONVO_TRY(f.int32("token_ttl_seconds", &ttl));
    CONVO_TRY(f.int32("wrap_up_timeout_seconds", &wrap_up));
    CONVO_TRY(f.string("webrtc_url", &url, true));
    CONVO_TRY(f.integer("max_open_per_organization", &o.max_open_per_organization, 1,
                        INT64_MAX));
    std::optional<int64_t> max_request, max_message, max_metadata;
    CONVO_TRY(f.integer("max_request_bytes", &max_request, 1024, int64_t(1) << 30));
    CONVO_TRY(f.integer("max_message_bytes", &max_message, 1, int64_t(1) << 30));
    CONVO_TRY(f.integer("max_metadata_bytes", &max_metadata, 2, int64_t(1) << 30));
    std::optional<int64_t> seed;
    CONVO_TRY(f.integer("seed", &seed, 0, INT64_MAX));
    if (seed) o.seed = static_cast<uint64_t>(*seed);
    std::optional<bool> timer_thread;
    CONVO_TRY(f.boolean("timer_thread", &timer_thread));
    CONVO_TRY(f.string("log_level", &level));
    static const char *const kLevels[] = {"trace", "debug", "info", "warn",
                                          "error", "critical", "off"};
    if (level && std::none_of(std::begin(kLevels), std::end(kLevels),
                              [&](const char *l) { return *level == l; })) {
        return Outcome::invalid(
            "log_level: must be one of trace, debug, info, warn, error, critical, off");
    }
    if (o.start && clock.value_or("system") != "manual") {
        return Outcome::invalid("start: only allowed with clock \"manual\"");
    }
    if (timer_thread.value_or(false) && clock.value_or("system") == "manual") {
        return Outcome::invalid(
            "timer_thread: only allowed with clock \"system\" (a manual clock fires on convo_tick)");
    }
    o.path = path.value_or(o.path);
    o.manual_clock = clock.value_or("system") == "manual";
    o.synchronous_full = synchronous.value_or("full") == "full";
    o.policy.platform_max_open_minutes = max_open.value_or(o.policy.platform_max_open_minutes);
    o.policy.ring_timeout_seconds = ring.value_or(o.policy.ring_timeout_seconds);
    o.policy.dial_timeout_seconds = dial.value_or(o.policy.dial_timeout_seconds);
    o.policy.token_ttl_seconds = ttl.value_or(o.policy.token_ttl_seconds);
    o.policy.wrap_up_timeout_seconds = wrap_up.value_or(o.policy.wrap_up_timeout_seconds);
    o.webrtc_url = url.value_or(o.webrtc_url);
    o.timer_thread = timer_thread.value_or(false);
    o.log_level = level.value_or(o.log_level);
    o.limits.max_request_bytes = max_request.value_or(o.limits.max_request_bytes);
    o.limits.max_message_bytes = max_message.value_or(o.limits.max_message_bytes);
    o.limits.max_metadata_bytes = max_metadata.value_or(o.limits.max_metadata_bytes);
    *out = std::move(o);
    return Outcome::ok();
}

Outcome parse_agent(std::string_view text, const Limits &limits, Agent *out) {
    Json j;
    CONVO_TRY(parse_object(text, "agent", limits.max_request_bytes, &j));
    Fields f(j, limits);
    CONVO_TRY(f.only({"id", "name", "phone_number", "versions", "created_at", "updated_at"}));
    Agent a;
    CONVO_TRY(f.required_string("id", &a.id));
    if (!is_simple_id(a.id)) {
        return Outcome::invalid("id: must be 1-128 characters of A-Z a-z 0-9 _ . : -");
    }
    CONVO_TRY(f.required_string("name", &a.name));
    CONVO_TRY(f.checked("phone_number", &a.phone_number, is_e164, "an E.164 number (+14155551234)"));
    const Json *versions = f.find("versions");
    if (versions == nullptr) return Outcome::invalid("versions: is required");
    if (!versions->is_array()) return Outcome::invalid("versions: must be an array");
    for (size_t i = 0; i < versions->size(); ++i) {
        std::string prefix = "versions[" + std::to_string(i) + "].";
        const Json &vj = (*versions)[i];
        if (!vj.is_object()) return Outcome::invalid(prefix.substr(0, prefix.size() - 1) + ": must be an object");
        Fields vf = f.nested(vj, prefix);
        CONVO_TRY(vf.only({"id", "version", "published", "greeting", "speaks_first",
                           "default_subject", "capabilities"}));
        AgentVersion v;
        std::optional<int> number;
        CONVO_TRY(vf.int32("version", &number));
        if (!number) return Outcome::invalid(prefix + "version: is required");
        v.version = *number;
        for (const AgentVersion &seen : a.versions) {
            if (seen.version == v.version) {
                return Outcome::invalid(prefix + "version: " + std::to_string(v.version) +
                                        " appears more than once");
            }
        }
        std::optional<std::string> id;
        CONVO_TRY(vf.string("id", &id, true));
        v.id = id.value_or("");
        CONVO_TRY(parse_version_fields(vf, &v));
        a.versions.push_back(std::move(v));
    }
    *out = std::move(a);
    return Outcome::ok();
}

Outcome parse_create(std::string_view text, const Limits &limits, CreateRequest *out) {
    Json j;
    CONVO_TRY(parse_object(text, "request", limits.max_request_bytes, &j));
    Fields f(j, limits);
    CONVO_TRY(f.only({"channel", "user_id", "direction", "agent_id", "version", "agent_version_id",
                      "agent_config", "agent_number", "to_address", "from_address", "subject",
                      "initial_context", "custom_metadata", "id", "idle_timeout_minutes",
                      "max_open_minutes", "web_widget_id", "from_number", "messages", "tags",
                      "message"}));
    CreateRequest r;
    std::optional<Channel> channel;
    CONVO_TRY(f.choice("channel", &channel, channel_from_name, kChannels));
    if (!channel) return Outcome::invalid("channel: is required");
    r.channel = *channel;
    CONVO_TRY(f.required_string("user_id", &r.user_id));
    if (needs_phone_number(r.channel) && !is_e164(r.user_id)) {
        return Outcome::invalid("user_id: must be an E.164 number (+14155551234) for channel " +
                                std::string(channel_name(r.channel)));
    }
    const bool messaging = r.channel == Channel::sms || r.channel == Channel::whatsapp;
    CONVO_TRY(f.checked("from_number", &r.from_number, is_e164, "an E.164 number (+18885550000)"));
    if (r.from_number && !messaging) {
        return Outcome::invalid("from_number: only for channels sms and whatsapp (the business number)");
    }
    if (const Json *seeds = f.find("messages")) {
        CONVO_TRY(object_array(*seeds, "messages", limits, [&](const Fields &m) {
            CONVO_TRY(m.only({"role", "text"}));
            std::optional<Role> role;
            CONVO_TRY(m.choice("role", &role, role_from_name, "user, agent"));
            if (!role || *role == Role::human) return Outcome::invalid(m.name("role") + ": must be one of user, agent");
            Message seed;
            seed.role = *role;
            CONVO_TRY(m.required_string("text", &seed.text, true));
            r.seed_messages.push_back(std::move(seed));
            return Outcome::ok();
        }));
    }
    std::optional<Json> tags;
    CONVO_TRY(f.string_array("tags", &tags));
    if (tags) r.tags = std::move(*tags);
    if (const Json *message = f.find("message")) {
        if (r.channel != Channel::whatsapp) return Outcome::invalid("message: only for channel whatsapp");
        if (!message->is_object()) return Outcome::invalid("message: must be an object");
        Fields mf = f.nested(*message, "message.");
        CONVO_TRY(mf.only({"type", "template"}));
        std::optional<std::string> type;
        CONVO_TRY(mf.string("type", &type));
        if (type != std::optional<std::string>("template")) {
            return Outcome::invalid("message.type: must be template");
        }
        const Json *tpl = mf.find("template");
        if (tpl == nullptr) return Outcome::invalid("message.template: is required");
        CONVO_TRY(parse_template(*tpl, "message.template", limits, &r.template_));
    }
    std::optional<Direction> direction;
    CONVO_TRY(f.choice("direction", &direction, direction_from_name, kDirections));
    r.direction = direction.value_or(Direction::outbound);

    CONVO_TRY(f.string("agent_id", &r.agent_id, true));
    CONVO_TRY(f.string("agent_version_id", &r.agent_version_id, true));
    std::optional<Json> config;
    CONVO_TRY(f.object("agent_config", &config));
    CONVO_TRY(f.checked("agent_number", &r.agent_number, is_e164, "an E.164 number (+18885550000)"));
    int refs = int(r.agent_id.has_value()) + int(r.agent_version_id.has_value()) +
               int(config.has_value());
    bool number_alone = refs == 0 && r.channel == Channel::telephone && r.agent_number;
    if (refs != 1 && !number_alone) {
        return Outcome::invalid(
            std::string("agent_id, agent_version_id, agent_config: give exactly one") +
            (r.channel == Channel::telephone ? " (or agent_number alone)" : "") + ", got " +
            std::to_string(refs));
    }
    if (const Json *version = f.find("version")) {
        if (!r.agent_id) return Outcome::invalid("version: only allowed with agent_id");
        if (version->is_string() && version->get<std::string>() == "latest") {
            r.version.reset();
        } else {
            std::optional<int> n;
            Outcome o = f.int32("version", &n);
            if (!o) return Outcome::invalid("version: must be an integer >= 1 or \"latest\"");
            r.version = n;
        }
    }
    if (config) {
        // AnyReach declares agent_config with additionalProperties: true (prompt, voice, ...):
        // the fields convo uses are checked, the rest belong to the host's agent runtime.
        Fields cf = f.nested(*config, "agent_config.");
        CONVO_TRY(cf.string("name", &r.agent_config_name));
        std::optional<int> ignored_version;
        CONVO_TRY(cf.int32("version", &ignored_version));
        AgentVersion v;
        CONVO_TRY(parse_version_fields(cf, &v));
        r.agent_config = std::move(v);
    }
    CONVO_TRY(f.checked("to_address", &r.to_address, is_email, "an email address"));
    if (r.channel == Channel::email && !r.to_address) {
        return Outcome::invalid("to_address: is required for channel email");
    }
    CONVO_TRY(f.checked("from_address", &r.from_address, is_email, "an email address"));
    CONVO_TRY(f.text("subject", &r.subject));
    CONVO_TRY(f.text("initial_context", &r.initial_context));
    CONVO_TRY(f.string("web_widget_id", &r.web_widget_id));
    std::optional<Json> metadata;
    CONVO_TRY(f.object("custom_metadata", &metadata));
    if (metadata) r.custom_metadata = std::move(*metadata);
    CONVO_TRY(f.checked("id", &r.id, is_uuid, "a UUID (8-4-4-4-12 hexadecimal digits)"));
    if (r.id) {
        for (char &c : *r.id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    CONVO_TRY(f.int32("idle_timeout_minutes", &r.idle_timeout_minutes));
    CONVO_TRY(f.int32("max_open_minutes", &r.max_open_minutes));
    *out = std::move(r);
    return Outcome::ok();
}

// The fields annotate and finalize share.
static Outcome annotation_fields(const Fields &f, Event *e) {
    CONVO_TRY(f.text("summary", &e->summary));
    CONVO_TRY(f.text("topic", &e->topic));
    CONVO_TRY(f.string_array("actions_needed", &e->actions_needed));
    return f.string_array("tags", &e->tags);
}

Outcome parse_event(std::string_view text, const Limits &limits, Event *out) {
    Json j;
    CONVO_TRY(parse_object(text, "event", limits.max_request_bytes, &j));
    Fields f(j, limits);
    std::optional<EventType> type;
    CONVO_TRY(f.choice("type", &type, event_from_name,
                       "ringing, answered, joined, delivered, message, end, cancel, no_answer, "
                       "busy, fail, transfer, annotate, takeover, handback, close, finalize"));
    if (!type) return Outcome::invalid("type: is required");
    Event e;
    e.type = *type;
    switch (e.type) {
        case EventType::message:
            CONVO_TRY(f.only({"type", "event_id", "at", "role", "text", "template"}));
            break;
        case EventType::takeover: CONVO_TRY(f.only({"type", "event_id", "at", "minutes"})); break;
        case EventType::close: CONVO_TRY(f.only({"type", "event_id", "at", "skip_notifications"})); break;
        case EventType::finalize:
            CONVO_TRY(f.only({"type", "event_id", "at", "summary", "topic", "actions_needed", "tags"}));
            break;
        case EventType::end:
        case EventType::fail: CONVO_TRY(f.only({"type", "event_id", "at", "reason"})); break;
        case EventType::transfer: CONVO_TRY(f.only({"type", "event_id", "at", "to"})); break;
        case EventType::annotate:
            CONVO_TRY(f.only({"type", "event_id", "at", "summary", "topic", "actions_needed",
                              "tags", "recording_details"}));
            break;
        default: CONVO_TRY(f.only({"type", "event_id", "at"})); break;
    }
    CONVO_TRY(f.string("event_id", &e.event_id, true));
    CONVO_TRY(f.time("at", &e.at));
    switch (e.type) {
        case EventType::message: {
            std::optional<Role> role;
            CONVO_TRY(f.choice("role", &role, role_from_name, "user, agent, human"));
            if (!role) return Outcome::invalid("role: is required");
            e.role = *role;
            if (const Json *tpl = f.find("template")) {
                if (f.has("text")) return Outcome::invalid("text, template: give one, not both");
                if (e.role == Role::user) return Outcome::invalid("template: only agent and human send templates");
                CONVO_TRY(parse_template(*tpl, "template", limits, &e.template_));
            } else {
                CONVO_TRY(f.required_string("text", &e.text, true));
            }
            break;
        }
        case EventType::takeover: {
            std::optional<int> minutes;
            CONVO_TRY(f.int32("minutes", &minutes));
            e.minutes = minutes.value_or(e.minutes);
            break;
        }
        case EventType::close: CONVO_TRY(f.boolean("skip_notifications", &e.skip_notifications)); break;
        case EventType::finalize: CONVO_TRY(annotation_fields(f, &e)); break;
        case EventType::end: CONVO_TRY(f.text("reason", &e.reason, true)); break;
        case EventType::fail: {
            std::string reason;
            CONVO_TRY(f.required_string("reason", &reason, true));
            e.reason = reason;
            break;
        }
        case EventType::transfer: {
            std::string to;
            CONVO_TRY(f.required_string("to", &to));
            e.to = to;
            break;
        }
        case EventType::annotate:
            CONVO_TRY(annotation_fields(f, &e));
            CONVO_TRY(f.object("recording_details", &e.recording_details));
            if (!e.summary && !e.topic && !e.actions_needed && !e.tags && !e.recording_details) {
                return Outcome::invalid(
                    "annotate: needs at least one of summary, topic, actions_needed, tags, "
                    "recording_details");
            }
            break;
        default: break;
    }
    *out = std::move(e);
    return Outcome::ok();
}

std::string encode_cursor(TimeMs created_at, int64_t rowid) {
    return "v1." + std::to_string(created_at) + "." + std::to_string(rowid);
}

static std::optional<std::pair<TimeMs, int64_t>> decode_cursor(const std::string &s) {
    long long created = 0, rowid = 0;
    int used = 0;
    if (std::sscanf(s.c_str(), "v1.%lld.%lld%n", &created, &rowid, &used) != 2 ||
        used != static_cast<int>(s.size()) || rowid <= 0) {
        return std::nullopt;
    }
    return std::make_pair(TimeMs(created), int64_t(rowid));
}

Outcome parse_list_query(const char *text, const Limits &limits, ListQuery *out) {
    Json j = Json::object();
    if (text != nullptr) CONVO_TRY(parse_object(text, "query", limits.max_request_bytes, &j));
    Fields f(j, limits);
    CONVO_TRY(f.only({"status", "channel", "direction", "agent_id", "agent_version_id", "user_id",
                      "agent_number", "custom_metadata", "created_after", "created_before",
                      "limit", "cursor"}));
    ListQuery q;
    if (const Json *status = f.find("status")) {
        Json names = status->is_array() ? *status : Json::array({*status});
        for (const Json &n : names) {
            std::optional<Status> s = n.is_string() ? status_from_name(n.get<std::string>())
                                                    : std::nullopt;
            if (!s) {
                return Outcome::invalid(std::string("status: must be a status or an array of "
                                                    "statuses (") + kStatuses + ")");
            }
            q.statuses.push_back(*s);
        }
    }
    CONVO_TRY(f.choice("channel", &q.channel, channel_from_name, kChannels));
    CONVO_TRY(f.choice("direction", &q.direction, direction_from_name, kDirections));
    CONVO_TRY(f.string("agent_id", &q.agent_id));
    CONVO_TRY(f.string("agent_version_id", &q.agent_version_id));
    CONVO_TRY(f.string("user_id", &q.user_id));
    CONVO_TRY(f.string("agent_number", &q.agent_number));
    std::optional<Json> metadata;
    CONVO_TRY(f.object("custom_metadata", &metadata));
    if (metadata) {
        for (auto it = metadata->begin(); it != metadata->end(); ++it) {
            q.metadata.emplace_back(it.key(), canonical_json(it.value()));
        }
    }
    CONVO_TRY(f.time("created_after", &q.created_after));
    CONVO_TRY(f.time("created_before", &q.created_before));
    std::optional<int64_t> limit;
    CONVO_TRY(f.integer("limit", &limit, 1, 100));
    q.limit = static_cast<int>(limit.value_or(20));
    std::optional<std::string> cursor;
    CONVO_TRY(f.string("cursor", &cursor));
    if (cursor) {
        q.cursor = decode_cursor(*cursor);
        if (!q.cursor) return Outcome::invalid("cursor: is not a cursor this engine returned");
    }
    *out = std::move(q);
    return Outcome::ok();
}

}  // namespace convo
