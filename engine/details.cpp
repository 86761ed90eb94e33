#include "details.h"


#include "json_out.h"

namespace convo {
namespace {

using Text = std::optional<std::string> Conversation::*;
using Value = Json Conversation::*;

struct TextField {
    std::string_view name;
    Text member;
};
struct ValueField {
    std::string_view name;
    Value member;
};

// The order they are written in (and always were).
const TextField kLeadingText[] = {
    {"agent_name", &Conversation::agent_name},     {"to_address", &Conversation::to_address},
    {"from_address", &Conversation::from_address}, {"subject", &Conversation::subject},
    {"initial_context", &Conversation::initial_context}, {"summary", &Conversation::summary},
    {"topic", &Conversation::topic},               {"transferred_to", &Conversation::transferred_to},
};
const TextField kFromNumber = {"from_number", &Conversation::from_number};
const ValueField kValues[] = {
    {"custom_metadata", &Conversation::custom_metadata},
    {"recording_details", &Conversation::recording_details},
    {"tags", &Conversation::tags},
    {"actions_needed", &Conversation::actions_needed},
};

// Members every row has; the others came with schema 2 and have defaults.
enum Required : unsigned {
    kCustomMetadata = 1u << 0,
    kRecordingDetails = 1u << 1,
    kTags = 1u << 2,
    kActionsNeeded = 1u << 3,
    kIdleTimeout = 1u << 4,
    kMaxOpen = 1u << 5,
    kMessageCount = 1u << 6,
    kDeadlines = 1u << 7,
    kAllRequired = (1u << 8) - 1,
};

// Reads the details object. Its own members are read straight into the conversation; a host
// value (custom_metadata, tags, ...) is cut out whole and parsed by nlohmann, unless it is one
// of the trivial null, [] and {}.
class Reader {
public:
    Reader(std::string_view text, Conversation &c) : s_(text), c_(c) {}

    void read() {
        unsigned seen = 0;
        bool wrap_up_seen = false;
        expect('{');
        if (!eat('}')) {
            do {
                string(&key_);
                expect(':');
                seen |= member(key_, &wrap_up_seen);
            } while (eat(','));
            expect('}');
        }
        space();
        if (i_ != s_.size()) fail("text after the object");
        if (seen != kAllRequired) fail("a required member is missing");
        if (!wrap_up_seen) c_.wrap_up = is_terminal(c_.status) ? WrapUp::done : WrapUp::none;
    }

private:
    // Reads one member's value; returns its Required bit (0 for the others).
    unsigned member(std::string_view key, bool *wrap_up_seen) {
        const TextField *text_field = key == kFromNumber.name ? &kFromNumber : nullptr;
        for (const TextField &f : kLeadingText) {
            if (key == f.name) text_field = &f;
        }
        if (text_field) {
            auto &field = c_.*(text_field->member);
            if (null()) field.reset();
            else field = string();
            return 0;
        }
        for (size_t k = 0; k < std::size(kValues); ++k) {
            if (key != kValues[k].name) continue;
            c_.*(kValues[k].member) = host_value();
            return 1u << k;
        }
        if (key == "idle_timeout_minutes") {
            if (null()) c_.idle_timeout_minutes.reset();
            else c_.idle_timeout_minutes = minutes();
            return kIdleTimeout;
        }
        if (key == "max_open_minutes") {
            c_.max_open_minutes = minutes();
            return kMaxOpen;
        }
        if (key == "message_count") {
            c_.message_count = integer();
            return kMessageCount;
        }
        if (key == "deadlines") {
            deadlines();
            return kDeadlines;
        }
        if (key == "takeover_minutes") {
            c_.takeover_minutes = minutes();
        } else if (key == "human_takeover") {
            c_.human_takeover = boolean();
        } else if (key == "wrap_up") {
            // An unknown one reads as missing.
            if (auto w = wrap_up_from_name(string())) {
                c_.wrap_up = *w;
                *wrap_up_seen = true;
            }
        } else {
            skip_value();  // a member this version does not know
        }
        return 0;
    }

    void deadlines() {
        c_.deadlines = {};
        expect('{');
        if (eat('}')) return;
        do {
            const auto t = timer_from_name(string());  // a timer this version does not know is skipped
            expect(':');
            const int64_t at = integer();
            if (t) c_.deadlines[static_cast<int>(*t)] = at;
        } while (eat(','));
        expect('}');
    }

    Json host_value() {
        space();
        const size_t start = i_;
        skip_value();
        const std::string_view v = s_.substr(start, i_ - start);
        if (v == "null") return nullptr;
        if (v == "[]") return Json::array();
        if (v == "{}") return Json::object();
        try {
            return Json::parse(v);
        } catch (const Json::exception &e) {
            fail(e.what());
        }
    }

