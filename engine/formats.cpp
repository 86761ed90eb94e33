#include "formats.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "ids.h"
#include "lifecycle_table.h"

namespace convo {

const char *const kFormatNames = "anyreach, wassist, helloannie";

namespace {

constexpr size_t kMaxKeyShown = 64;  // an unknown key is quoted in errors up to this length
// Minutes above this are held at it before the native parser sees them (it refuses more); the
// engine then clamps them to the platform max, as HelloAnnie's spec says larger values are.
constexpr int64_t kMaxMinutes = 1000000000;

// How a create field is checked before it is carried into the native request.
enum class Check : uint8_t {
    phone,    // an E.164 string
    uuid,     // a UUID string
    text,     // a non-empty string
    object,   // an object (the native parser checks inside it)
    medium,   // HelloAnnie's medium: one of kMedia
    minutes,  // a number x >= 1 that is a multiple of 1 (2.0 yes, 2.5 no)
    items,    // an array of objects whose keys are this field's "<field>[].<key>" rows
    native,   // an item key: passed on as is, the native parser checks it
};

// A field as the format names it and as the native shape does. Paths name nested fields:
// "messages[].input" is the key input of each object of the array messages.
struct Name {
    std::string_view theirs, native;
};

struct CreateField {
    Name name;
    Check check;
    bool required;
};

// An output field: the format's key, the native key it is made from, and how.
using Value = Json (*)(const Json &conversation, std::string_view native_key);
struct OutField {
    std::string_view theirs, native;
    Value value;
};

// Everything a format renames or reshapes: its one table.
struct Spec {
    Json fixed;                       // native fields every create of the format carries
    std::vector<CreateField> create;  // in the order they are checked and written
    Outcome (*finish)(Json *native);  // rules across fields, after each field is checked
    std::vector<Name> event;          // event keys that change name; also the feed's data keys
    std::vector<OutField> conversation;
    bool envelope;  // bodies are {"success":true,"data":…}
    int created_status;
};

// HelloAnnie's media and the native channels they are.
constexpr Name kMedia[] = {{"CHAT", "text"}, {"SMS", "sms"}};
const char *const kMediaNames = "CHAT, SMS";

// Keys of feed events and pages, the same in both camelCase formats.
constexpr Name kOutKeys[] = {{"conversationId", "conversation_id"},
                             {"organizationId", "organization_id"},
                             {"nextCursor", "next_cursor"},
                             {"nextSeq", "next_seq"}};

// ---- output values ----

Json as_is(const Json &c, std::string_view key) {
    auto it = c.find(std::string(key));
    return it == c.end() ? Json(nullptr) : *it;
}

Json text_or_empty(const Json &c, std::string_view key) {
    Json v = as_is(c, key);
    return v.is_string() ? v : Json("");
}

Json bool_text(const Json &c, std::string_view key) {
    Json v = as_is(c, key);
    return v.is_boolean() && v.get<bool>() ? "true" : "false";
}

Json seconds_text(const Json &c, std::string_view key) {
    Json v = as_is(c, key);
    return v.is_number_integer() ? Json(std::to_string(v.get<int64_t>())) : Json("0");
}

bool is_open(const Json &c) {
    Json s = as_is(c, "status");
    std::optional<Status> status =
        s.is_string() ? status_from_name(s.get<std::string>()) : std::nullopt;
    return status && !is_terminal(*status);
}

Json open_text(const Json &c, std::string_view) {
    return is_open(c) ? "true" : "false";
}

Json contact(const Json &c, std::string_view key) {
    return Json{{"phoneNumber", text_or_empty(c, key)}, {"name", nullptr}};
}

// The last transcript message's text, or its template's name; "" when there is none or the
// transcript is not visible (sessions without the SENSITIVE scope).
Json last_message(const Json &c, std::string_view key) {
    Json transcript = as_is(c, key);
    if (!transcript.is_object() || !transcript.contains("messages")) return "";
    const Json &messages = transcript["messages"];
    if (!messages.is_array() || messages.empty()) return "";
    const Json &m = messages.back();
    Json tpl = as_is(m, "template");
    Json shown = tpl.is_object() ? as_is(tpl, "name") : as_is(m, "text");
    return shown.is_string() ? shown : Json("");
}

Json medium(const Json &c, std::string_view key) {
    std::string channel = text_or_empty(c, key).get<std::string>();
    for (const Name &m : kMedia) {
        if (m.native == channel) return std::string(m.theirs);
    }
    // Outside HelloAnnie's enum: another session's telephone, email, ... conversation.
    std::transform(channel.begin(), channel.end(), channel.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    return channel;
}

Json annie_status(const Json &c, std::string_view) {
    Json wrap_up = as_is(c, "wrap_up");
    if (wrap_up == "done") return "CLOSED";
    if (wrap_up == "pending") return "CLOSING";
    return is_open(c) ? "OPEN" : "CLOSED";  // terminal with no wrap-up: nothing runs any more
}

// When the conversation started; one that never started shows when it was created.
Json start_time(const Json &c, std::string_view key) {
    Json started = as_is(c, key);
    return started.is_null() ? as_is(c, "created_at") : started;
}

// ---- input checks ----

// An unknown key as errors name it: JSON-escaped and cut at a character boundary when long.
std::string printable(const std::string &key) {
    size_t end = std::min(key.size(), kMaxKeyShown);
    while (end > 0 && end < key.size() && (static_cast<unsigned char>(key[end]) & 0xC0) == 0x80)
        --end;
    const std::string quoted =
        Json(key.substr(0, end)).dump(-1, ' ', false, Json::error_handler_t::replace);
    return quoted.substr(1, quoted.size() - 2) + (end < key.size() ? "..." : "");
}

Outcome unknown(const std::string &prefix, const std::string &key) {
    return Outcome::invalid(prefix + printable(key) + ": unknown field");
}

bool is_top_level(const CreateField &f) {
    return f.name.theirs.find('.') == std::string_view::npos;
}

// The number of whole minutes in `v`, held at kMaxMinutes; nullopt unless it is a number x >= 1
// that is a multiple of 1.
std::optional<int64_t> whole_minutes(const Json &v) {
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u < 1) return std::nullopt;
        return int64_t(std::min<uint64_t>(u, kMaxMinutes));
    }
    if (v.is_number_integer()) {
        const int64_t i = v.get<int64_t>();
        if (i < 1) return std::nullopt;
        return std::min<int64_t>(i, kMaxMinutes);
    }
    if (!v.is_number_float()) return std::nullopt;
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < 1 || d != std::floor(d)) return std::nullopt;
    return d >= double(kMaxMinutes) ? kMaxMinutes : static_cast<int64_t>(d);
}

