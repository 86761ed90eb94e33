#include "views.h"

namespace convo_cli {

using json = nlohmann::ordered_json;  // keeps the engine's field order

std::string cell(const json &value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array()) {
        std::string joined;
        for (const json &item : value) {
            if (!joined.empty()) joined += ", ";
            joined += cell(item);
        }
        return joined.empty() ? "-" : joined;
    }
    return value.dump();
}

static std::string field(const json &object, const char *key) {
    auto it = object.find(key);
    return it == object.end() ? "-" : cell(*it);
}

// Everything but the transcript, one field per line, in the order the API documents them.
void print_conversation(const json &conversation, std::ostream &os) {
    Table fields({{"field"}, {"value"}});
    for (auto it = conversation.begin(); it != conversation.end(); ++it) {
        if (it.key() == "conversation") continue;
        fields.add_row({it.key(), it->is_object() ? it->dump() : cell(*it)});
    }
    fields.render(os);

    auto transcript = conversation.find("conversation");
    if (transcript == conversation.end() || !transcript->is_object()) return;
    const json &messages = transcript->value("messages", json::array());
    if (messages.empty()) return;
    os << '\n';
    Table lines({{"at"}, {"role"}, {"text"}});
    for (const json &m : messages)
        lines.add_row({field(m, "at"), field(m, "role"), field(m, "text")});
    lines.render(os);
}

void print_conversation_page(const json &page, std::ostream &os) {
    Table rows({{"id"},
                {"channel"},
                {"direction"},
                {"status"},
                {"user_id"},
                {"created_at"},
                {"duration", Align::right},
                {"end_reason"}});
    for (const json &c : page.value("items", json::array())) {
        rows.add_row({field(c, "id"), field(c, "channel"), field(c, "direction"),
                      field(c, "status"), field(c, "user_id"), field(c, "created_at"),
                      field(c, "duration"), field(c, "end_reason")});
    }
    rows.render(os);
    const json next = page.value("next_cursor", json());
    if (!next.is_null()) os << "next_cursor: " << cell(next) << '\n';
}

Table event_table() {
    return Table({{"seq", Align::right, 6},
                  {"at", Align::left, 24},
                  {"conversation_id", Align::left, 36},
                  {"type", Align::left, 14},
                  {"from", Align::left, 13},
                  {"to", Align::left, 13},
                  {"reason", Align::left, 16},
                  {"data"}});
}

// An event's data as key=value pairs: "role=user text=hi", "timer=ring".
static std::string data_pairs(const json &event) {
    auto data = event.find("data");
    if (data == event.end() || !data->is_object()) return "";
    std::string out;
    for (auto it = data->begin(); it != data->end(); ++it) {
        out +=
            (out.empty() ? "" : " ") + it.key() + "=" + (it->is_object() ? it->dump() : cell(*it));
    }
    return out;
}

std::vector<std::string> event_row(const json &event) {
    return {field(event, "seq"),    field(event, "at"),   field(event, "conversation_id"),
            field(event, "type"),   field(event, "from"), field(event, "to"),
            field(event, "reason"), data_pairs(event)};
}

}  // namespace convo_cli
