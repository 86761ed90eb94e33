// Where a JSON argument comes from: the text itself, "-" for stdin, "@FILE" for a file.
#pragma once

#include <string>

namespace convo_cli {

std::string read_input(const std::string &argument);

}  // namespace convo_cli