// Each object of the array `field` with its keys renamed by the rows "<field>[].<key>".
Outcome items_to_native(const Spec &spec, const CreateField &field, const Json &array, Json *out) {
    const std::string theirs(field.name.theirs);
    if (!array.is_array()) return Outcome::invalid(theirs + ": must be an array of objects");
    const std::string row_prefix = theirs + "[].";
    *out = Json::array();
    for (size_t i = 0; i < array.size(); ++i) {
        const std::string at = theirs + "[" + std::to_string(i) + "]";
        if (!array[i].is_object()) return Outcome::invalid(at + ": must be an object");
        Json item = Json::object();
        for (auto it = array[i].begin(); it != array[i].end(); ++it) {
            auto row = std::find_if(
                spec.create.begin(), spec.create.end(),
                [&](const CreateField &f) { return f.name.theirs == row_prefix + it.key(); });
            if (row == spec.create.end()) return unknown(at + ".", it.key());
            const std::string_view native = row->name.native;
            item[std::string(native.substr(native.rfind('.') + 1))] = it.value();
        }
        out->push_back(std::move(item));
    }
    return Outcome::ok();
}

// Checks one present field and writes its native value to *out.
Outcome field_to_native(const Spec &spec, const CreateField &field, const Json &v, Json *out) {
    const std::string name(field.name.theirs);
    const bool is_string = v.is_string();
    const std::string s = is_string ? v.get<std::string>() : std::string();
    switch (field.check) {
        case Check::phone:
        case Check::uuid:
        case Check::text:
            if (!is_string) return Outcome::invalid(name + ": must be a string");
            if (s.empty()) return Outcome::invalid(name + ": must not be empty");
            if (field.check == Check::phone && !is_e164(s)) {
                return Outcome::invalid(name + ": must be an E.164 number (+14155551234)");
            }
            if (field.check == Check::uuid && !is_uuid(s))
                return Outcome::invalid(name + ": must be a UUID");
            break;
        case Check::object:
            if (!v.is_object()) return Outcome::invalid(name + ": must be an object");
            break;
        case Check::medium: {
            auto m = std::find_if(std::begin(kMedia), std::end(kMedia),
                                  [&](const Name &n) { return is_string && n.theirs == s; });
            if (m == std::end(kMedia))
                return Outcome::invalid(name + ": must be one of " + kMediaNames);
            *out = std::string(m->native);
            return Outcome::ok();
        }
        case Check::minutes: {
            std::optional<int64_t> minutes = whole_minutes(v);
            if (!minutes) return Outcome::invalid(name + ": must be an integer >= 1");
            *out = *minutes;
            return Outcome::ok();
        }
        case Check::items:
            return items_to_native(spec, field, v, out);
        case Check::native:
            break;
    }
    *out = v;
    return Outcome::ok();
}

