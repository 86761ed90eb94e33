// Time-ordered ids for the rows the bench writes itself (the raw baseline and the cloned
// populations). convo names conversations with UUIDv7, whose leading timestamp keeps inserts at
// the right edge of the id index; random v4 ids would make the baseline pay for scattered
// index pages that convo does not, and the comparison would flatter convo.
#pragma once

#include <cstdint>
#include <string>

namespace convo_cli::bench {

// A lowercase RFC 9562 version-7 UUID: 48 bits of `unix_ms`, then bits derived from `unique`,
// so equal inputs give equal ids (a population can be rebuilt and its ids computed again) and
// distinct `unique` values give distinct ids within one millisecond.
std::string uuid_v7(int64_t unix_ms, uint64_t unique);

}  // namespace convo_cli::bench
