// Human tables (--table) for what the data commands print: a conversation, a list page, and
// feed events.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "table.h"

namespace convo_cli {

// A JSON value as a table cell: strings bare, null as "-", arrays joined with ", ".
std::string cell(const nlohmann::ordered_json &value);

void print_conversation(const nlohmann::ordered_json &conversation, std::ostream &os);
void print_conversation_page(const nlohmann::ordered_json &page, std::ostream &os);

Table event_table();
std::vector<std::string> event_row(const nlohmann::ordered_json &event);

}  // namespace convo_cli