Outcome create_in(const Spec &spec, const Json &in, Json *native) {
    if (!in.is_object()) return Outcome::invalid("request: must be a JSON object");
    for (auto it = in.begin(); it != in.end(); ++it) {
        bool known = std::any_of(spec.create.begin(), spec.create.end(), [&](const CreateField &f) {
            return is_top_level(f) && f.name.theirs == it.key();
        });
        if (!known) return unknown("", it.key());
    }
    Json out = spec.fixed;
    for (const CreateField &f : spec.create) {
        auto it = in.find(std::string(f.name.theirs));
        if (!is_top_level(f) || it == in.end()) continue;
        Json value;
        CONVO_TRY(field_to_native(spec, f, *it, &value));
        const std::string key(f.name.native);
        if (out.contains(key) && out[key] != value) {
            // A deprecated alias and the field it names, both given, must agree; the error names
            // the later row (the alias), the earlier one wrote the value.
            auto first =
                std::find_if(spec.create.begin(), spec.create.end(), [&](const CreateField &o) {
                    return o.name.native == f.name.native &&
                           in.contains(std::string(o.name.theirs));
                });
            return Outcome::invalid(std::string(f.name.theirs) + ": must equal " +
                                    std::string(first->name.theirs) + " when both are given");
        }
        out[key] = std::move(value);
    }
    for (const CreateField &f : spec.create) {
        if (f.required && !out.contains(std::string(f.name.native))) {
            return Outcome::invalid(std::string(f.name.theirs) + ": is required");
        }
    }
    if (spec.finish != nullptr) CONVO_TRY(spec.finish(&out));
    *native = std::move(out);
    return Outcome::ok();
}

// HelloAnnie: SMS needs an E.164 toNumber; CHAT without one talks to "anonymous".
Outcome helloannie_finish(Json *native) {
    Json &n = *native;
    if (n["channel"] == "sms") {
        if (!n.contains("user_id")) return Outcome::invalid("toNumber: is required for medium SMS");
        if (!is_e164(n["user_id"].get<std::string>())) {
            return Outcome::invalid(
                "toNumber: must be an E.164 number (+14155551234) for medium SMS");
        }
    } else if (!n.contains("user_id")) {
        n["user_id"] = "anonymous";
    }
    return Outcome::ok();
}

