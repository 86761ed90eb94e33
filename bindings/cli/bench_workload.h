// What `convo bench` asks of convo, in one place: the engine options, the requests and the
// list filters. The raw baseline writes the rows these requests make convo write, and its
// queries use the same filter values, so both sides do the same work.
#pragma once

#include <convo/convo.h>

#include <cstdint>
#include <string>

#include "bench_sqlite.h"

namespace convo_cli::bench::workload {

constexpr const char *kOrganization = "bench";
// 2026-01-01T00:00:00Z. Every run starts its manual clocks here, so the rows repeat run to run.
constexpr int64_t kStartMs = 1767225600000;
// Every conversation carries custom_metadata {"account": "acct-<j>"}, j one of kAccounts values:
// a metadata filter matches one conversation in kAccounts, enough to fill a page of 20 from
// 1,000 conversations on (so every population size lists the same amount).
constexpr const char *kMetadataKey = "account";
constexpr int64_t kAccounts = 50;
// The status filter: ended conversations (a tenth of a population).
constexpr const char *kEndedStatus = "completed";
constexpr int kListLimit = 20;  // convo_list's default page

// The scopes of the sessions that create and dispatch: not SENSITIVE, so that convo's answer
// carries no transcript, which the baseline's writes do not read either. Reads (get, list) use
// every scope, and the baseline reads the transcripts there too.
constexpr unsigned kWriterScopes = CONVO_SCOPE_READ | CONVO_SCOPE_WRITE;

// A file database with the manual clock (no timer fires unless the bench ticks) starting at
// `start_ms`.
std::string engine_options(const std::string &path, Sync sync, int64_t start_ms);

std::string user_id(int64_t k);
std::string account(int64_t k);
// The metadata value column as convo stores it: the value's JSON text.
std::string stored_account(int64_t k);

// A text conversation with an inline agent (its greeting becomes the first message), custom
// metadata, and a one-day idle timeout (so no timer falls due during a run).
std::string create_request(int64_t k);
// A user message with an event_id (so the dispatch also records the id for idempotency).
std::string message_event(const std::string &event_id);
std::string close_event();
std::string finalize_event();

std::string status_query();
std::string metadata_query(int64_t k);  // the conversations whose account is account(k)

// The conversation id in a convo_create response.
std::string created_id(const std::string &response_json);

}  // namespace convo_cli::bench::workload
