#include "trial.h"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <random>

namespace crash {
namespace {

using Clock = std::chrono::steady_clock;

// Splits complete lines off `buffer` and parses them; a partial last line stays (it was never
// acknowledged: the child died writing it).
void take_lines(std::string &buffer, std::vector<json> *acks, std::vector<std::string> *failures) {
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
        json line = json::parse(buffer.begin() + static_cast<long>(start),
                                buffer.begin() + static_cast<long>(nl), nullptr, false);
        if (line.is_discarded() || !line.is_object()) {
            failures->push_back("garbled acknowledgement line: " +
                                buffer.substr(start, nl - start));
        } else {
            acks->push_back(std::move(line));
        }
    }
    buffer.erase(0, start);
}

bool read_some(int fd, std::string &buffer, bool *eof) {
    char chunk[65536];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {
        *eof = true;
        return false;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
}

}  // namespace

void record_intent(InFlight *slot, uint64_t k, const std::string &text) {
    size_t n = std::min(text.size(), sizeof(slot->intent) - 1);
    std::memcpy(slot->intent, text.data(), n);
    slot->intent[n] = '\0';
    slot->length.store(static_cast<uint32_t>(n));
    slot->started.store(k);
}

void write_all(int fd, const std::string &text) {
    const char *p = text.data();
    size_t left = text.size();
    while (left > 0) {
        ssize_t w = ::write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(3);  // the parent is gone
        p += w;
        left -= static_cast<size_t>(w);
    }
}

std::string make_trial_dir(const std::string &parent, std::string *error) {
    std::string tmpl = parent + "/convo-crash-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
        *error = "mkdtemp in " + parent + ": " + std::strerror(errno);
        return "";
    }
    return tmpl;
}

InFlight *map_in_flight(size_t count, std::string *error) {
    void *page = mmap(nullptr, sizeof(InFlight) * count, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        *error = std::string("mmap: ") + std::strerror(errno);
        return nullptr;
    }
    InFlight *slots = static_cast<InFlight *>(page);
    for (size_t i = 0; i < count; ++i) new (&slots[i]) InFlight();
    return slots;
}

void unmap_in_flight(InFlight *slots, size_t count) {
    for (size_t i = 0; i < count; ++i) slots[i].~InFlight();
    munmap(slots, sizeof(InFlight) * count);
}

json intent_of(const InFlight &slot) {
    return json::parse(std::string(slot.intent, slot.length.load()), nullptr, false);
}

json left_in_flight(const InFlight &slot, uint64_t last_acked, const std::string &who,
                    std::vector<std::string> *failures) {
    const uint64_t started = slot.started.load();
    json intent = nullptr;
    if (started > last_acked) {
        intent = intent_of(slot);
        if (intent.is_discarded()) {
            failures->push_back("unreadable in-flight record of " + who);
            intent = nullptr;
        }
    }
    if (started > last_acked + 1) {
        failures->push_back(who + " began op " + std::to_string(started) + " but op " +
                            std::to_string(last_acked + 1) + " was never acknowledged");
    }
    return intent;
}

void print_failed_trial(uint64_t seed, const std::string &kill, const std::string &dir,
                        const std::vector<std::string> &failures) {
    std::printf("FAIL seed %llu: %s; database kept in %s\n", static_cast<unsigned long long>(seed),
                kill.c_str(), dir.c_str());
    for (const std::string &f : failures) std::printf("  - %s\n", f.c_str());
}

bool make_trial_files(const std::string &parent, size_t slots, TrialFiles *out, std::string *error) {
    out->dir = make_trial_dir(parent, error);
    if (out->dir.empty()) return false;
    out->db = out->dir + "/trial.db";
    out->in_flight = map_in_flight(slots, error);
    return out->in_flight != nullptr;
}

int64_t kill_delay_us(uint64_t seed, int64_t max_delay_us) {
    std::mt19937_64 rng(seed ^ 0x5DEECE66Dull);
    const int64_t cap = std::uniform_int_distribution<int>(0, 9)(rng) == 0
                            ? std::min<int64_t>(20000, max_delay_us)
                            : max_delay_us;
    return std::uniform_int_distribution<int64_t>(0, cap)(rng);
}

ChildRun run_child(const std::function<void(int ack_fd)> &child, int64_t delay_us,
                   int64_t kill_after_ack) {
    ChildRun out;
    int fds[2];
    if (pipe(fds) != 0) {
        out.failures.push_back(std::string("pipe: ") + std::strerror(errno));
        return out;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(fds[1]);
        _exit(4);  // not reached: the child never returns
    }
    close(fds[1]);
    if (pid < 0) {
        out.failures.push_back(std::string("fork: ") + std::strerror(errno));
        close(fds[0]);
        return out;
    }

    // Read acknowledgements until the kill moment.
    std::string buffer;
    bool eof = false;
    const Clock::time_point deadline = Clock::now() + std::chrono::microseconds(delay_us);
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(120);
    for (;;) {
        Clock::time_point now = Clock::now();
        if (kill_after_ack < 0 && now >= deadline) break;
        if (now >= give_up) {
            out.failures.push_back("the child made no progress for 120 s (hang?)");
            break;
        }
        auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
            (kill_after_ack < 0 ? deadline : give_up) - now);
        timespec ts{static_cast<time_t>(left.count() / 1000000000),
                    static_cast<long>(left.count() % 1000000000)};
        pollfd pfd{fds[0], POLLIN, 0};
        int n = ppoll(&pfd, 1, &ts, nullptr);
        if (n <= 0) continue;
        if (!read_some(fds[0], buffer, &eof)) break;
        take_lines(buffer, &out.acks, &out.failures);
        if (kill_after_ack >= 0 && out.acks.size() >= static_cast<size_t>(kill_after_ack)) break;
        const std::string last = out.acks.empty() ? "" : out.acks.back().value("op", "");
        if (last == "done" || last == "fatal") break;
    }
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
        out.failures.push_back("the child ended on its own (status " + std::to_string(status) +
                               ")");
    }
    // Lines written before the kill are in the pipe: they were acknowledged.
    while (!eof && read_some(fds[0], buffer, &eof)) {
    }
    take_lines(buffer, &out.acks, &out.failures);
    close(fds[0]);
    return out;
}

void keep_killed_files(const std::string &dir, const std::string &db) {
    std::error_code ec;
    std::filesystem::create_directory(dir + "/killed", ec);
    for (const char *suffix : {"", "-wal", "-journal"}) {
        std::filesystem::copy_file(db + suffix, dir + "/killed/trial.db" + suffix, ec);
    }
}

}  // namespace crash
