// A JSON writer that appends straight to a string: no tree, no per-key allocation. The answers
// of every call and the stored `details` column are written with it (a profile of a dispatch
// put building and dumping nlohmann trees at 40% of its CPU). Output is byte for byte what
// nlohmann's dump() gives for the same document; a string that is not valid UTF-8 throws, as
// dump() does.
//
//     JsonOut w;
//     w.begin_object().key("id").str(c.id).key("tags").json(c.tags).end_object();
//     std::string text = w.take();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "conversation.h"

namespace convo {

class JsonOut {
public:
    JsonOut() { out_.reserve(1024); }  // a conversation's answer, without its transcript

    JsonOut &begin_object() { return open('{'); }
    JsonOut &end_object() { return close('}'); }
    JsonOut &begin_array() { return open('['); }
    JsonOut &end_array() { return close(']'); }
    // The next value is this member's.
    JsonOut &key(std::string_view k);

    JsonOut &str(std::string_view s);
    JsonOut &str(const std::string &s) { return str(std::string_view(s)); }
    JsonOut &str(const char *s) { return str(std::string_view(s)); }
    JsonOut &num(int64_t v);
    JsonOut &unsigned_num(uint64_t v);
    JsonOut &boolean(bool v);
    JsonOut &null();
    JsonOut &time(TimeMs ms);                         // RFC 3339 string
    JsonOut &json(const Json &j);                     // any value, as dump() writes it
    JsonOut &str(const std::optional<std::string> &s) { return s ? str(*s) : null(); }
    JsonOut &time(const std::optional<TimeMs> &ms) { return ms ? time(*ms) : null(); }
    JsonOut &num(const std::optional<int> &v) { return v ? num(*v) : null(); }

    const std::string &text() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    JsonOut &open(char c);
    JsonOut &close(char c);
    void separate() {
        if (comma_) out_ += ',';
        comma_ = true;
    }

    std::string out_;
    bool comma_ = false;  // a value came before at this level: the next one needs a comma
};

// Appends `s` as a JSON string literal (quotes included), escaped as dump() escapes.
void append_json_string(std::string &out, std::string_view s);

}  // namespace convo
