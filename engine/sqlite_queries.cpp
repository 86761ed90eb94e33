#include "sqlite_queries.h"

#include <cstring>

namespace convo::sql {

ListSql list_query(const char *columns, const std::string &org, const ListQuery &q) {
    ListSql out;
    // Conversations are `c`. With a metadata filter the query is driven by the metadata index
    // `m` (organization, key, value, created_at, rid), which is already in list order; the
    // range, order and paging then run on whichever table drives.
    const bool by_metadata = !q.metadata.empty();
    const std::string order = by_metadata ? "m." : "c.";
    std::string select;
    for (const char *p = columns; *p != '\0';) {
        const char *comma = std::strchr(p, ',');
        std::string column(p, comma ? size_t(comma - p) : std::strlen(p));
        select += (select.empty() ? "c." : ", c.") + column.substr(column.find_first_not_of(' '));
        p = comma ? comma + 1 : p + std::strlen(p);
    }
    out.text = "SELECT " + select;
    auto where = [&](const std::string &clause, auto value) {
        out.text += " AND " + clause;
        out.params.emplace_back(value);
    };
    size_t first_metadata = 0;
    if (by_metadata) {
        out.text += " FROM conversation_metadata m JOIN conversations c ON c.rid = m.rid"
                    " WHERE m.organization_id = ? AND m.key = ? AND m.value = ?";
        out.params.emplace_back(org);
        out.params.emplace_back(q.metadata[0].first);
        out.params.emplace_back(q.metadata[0].second);
        first_metadata = 1;
    } else {
        out.text += " FROM conversations c WHERE c.organization_id = ?";
        out.params.emplace_back(org);
    }
    if (!q.statuses.empty()) {
        out.text += " AND c.status IN (";
        for (size_t i = 0; i < q.statuses.size(); ++i) {
            out.text += i ? ",?" : "?";
            out.params.emplace_back(std::string(status_name(q.statuses[i])));
        }
        out.text += ")";
    }
    if (q.channel) where("c.channel = ?", std::string(channel_name(*q.channel)));
    if (q.direction) where("c.direction = ?", std::string(direction_name(*q.direction)));
    if (q.agent_id) where("c.agent_id = ?", *q.agent_id);
    if (q.agent_version_id) where("c.agent_version_id = ?", *q.agent_version_id);
    if (q.user_id) where("c.user_id = ?", *q.user_id);
    if (q.agent_number) where("c.agent_number = ?", *q.agent_number);
    for (size_t i = first_metadata; i < q.metadata.size(); ++i) {
        out.text += " AND EXISTS (SELECT 1 FROM conversation_metadata k WHERE k.organization_id = ?"
                    " AND k.key = ? AND k.value = ? AND k.created_at = c.created_at AND k.rid = c.rid)";
        out.params.emplace_back(org);
        out.params.emplace_back(q.metadata[i].first);
        out.params.emplace_back(q.metadata[i].second);
    }
    if (q.created_after) where(order + "created_at > ?", int64_t(*q.created_after));
    if (q.created_before) where(order + "created_at < ?", int64_t(*q.created_before));
    if (q.cursor) {
        out.text += " AND (" + order + "created_at, " + order + "rid) < (?, ?)";
        out.params.emplace_back(int64_t(q.cursor->first));
        out.params.emplace_back(int64_t(q.cursor->second));
    }
    out.text += " ORDER BY " + order + "created_at DESC, " + order + "rid DESC LIMIT ?";
    out.params.emplace_back(int64_t(q.limit) + 1);
    return out;
}

}  // namespace convo::sql
