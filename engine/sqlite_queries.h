// The queries on the engine's hot paths, shared by the store and the test that checks, with
// EXPLAIN QUERY PLAN, that each one runs on an index.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "requests.h"

namespace convo::sql {

inline constexpr const char *kDue =
    "SELECT organization_id, id FROM conversations WHERE next_deadline <= ? "
    "ORDER BY next_deadline, rid LIMIT ?";
inline constexpr const char *kNextDeadline =
    "SELECT min(next_deadline) FROM conversations WHERE next_deadline IS NOT NULL";
inline constexpr const char *kReadEvents =
    "SELECT seq, conversation_id, type, from_status, to_status, reason, at, data "
    "FROM events WHERE organization_id = ? AND seq > ? ORDER BY seq LIMIT ?";
inline constexpr const char *kCountOpen =
    "SELECT count(*) FROM conversations WHERE organization_id = ? AND status IN "
    "('token_created','triggered','ringing','in_progress')";

// A list query as SQL text and its parameters, in order.
struct ListSql {
    std::string text;
    std::vector<std::variant<int64_t, std::string>> params;
};
// `columns` are the selected columns; the result is newest first, limit + 1 rows (the extra row
// says whether there is a next page).
ListSql list_query(const char *columns, const std::string &org, const ListQuery &q);

}  // namespace convo::sql
