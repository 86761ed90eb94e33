#include "time_format.h"

// GCC 12 at -O2 reports a false maybe-uninitialized inside date::from_stream (date.h:7261) when
// date::parse is inlined here; it is in the library's code, not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <date/date.h>

#include <chrono>
#include <sstream>

namespace convo {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::system_clock;

std::string format_time(TimeMs ms) {
    date::sys_time<milliseconds> tp{milliseconds{ms}};
    return date::format("%FT%TZ", tp);
}

std::optional<TimeMs> parse_time(std::string_view text) {
    // date::parse is lenient about field widths; insist on the RFC 3339 skeleton first.
    if (text.size() < 20 || text.size() > 40 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    std::string s(text);
    if (s.back() == 'z') s.back() = 'Z';
    s[10] = 'T';
    date::sys_time<microseconds> tp;
    std::istringstream in(s);
    if (s.back() == 'Z') {
        in >> date::parse("%FT%TZ", tp);
    } else {
        in >> date::parse("%FT%T%Ez", tp);
    }
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
    return std::chrono::floor<milliseconds>(tp.time_since_epoch()).count();
}

}  // namespace convo