// ---- the two tables ----

// clang-format off
const Spec &wassist() {
    static const Spec spec{
        Json{{"channel", "whatsapp"}, {"direction", "outbound"}},
        {{{"toNumber", "user_id"},       Check::phone,  true},
         {{"phoneNumber", "user_id"},    Check::phone,  false},  // the deprecated name of toNumber
         {{"agentId", "agent_id"},       Check::uuid,   true},
         {{"fromNumber", "from_number"}, Check::phone,  false},
         {{"message", "message"},        Check::object, false}},
        nullptr,
        {{"eventId", "event_id"}, {"durationMinutes", "minutes"},
         {"skipNotifications", "skip_notifications"}, {"actionsNeeded", "actions_needed"},
         {"recordingDetails", "recording_details"}},
        {{"id",                      "id",                            as_is},
         {"contact",                 "user_id",                       contact},
         {"activeAgent",             "agent_id",                      text_or_empty},
         {"chatWindowRemainingTime", "chat_window_remaining_seconds", seconds_text},
         {"lastMessage",             "conversation",                  last_message},
         {"isHumanTakeover",         "human_takeover",                bool_text},
         {"active",                  "status",                        open_text}},
        false, 201};
    return spec;
}

const Spec &helloannie() {
    static const Spec spec{
        Json::object(),
        {{{"medium", "channel"},                         Check::medium,  true},
         {{"botId", "agent_id"},                         Check::uuid,    true},
         {{"toNumber", "user_id"},                       Check::text,    false},
         {{"messages", "messages"},                      Check::items,   false},
         {{"messages[].role", "messages[].role"},        Check::native,  false},
         {{"messages[].input", "messages[].text"},       Check::native,  false},
         {{"idleTimeoutMinutes", "idle_timeout_minutes"}, Check::minutes, false},
         {{"maxOpenMinutes", "max_open_minutes"},         Check::minutes, false}},
        helloannie_finish,
        {{"input", "text"}, {"eventId", "event_id"}, {"skipNotifications", "skip_notifications"},
         {"actionsNeeded", "actions_needed"}, {"recordingDetails", "recording_details"}},
        {{"conversationId",   "id",              as_is},
         {"conversationTags", "tags",            as_is},
         {"orgId",            "organization_id", as_is},
         {"medium",           "channel",         medium},
         {"botId",            "agent_id",        as_is},
         {"toNumber",         "user_id",         as_is},
         {"fromNumber",       "from_number",     as_is},
         {"summary",          "summary",         as_is},
         {"actionsNeeded",    "actions_needed",  as_is},
         {"topic",            "topic",           as_is},
         {"duration",         "duration",        as_is},
         {"startTime",        "started_at",      start_time},
         {"endTime",          "ended_at",        as_is},
         {"status",           "status",          annie_status}},
        true, 200};
    return spec;
}
// clang-format on

const Spec &spec_of(Format f) {
    return f == Format::wassist ? wassist() : helloannie();
}

// ---- outputs ----

Json conversation_data(const Spec &spec, const Json &c) {
    Json out = Json::object();
    for (const OutField &f : spec.conversation) out[std::string(f.theirs)] = f.value(c, f.native);
    return out;
}

Json enveloped(const Spec &spec, Json body) {
    return spec.envelope ? Json{{"success", true}, {"data", std::move(body)}} : body;
}

// `key` renamed by the first row whose native name it is, else unchanged.
template <typename Rows>
std::string out_key(const Rows &rows, const std::string &key) {
    for (const Name &n : rows) {
        if (n.native == key) return std::string(n.theirs);
    }
    return key;
}

