// A progress bar on stderr when it is a terminal; otherwise a few plain lines (CI logs).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace convo_cli {

class Progress {
public:
    Progress(std::string label, std::size_t total);

    // `note` is shown after the counts, e.g. the virtual time.
    void update(std::size_t done, const std::string &note);
    void finish(const std::string &note);

private:
    void draw(std::size_t done, const std::string &note);

    std::string label_;
    std::size_t total_;
    bool tty_;
    int last_quarter_ = 0;
    std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace convo_cli
