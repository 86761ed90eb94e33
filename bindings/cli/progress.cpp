#include "progress.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace convo_cli {

namespace {
constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(50);
}  // namespace

Progress::Progress(std::string label, std::size_t total)
    : label_(std::move(label)), total_(total == 0 ? 1 : total), tty_(isatty(fileno(stderr)) != 0) {}

void Progress::update(std::size_t done, const std::string &note) {
    if (tty_) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_draw_ < kRedrawInterval) return;
        last_draw_ = now;
        draw(done, note);
        return;
    }
    // Plain output: one line per quarter.
    const int quarter = static_cast<int>(done * 4 / total_);
    if (quarter <= last_quarter_ || quarter >= 4) return;
    last_quarter_ = quarter;
    std::fprintf(stderr, "%s: %zu/%zu (%d%%) %s\n", label_.c_str(), done, total_, quarter * 25,
                 note.c_str());
}

void Progress::finish(const std::string &note) {
    if (tty_) {
        draw(total_, note);
        std::fputc('\n', stderr);
    } else {
        std::fprintf(stderr, "%s: %zu/%zu (100%%) %s\n", label_.c_str(), total_, total_,
                     note.c_str());
    }
    std::fflush(stderr);
}

void Progress::draw(std::size_t done, const std::string &note) {
    const std::size_t filled = done * kBarWidth / total_;
    std::string bar(filled, '#');
    bar.resize(kBarWidth, '.');
    // \r back to column 0, \033[K clears what a longer previous line left behind.
    std::fprintf(stderr, "\r%s [%s] %3zu%% %zu/%zu %s\033[K", label_.c_str(), bar.c_str(),
                 done * 100 / total_, done, total_, note.c_str());
    std::fflush(stderr);
}

}  // namespace convo_cli
