// Sections 1 and 2: what one change costs, one transaction per call, and what concurrent callers
// get. convo and the baseline each write to their own database of the same schema, so the
// databases can be compared row for row afterwards.
#include <iostream>
#include <map>
#include <memory>

#include "bench_raw.h"
#include "bench_sections.h"
#include "bench_workload.h"
#include "capi_client.h"

namespace convo_cli::bench {

namespace {

constexpr int kThreadCounts[] = {1, 2, 4, 8};

// Each Pair is convo first, the baseline second.
struct SyncRuns {
    Pair create, dispatch;
    std::map<int, Pair> threads;  // by thread count
};

// Thread `thread` of `threads` owns the conversations whose index is `thread` mod `threads`:
// no two threads ever touch the same conversation.
std::size_t owned(int threads, int thread, int64_t i, int64_t conversations) {
    const int64_t per_thread = conversations / threads;
    return static_cast<std::size_t>(thread + threads * (i % per_thread));
}

SyncRuns measure(const std::string &dir, Sync sync, const Templates &templates, const Plan &plan,
                 std::vector<CountCheck> &checks) {
    using namespace workload;
    const std::string name = sync_name(sync);
    const std::string convo_path = dir + "/" + name + "-convo.db";
    const std::string raw_path = dir + "/" + name + "-raw.db";
    create_convo_schema(raw_path);

    SyncRuns runs;
    const int64_t n = plan.ops;
    {
        Engine engine(engine_options(convo_path, sync, kStartMs));
        Session session(engine, kOrganization, kWriterScopes);
        RawBaseline raw(raw_path, sync);
        std::vector<std::string> requests, users, convo_ids(static_cast<std::size_t>(n)),
            raw_ids(static_cast<std::size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            requests.push_back(create_request(i + 1));
            users.push_back(user_id(i + 1));
        }
        auto at = [](int64_t i) { return kStartMs + 1 + i; };  // creates 1 ms apart on both sides
        auto slot = [](std::vector<std::string> &v, int64_t i) -> std::string & {
            return v[static_cast<std::size_t>(i)];
        };
        std::cerr << "bench: create and dispatch, synchronous=" << name << "\n";
        runs.create = alternating_calls(
            n,
            [&](int64_t i) {
                engine.set_clock(at(i));
                slot(convo_ids, i) = session.create(slot(requests, i)).json;
            },
            [&](int64_t i) {
                slot(raw_ids, i) = raw.create(templates.create, at(i), slot(users, i));
            });
        for (std::string &id : convo_ids) id = created_id(id);

        // Dispatches leave the clock where it is: no timer can fall due in between.
        const int64_t now = at(n - 1);
        auto event_id = [](int threads, int thread, int64_t i) {
            return "evt-" + std::to_string(threads) + "-" + std::to_string(thread) + "-" +
                   std::to_string(i);
        };
        std::vector<std::string> event_ids, events;
        for (int64_t i = 0; i < n; ++i) {
            event_ids.push_back(event_id(0, 0, i));
            events.push_back(message_event(event_ids.back()));
        }
        runs.dispatch = alternating_calls(
            n, [&](int64_t i) { session.dispatch(slot(convo_ids, i), slot(events, i)); },
            [&](int64_t i) {
                raw.dispatch(templates.dispatch, slot(raw_ids, i), now, slot(event_ids, i));
            });

        for (int threads : kThreadCounts) {
            std::cerr << "bench: dispatch on " << threads << " thread(s), synchronous=" << name
                      << "\n";
            // Every thread makes n calls: split n ways, 8 threads made a handful of calls per
            // slice, and the run measured starting threads more than committing.
            const int64_t per_thread = n;
            std::vector<std::unique_ptr<Session>> sessions;
            std::vector<std::vector<std::string>> ids(static_cast<std::size_t>(threads)),
                bodies(static_cast<std::size_t>(threads));
            for (int t = 0; t < threads; ++t) {
                sessions.push_back(std::make_unique<Session>(engine, kOrganization, kWriterScopes));
                for (int64_t i = 0; i < per_thread; ++i) {
                    ids[static_cast<std::size_t>(t)].push_back(event_id(threads, t, i));
                    bodies[static_cast<std::size_t>(t)].push_back(
                        message_event(event_id(threads, t, i)));
                }
            }
            runs.threads[threads] = alternating_threads(
                threads, per_thread,
                [&](int t, int64_t i) {
                    sessions[static_cast<std::size_t>(t)]->dispatch(
                        convo_ids[owned(threads, t, i, n)],
                        slot(bodies[static_cast<std::size_t>(t)], i));
                },
                [&](int t, int64_t i) {
                    raw.dispatch(templates.dispatch, raw_ids[owned(threads, t, i, n)], now,
                                 slot(ids[static_cast<std::size_t>(t)], i));
                });
        }
    }

    // Both closed: the two databases must hold the same rows, table by table.
    Database convo_db(convo_path), raw_db(raw_path);
    add_count_checks(checks, "synchronous=" + name + ", creates and dispatches",
                     table_row_counts(convo_db), table_row_counts(raw_db));
    return runs;
}

}  // namespace

TransactionSections run_transaction_sections(const std::string &dir, const Templates &templates,
                                             const Plan &plan, std::vector<CountCheck> &checks) {
    TransactionSections out;
    out.per_transaction = {"per_transaction", "1. one transaction per call", {}};
    out.concurrency = {"concurrency", "2. concurrent dispatch", {}};
    for (Sync sync : {Sync::full, Sync::normal}) {
        const SyncRuns runs = measure(dir, sync, templates, plan, checks);
        const std::string s = std::string(", synchronous=") + sync_name(sync);
        const struct {
            const char *name;
            const Run &convo, &raw;
        } operations[] = {{"create", runs.create.first, runs.create.second},
                          {"dispatch", runs.dispatch.first, runs.dispatch.second}};
        for (const auto &op : operations) {
            const std::string name = op.name;
            out.per_transaction.rows.push_back({name + s, Unit::per_second, rate_figure(op.convo),
                                                rate_figure(op.raw), Target::ratio_at_least(0.9)});
            out.per_transaction.rows.push_back({name + " latency" + s,
                                                Unit::micros,
                                                latency_figure(op.convo),
                                                latency_figure(op.raw),
                                                {}});
        }

        const Run &raw_single = runs.threads.at(1).second;
        for (int threads : kThreadCounts) {
            const Run &convo = runs.threads.at(threads).first;
            const Run &raw = runs.threads.at(threads).second;
            const std::string t = std::to_string(threads) + (threads == 1 ? " thread" : " threads");
            // The group-commit target: 8 threads at full against the single-transaction baseline.
            const Target target = threads == 8 && sync == Sync::full
                                      ? Target::ratio_at_least(3, "raw (same threads)")
                                      : Target{};
            auto &c = out.concurrency.rows;
            c.push_back({"dispatch, " + t + s, Unit::per_second, rate_figure(convo),
                         rate_figure(raw), target});
            if (threads > 1) {
                c.push_back({"  the same vs raw on 1 thread",
                             Unit::per_second,
                             rate_figure(convo),
                             rate_figure(raw_single),
                             {}});
            }
            if (threads == 1 || threads == 8) {
                c.push_back({"dispatch latency, " + t + s,
                             Unit::micros,
                             latency_figure(convo),
                             latency_figure(raw),
                             {}});
            }
        }
    }
    return out;
}

}  // namespace convo_cli::bench
