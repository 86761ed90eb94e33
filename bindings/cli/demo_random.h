// The demo's dice: std::mt19937_64 with the arithmetic done here rather than by the standard
// distributions, whose output differs between standard libraries. Same seed, same day,
// everywhere.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace convo_cli {

template <typename T>
struct Weighted {
    double weight;
    T value;
};

class DemoRandom {
public:
    explicit DemoRandom(uint64_t seed) : engine_(seed) {}

    // Uniform in [0, 1).
    double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return unit() < p; }
    // Uniform integer in [lo, hi].
    int64_t between(int64_t lo, int64_t hi) {
        return lo + static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
    }
    // An index drawn with the given (not necessarily normalized) weights.
    std::size_t weighted(const std::vector<double> &weights) {
        double total = 0;
        for (double w : weights) total += w;
        double roll = unit() * total;
        for (std::size_t i = 0; i < weights.size(); ++i) {
            if (roll < weights[i]) return i;
            roll -= weights[i];
        }
        return weights.size() - 1;
    }
    // One of the values, drawn by their weights.
    template <typename T>
    const T &choose(const std::vector<Weighted<T>> &options) {
        std::vector<double> weights;
        for (const auto &o : options) weights.push_back(o.weight);
        return options[weighted(weights)].value;
    }
    template <typename T>
    const T &pick(const std::vector<T> &items) {
        return items[static_cast<std::size_t>(between(0, static_cast<int64_t>(items.size()) - 1))];
    }

private:
    std::mt19937_64 engine_;
};

}  // namespace convo_cli