    void space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    bool eat(char c) {
        space();
        if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
        return false;
    }
    void expect(char c) {
        if (!eat(c)) fail(std::string("expected '") + c + "'");
    }
    bool word(std::string_view w) {
        space();
        if (s_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }
    bool null() { return word("null"); }
    bool boolean() {
        if (word("true")) return true;
        if (word("false")) return false;
        fail("expected true or false");
    }

    int64_t integer() {
        space();
        const bool negative = i_ < s_.size() && s_[i_] == '-';
        if (negative) ++i_;
        const size_t start = i_;
        uint64_t v = 0;
        for (; i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; ++i_) {
            if (v > (uint64_t(INT64_MAX) - 9) / 10) fail("integer out of range");
            v = v * 10 + static_cast<uint64_t>(s_[i_] - '0');
        }
        if (i_ == start) fail("expected an integer");
        if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) fail("expected an integer");
        return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    }
    int minutes() {
        const int64_t v = integer();
        if (v < INT32_MIN || v > INT32_MAX) fail("integer out of range");
        return static_cast<int>(v);
    }

    unsigned hex4() {
        if (s_.size() - i_ < 4) fail("short \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') v |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') v |= static_cast<unsigned>(h - 'A' + 10);
            else fail("bad \\u escape");
        }
        return v;
    }
    static void put_utf8(std::string &out, unsigned cp) {
        auto byte = [&](unsigned b) { out += static_cast<char>(b); };
        if (cp < 0x80) {
            byte(cp);
        } else if (cp < 0x800) {
            byte(0xC0 | cp >> 6), byte(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            byte(0xE0 | cp >> 12), byte(0x80 | (cp >> 6 & 0x3F)), byte(0x80 | (cp & 0x3F));
        } else {
            byte(0xF0 | cp >> 18), byte(0x80 | (cp >> 12 & 0x3F)), byte(0x80 | (cp >> 6 & 0x3F)),
                byte(0x80 | (cp & 0x3F));
        }
    }

    std::string string() {
        std::string out;
        string(&out);
        return out;
    }
    void string(std::string *to) {
        std::string &out = *to;
        out.clear();
        expect('"');
        size_t run = i_;  // start of the bytes not yet copied
        for (;;) {
            if (i_ >= s_.size()) fail("unterminated string");
            const char ch = s_[i_];
            if (ch == '"') break;
            if (static_cast<unsigned char>(ch) < 0x20) fail("control character in a string");
            if (ch != '\\') {
                ++i_;
                continue;
            }
            out.append(s_.data() + run, i_ - run);
            if (++i_ >= s_.size()) fail("unterminated string");
            switch (s_[i_++]) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (!(s_.substr(i_, 2) == "\\u")) fail("lone surrogate");
                        i_ += 2;
                        const unsigned low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) fail("lone surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("lone surrogate");
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: fail("bad escape");
            }
            run = i_;
        }
        out.append(s_.data() + run, i_ - run);
        ++i_;
    }

    // Moves past one value of any kind (host values are checked when nlohmann parses them).
    void skip_value() {
        space();
        if (i_ >= s_.size()) fail("expected a value");
        const char ch = s_[i_];
        if (ch == '"') {
            string();
        } else if (ch == '{' || ch == '[') {
            const char end = ch == '{' ? '}' : ']';
            ++i_;
            if (eat(end)) return;
            do {
                if (ch == '{') {
                    string();
                    expect(':');
                }
                skip_value();
            } while (eat(','));
            expect(end);
        } else {
            const size_t start = i_;
            while (i_ < s_.size() && std::string_view("{}[],: \n\r\t\"").find(s_[i_]) == std::string_view::npos) ++i_;
            if (i_ == start) fail("expected a value");
        }
    }

    [[noreturn]] void fail(const std::string &what) const {
        throw CorruptRow("details: " + what + " at offset " + std::to_string(i_));
    }

    std::string_view s_;
    size_t i_ = 0;
    Conversation &c_;
    std::string key_;  // the member being read (one buffer for all of them)
};

}  // namespace

std::string encode_details(const Conversation &c) {
    JsonOut w;
    w.begin_object();
    for (const TextField &f : kLeadingText) w.key(f.name).str(c.*(f.member));
    for (const ValueField &f : kValues) w.key(f.name).json(c.*(f.member));
    w.key("idle_timeout_minutes").num(c.idle_timeout_minutes)
        .key("max_open_minutes").num(c.max_open_minutes)
        .key("message_count").num(c.message_count)
        .key("deadlines").begin_object();
    for (int i = 0; i < kTimerCount; ++i) {
        if (c.deadlines[i]) w.key(timer_name(static_cast<Timer>(i))).num(*c.deadlines[i]);
    }
    w.end_object()
        .key(kFromNumber.name).str(c.*(kFromNumber.member))
        .key("human_takeover").boolean(c.human_takeover)
        .key("takeover_minutes").num(c.takeover_minutes)
        .key("wrap_up").str(wrap_up_name(c.wrap_up));
    return w.end_object().take();
}

void decode_details(std::string_view text, Conversation &c) { Reader(text, c).read(); }

}  // namespace convo
