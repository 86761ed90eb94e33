// Options every subcommand shares (`convo --db FILE --org ORG <command>`).
#pragma once

#include <string>

namespace CLI {
class Option;
}

namespace convo_cli {

struct GlobalOptions {
    std::string db = "convo.db";
    std::string org = "default";
    CLI::Option *db_option = nullptr;  // to tell an explicit --db from the default
};

}  // namespace convo_cli