Json event_out(const Spec &spec, const Json &e) {
    Json out = Json::object();
    for (auto it = e.begin(); it != e.end(); ++it) {
        Json v = it.value();
        if (it.key() == "data" && v.is_object()) {
            v = Json::object();
            for (auto d = it.value().begin(); d != it.value().end(); ++d)
                v[out_key(spec.event, d.key())] = d.value();
        }
        out[out_key(kOutKeys, it.key())] = std::move(v);
    }
    return out;
}

// A page {items_key: […], cursor…}: each item made by `item`, the other keys renamed.
Json page_out(const Spec &spec, const Json &page, const std::string &items_key,
              Json (*item)(const Spec &, const Json &)) {
    Json items = Json::array();
    if (page.contains(items_key) && page[items_key].is_array()) {
        for (const Json &i : page[items_key]) items.push_back(item(spec, i));
    }
    Json out = spec.envelope ? Json{{"success", true}, {"data", std::move(items)}}
                             : Json{{items_key, std::move(items)}};
    for (auto it = page.begin(); it != page.end(); ++it) {
        if (it.key() != items_key) out[out_key(kOutKeys, it.key())] = it.value();
    }
    return out;
}

// ---- error names ----

// "messages[2]" → ("messages", "[2]").
std::pair<std::string_view, std::string_view> split_index(std::string_view segment) {
    size_t bracket = segment.find('[');
    if (bracket == std::string_view::npos) return {segment, {}};
    return {segment.substr(0, bracket), segment.substr(bracket)};
}

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', start)) {
        out.push_back(path.substr(start, dot - start));
        start = dot + 1;
    }
    out.push_back(path.substr(start));
    return out;
}

// How many leading segments of `path` the row pattern `native` names ("messages[].text" names
// both of "messages[2].text"), or 0.
size_t matched(std::string_view native, const std::vector<std::string_view> &path) {
    std::vector<std::string_view> pattern = segments(native);
    if (pattern.size() > path.size()) return 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
        auto [name, index] = split_index(path[i]);
        auto [want, want_index] = split_index(pattern[i]);
        if (name != want || index.empty() != want_index.empty()) return 0;
    }
    return pattern.size();
}

// One native field path in the format's names: the longest row that names a prefix of it
// renames that prefix, indexes kept; the rest is unchanged.
std::string rename_path(const Spec &spec, std::string_view path) {
    const std::vector<std::string_view> parts = segments(path);
    size_t best = 0;
    std::string_view theirs;
    auto consider = [&](const Name &n) {
        size_t m = matched(n.native, parts);
        if (m > best) {
            best = m;
            theirs = n.theirs;
        }
    };
    for (const CreateField &f : spec.create) consider(f.name);
    for (const Name &n : spec.event) consider(n);
    if (best == 0) return std::string(path);
    std::vector<std::string_view> renamed = segments(theirs);
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += '.';
        out += i < best ? std::string(split_index(renamed[i]).first) +
                              std::string(split_index(parts[i]).second)
                        : std::string(parts[i]);
    }
    return out;
}

// "a, b, c" with each path renamed.
std::string rename_list(const Spec &spec, std::string_view list) {
    std::string out;
    size_t start = 0;
    while (true) {
        size_t comma = list.find(", ", start);
        out += rename_path(
            spec, list.substr(start, comma == std::string_view::npos ? comma : comma - start));
        if (comma == std::string_view::npos) return out;
        out += ", ";
        start = comma + 2;
    }
}

}  // namespace

std::optional<Format> format_from_name(std::string_view name) {
    for (Format f : {Format::anyreach, Format::wassist, Format::helloannie}) {
        if (format_name(f) == name) return f;
    }
    return std::nullopt;
}

std::string_view format_name(Format f) {
    switch (f) {
        case Format::anyreach:
            return "anyreach";
        case Format::wassist:
            return "wassist";
        case Format::helloannie:
            return "helloannie";
    }
    return "anyreach";
}

