// Identifiers: conversation UUIDs (time-ordered v7), join tokens, and the checks on ids the
// host supplies.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "time_format.h"

namespace convo {

class IdSource {
public:
    // Seeded from the OS, or from `seed` for reproducible simulations (ids and tokens then
    // repeat from run to run: never in production). `history` (the store's size at open) is
    // mixed into a seed, so a reopened seeded engine does not repeat the ids of its last run.
    explicit IdSource(std::optional<uint64_t> seed = std::nullopt, uint64_t history = 0);
    // RFC 9562 UUIDv7: 48 bits of Unix ms, then random bits. Lower case, 8-4-4-4-12.
    std::string uuid_v7(TimeMs now);
    // 258 bits, base64url without padding (43 characters): from the OS's random source, or
    // from the seeded generator when seeded.
    std::string join_token();

private:
    std::mt19937_64 rng_;
    bool seeded_ = false;
};

bool is_uuid(std::string_view s);               // 8-4-4-4-12 hex digits, any case
bool is_e164(std::string_view s);               // ^\+[1-9][0-9]{1,14}$
bool is_email(std::string_view s);              // local@domain.tld, no spaces, one @
bool is_simple_id(std::string_view s);          // 1-128 of [A-Za-z0-9_.:-]

}  // namespace convo
