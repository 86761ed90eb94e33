#include "input.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>

namespace convo_cli {

static std::string slurp(std::istream &in) {
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string read_input(const std::string &argument) {
    if (argument == "-") return slurp(std::cin);
    if (!argument.empty() && argument[0] == '@') {
        std::ifstream file(argument.substr(1), std::ios::binary);
        if (!file) throw std::runtime_error("cannot read " + argument.substr(1));
        return slurp(file);
    }
    return argument;
}

}  // namespace convo_cli