Outcome create_to_native(Format f, const Json &in, Json *native) {
    if (f == Format::anyreach) {
        *native = in;
        return Outcome::ok();
    }
    return create_in(spec_of(f), in, native);
}

Outcome event_to_native(Format f, const Json &in, Json *native) {
    if (f == Format::anyreach) {
        *native = in;
        return Outcome::ok();
    }
    if (!in.is_object()) return Outcome::invalid("event: must be a JSON object");
    const Spec &spec = spec_of(f);
    Json out = Json::object();
    for (auto it = in.begin(); it != in.end(); ++it) {
        auto theirs = std::find_if(spec.event.begin(), spec.event.end(),
                                   [&](const Name &n) { return n.theirs == it.key(); });
        auto native_spelling = std::find_if(spec.event.begin(), spec.event.end(),
                                            [&](const Name &n) { return n.native == it.key(); });
        if (theirs != spec.event.end()) {
            out[std::string(theirs->native)] = it.value();
        } else if (native_spelling != spec.event.end()) {
            return unknown("", it.key());  // the native name of a field the format names otherwise
        } else {
            out[it.key()] = it.value();
        }
    }
    *native = std::move(out);
    return Outcome::ok();
}

Json create_response_from_native(Format f, const Json &native_response, int *http_status) {
    if (f == Format::anyreach || !native_response.is_object() ||
        !native_response.contains("conversation")) {
        return native_response;
    }
    const Spec &spec = spec_of(f);
    if (http_status != nullptr) *http_status = spec.created_status;
    return enveloped(spec, conversation_data(spec, native_response["conversation"]));
}

Json conversation_from_native(Format f, const Json &native_conversation) {
    if (f == Format::anyreach) return native_conversation;
    const Spec &spec = spec_of(f);
    return enveloped(spec, conversation_data(spec, native_conversation));
}

Json conversation_list_from_native(Format f, const Json &native_list) {
    if (f == Format::anyreach) return native_list;
    return page_out(spec_of(f), native_list, "items", conversation_data);
}

Json event_from_native(Format f, const Json &native_event) {
    if (f == Format::anyreach) return native_event;
    return event_out(spec_of(f), native_event);
}

Json event_page_from_native(Format f, const Json &native_page) {
    if (f == Format::anyreach) return native_page;
    return page_out(spec_of(f), native_page, "events", event_out);
}

std::string message_in_format(Format f, const std::string &native_message) {
    if (f == Format::anyreach) return native_message;
    const Spec &spec = spec_of(f);
    const size_t colon = native_message.find(": ");
    if (colon == std::string::npos) return native_message;
    std::string out = rename_list(spec, std::string_view(native_message).substr(0, colon));
    std::string rest = native_message.substr(colon);
    // "annotate: needs at least one of summary, topic, actions_needed, ...": a list of fields.
    const std::string list_intro = "needs at least one of ";
    const size_t list = rest.find(list_intro);
    if (list != std::string::npos) {
        const size_t start = list + list_intro.size();
        rest = rest.substr(0, start) + rename_list(spec, std::string_view(rest).substr(start));
    }
    return out + rest;
}

Outcome outcome_in_format(Format f, const Outcome &native) {
    if (native.is_ok()) return native;
    std::string m = message_in_format(f, native.message());
    switch (native.code()) {
        case CONVO_EINVALID:
            return Outcome::invalid(std::move(m));
        case CONVO_EPRECONDITION:
            return Outcome::precondition(std::move(m));
        case CONVO_EFORBIDDEN:
            return Outcome::forbidden(std::move(m));
        case CONVO_ENOTFOUND:
            return Outcome::not_found(std::move(m));
        case CONVO_ECONFLICT:
            return Outcome::conflict(std::move(m));
        case CONVO_ESTORAGE:
            return Outcome::storage(std::move(m));
        case CONVO_EMISUSE:
            return Outcome::misuse(std::move(m));
        default:
            return Outcome::internal(std::move(m));
    }
}

}  // namespace convo
