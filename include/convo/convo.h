/*
 * convo — an embeddable conversation-orchestration engine.
 *
 * This header is the whole public interface. It is C99 and compiles with
 * -pedantic -Wall -Wextra -Werror. Data crosses the boundary as UTF-8 JSON text.
 *
 * Conventions (they hold for every function below unless its comment says otherwise):
 *   - Every call that can fail returns a convo_code; CONVO_OK is 0. Codes are frozen;
 *     new ones are only appended.
 *   - After a failure, convo_last_error() describes it (thread-local, names the field and
 *     the rule). After a success it is "".
 *   - A failed call changes nothing: no row, no event, no timer.
 *   - `char **out_json` results belong to the caller and are freed with convo_free().
 *     On failure *out_json is set to NULL. `const char *` returns are borrowed.
 *   - A NULL handle or a NULL required argument is CONVO_EMISUSE.
 *   - Handles are thread-safe: an engine and its sessions may be used from any thread.
 *     A call that changes something returns once that change is committed (durable with
 *     "synchronous":"full"); calls made at the same time from several threads share one
 *     commit (group commit), so they scale with threads while each still waits for its own.
 *   - No C++ exception ever leaves this library.
 *   - Times are RFC 3339 UTC strings with milliseconds and "Z" ("2026-01-02T03:04:05.678Z");
 *     integer times (convo_clock_now and friends) are Unix milliseconds.
 */
#ifndef CONVO_CONVO_H
#define CONVO_CONVO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(CONVO_BUILDING_LIBRARY)
#    define CONVO_API __declspec(dllexport)
#  else
#    define CONVO_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define CONVO_API __attribute__((visibility("default")))
#else
#  define CONVO_API
#endif

#define CONVO_VERSION        "0.1.0"
#define CONVO_VERSION_NUMBER 1000 /* major * 1000000 + minor * 1000 + patch */

typedef struct convo_engine convo_engine;
typedef struct convo_session convo_session;

/* Result codes. The comment gives the HTTP status convo_http_status() maps each to. */
typedef enum convo_code {
    CONVO_OK = 0,
    CONVO_EINVALID = 1,      /* 422 request body/parameters failed validation */
    CONVO_EPRECONDITION = 2, /* 400 understood but cannot be fulfilled: unknown agent,
                                unpublished version, usage limit */
    CONVO_EFORBIDDEN = 3,    /* 403 the session's scopes do not allow it */
    CONVO_ENOTFOUND = 4,     /* 404 */
    CONVO_ECONFLICT = 5,     /* 409 event not allowed in the current status; id owned by
                                another organization; database in use */
    CONVO_ESTORAGE = 6,      /* 503 database error; nothing was changed (if a COMMIT itself
                                failed, the change may or may not be on disk: the engine then
                                refuses every call until it is closed and reopened) */
    CONVO_EINTERNAL = 7,     /* 500 */
    CONVO_EMISUSE = 8        /* NULL handle/argument, manual-clock call on a system clock, ... */
} convo_code;

/* Session scopes, OR-ed together (like an API token's role). */
#define CONVO_SCOPE_READ      1u /* get, list, events, agent get */
#define CONVO_SCOPE_WRITE     2u /* create, dispatch */
#define CONVO_SCOPE_SENSITIVE 4u /* see sensitive fields (agent, summary, initial_context,
                                    custom_metadata, conversation, recording_details) */
#define CONVO_SCOPE_ADMIN     8u /* manage agents */

/* A feed subscriber. `event_json` is one feed event (see convo_events), borrowed for the
 * duration of the call. Called after the change has committed, outside any engine lock,
 * strictly in seq order, on the thread that made the change or the timer thread. When
 * several threads commit at once, one of them delivers the queued events of all of them
 * in order, and the others wait until their own events have been delivered. The callback
 * may call any convo function, including ones that make changes: the events of those
 * changes are delivered after the callback returns, never recursively. */
typedef void (*convo_event_fn)(void *user_data, const char *event_json);

/* A log handler: `level` is one of CONVO_LOG_*; `message` is borrowed for the call. Called
 * on the thread that logs, with the engine's log sink locked: it must not call convo
 * functions and should return quickly. */
typedef void (*convo_log_fn)(void *user_data, int level, const char *message);
#define CONVO_LOG_TRACE    0
#define CONVO_LOG_DEBUG    1
#define CONVO_LOG_INFO     2
#define CONVO_LOG_WARN     3
#define CONVO_LOG_ERROR    4
#define CONVO_LOG_CRITICAL 5

/* ---- Library ------------------------------------------------------------------------- */

/* The library's version, "x.y.z". Compare with CONVO_VERSION to check that the header and
 * the library agree. Borrowed, static. */
CONVO_API const char *convo_version(void);

/* The code's name, "CONVO_EINVALID"; "CONVO_UNKNOWN" for a value outside the enum.
 * Borrowed, static. */
CONVO_API const char *convo_code_name(convo_code code);

/* The HTTP status a REST host should answer with:
 * 200, 422, 400, 403, 404, 409, 503, 500, 500; 500 for a value outside the enum. */
CONVO_API int convo_http_status(convo_code code);

/* Detail of the last failure on this thread; "" after a success. Never NULL. Borrowed:
 * valid until the next convo call on this thread. */
CONVO_API const char *convo_last_error(void);

/* Frees a result returned through a `char **` out parameter. NULL-safe. */
CONVO_API void convo_free(void *p);

/* ---- Engine and sessions --------------------------------------------------------------- */

/* Opens (creating if needed) the engine's database. `options_json` may be NULL or "{}".
 * Keys (all optional; an unknown key is EINVALID):
 *   path                       string, default "convo.db"; ":memory:" for a private
 *                              in-memory database
 *   clock                      "system" (default) | "manual"
 *   start                      RFC 3339, the manual clock's initial time (default: now)
 *   synchronous                "full" (default) | "normal"
 *   platform_max_open_minutes  integer >= 1, default 1440; caps max_open and idle minutes
 *   ring_timeout_seconds       integer >= 1, default 60
 *   dial_timeout_seconds       integer >= 1, default 300
 *   token_ttl_seconds          integer >= 1, default 600
 *   wrap_up_timeout_seconds    integer >= 1, default 300: how long an ended conversation's
 *                              wrap-up stays pending before the engine finalizes it
 *   webrtc_url                 string, default "wss://localhost/rtc"
 *   max_open_per_organization  integer >= 1, default unlimited; beyond it create is
 *                              CONVO_EPRECONDITION "usage limit reached"
 *   timer_thread               bool, default false; the engine fires due timers itself on a
 *                              background thread (system clock only: EINVALID with manual)
 *   log_level                  "trace" | "debug" | "info" | "warn" (default) | "error" |
 *                              "critical" | "off"
 *   seed                       integer >= 0: ids and webrtc tokens come from a generator
 *                              with this seed, so a simulation repeats byte for byte.
 *                              Tokens become guessable: never in production.
 *   max_request_bytes          integer, default 1048576: largest JSON input of a call
 *   max_message_bytes          integer, default 65536: largest free-text field
 *   max_metadata_bytes         integer, default 65536: largest object field, as JSON
 *                              (identifiers are capped at 256 bytes; see docs/c-api.md)
 * A database already open in another engine or process is CONVO_ECONFLICT.
 * On success *out_engine is the caller's, released with convo_engine_close(). */
CONVO_API convo_code convo_engine_open(const char *options_json, convo_engine **out_engine);

/* Routes the engine's log messages (those at or above the log_level option) to `fn`
 * instead of stderr; fn NULL restores stderr. Takes effect for messages logged after it
 * returns. */
CONVO_API convo_code convo_engine_set_log_handler(convo_engine *engine, convo_log_fn fn,
                                                  void *user_data);

/* Stops the timer thread, closes the database and frees the engine. Sessions of the
 * engine must be closed first. NULL-safe. Must not be called from a subscriber. */
CONVO_API void convo_engine_close(convo_engine *engine);

/* Opens one organization's view of the engine. `organization_id`: 1-128 characters of
 * [A-Za-z0-9_.:-]. `scopes`: CONVO_SCOPE_* bits. Everything the session reads or writes is
 * in its organization; another organization's conversation is CONVO_ENOTFOUND.
 * Released with convo_session_close(). */
CONVO_API convo_code convo_session_open(convo_engine *engine, const char *organization_id,
                                        unsigned scopes, convo_session **out_session);

/* Frees the session. NULL-safe. */
CONVO_API void convo_session_close(convo_session *session);

/* Chooses the API shape the session's requests are read in and its conversations and events
 * are written in: "anyreach" (the default; the shapes in docs/c-api.md), "wassist" (WhatsApp)
 * or "helloannie" (CHAT/SMS); docs/formats.md maps them field by field. Applies to create,
 * get, list, dispatch and events; errors then name fields as that API does. Agents, list
 * queries and subscriber callbacks keep the native shape. Unknown format → CONVO_EINVALID.
 * May be called at any time; calls already running keep the format they started with. */
CONVO_API convo_code convo_session_set_format(convo_session *session, const char *format);

/* ---- Agents ---------------------------------------------------------------------------- */

/* Creates or replaces an agent of the session's organization (ADMIN).
 * {"id":"agent_abc","name":"Support","phone_number":"+18885550000",
 *  "versions":[{"version":1,"published":true,"greeting":"Hi!","speaks_first":true,
 *               "default_subject":"Hello","capabilities":{"supportsVideoInput":false,
 *               "supportsScreenShare":false}}]}
 * Writes the stored agent to *out_json; every version carries a stable "id" (its
 * agent_version_id) that stays the same across puts. */
CONVO_API convo_code convo_agent_put(convo_session *s, const char *agent_json, char **out_json);

/* Reads an agent of the session's organization (READ). CONVO_ENOTFOUND if absent. */
CONVO_API convo_code convo_agent_get(convo_session *s, const char *agent_id, char **out_json);

/* ---- Conversations --------------------------------------------------------------------- */

/* Creates a conversation (WRITE) from an AnyReach create request. Writes the channel's
 * response to *out_json and its HTTP status (200, or 202 for telephone) to
 * *out_http_status when that is not NULL:
 *   text     200 {"conversation":{...},"starting_message":"<greeting>"|null}
 *   email    200 {"conversation":{...},"starting_message":null}
 *   webrtc   200 {"conversation":{...},"connection_details":{"url":...,"token":...},
 *                 "capabilities":{...}}
 *   telephone 202 {"contact_id":"<conversation id>"}
 * A repeated client "id" returns the stored response unchanged and appends no event. */
CONVO_API convo_code convo_create(convo_session *s, const char *request_json, char **out_json,
                                  int *out_http_status);

/* Reads a conversation (READ). Sensitive fields only with CONVO_SCOPE_SENSITIVE. */
CONVO_API convo_code convo_get(convo_session *s, const char *conversation_id, char **out_json);

/* Lists conversations (READ), newest first: {"items":[...],"next_cursor":"..."|null}.
 * `query_json` may be NULL or "{}"; keys: status (string or array), channel, direction,
 * agent_id, agent_version_id, user_id, agent_number, custom_metadata (every given key
 * equals), created_after, created_before, limit (1-100, default 20), cursor. */
CONVO_API convo_code convo_list(convo_session *s, const char *query_json, char **out_json);

/* Applies one lifecycle event (WRITE): {"type":...,"event_id"?:...,"at"?:...,...}.
 * Writes the conversation as it stands afterwards to *out_json (the same shape as
 * convo_get). An event not allowed in the current status is CONVO_ECONFLICT and changes
 * nothing; a repeated event_id is CONVO_OK and changes nothing. Deadlines of the
 * conversation that passed before the event's time take effect first, at their own times,
 * exactly as convo_tick would have fired them (so a message after an idle deadline finds
 * the conversation completed: CONVO_ECONFLICT, with the timeout recorded). */
CONVO_API convo_code convo_dispatch(convo_session *s, const char *conversation_id,
                                    const char *event_json, char **out_json);

/* Reads the session organization's feed (READ): events with seq > after_seq, oldest first,
 * at most `limit` (1-1000; 0 means 100): {"events":[...],"next_seq":n}. Pass next_seq back
 * as after_seq to read on. */
CONVO_API convo_code convo_events(convo_session *s, uint64_t after_seq, unsigned limit,
                                  char **out_json);

/* ---- Feed subscribers, timers, clock --------------------------------------------------- */

/* Registers `fn` for every event of every organization as it commits. *out_subscription
 * identifies it for convo_unsubscribe(). */
CONVO_API convo_code convo_subscribe(convo_engine *e, convo_event_fn fn, void *user_data,
                                     uint64_t *out_subscription);

/* Removes a subscriber; CONVO_ENOTFOUND if unknown. Once it returns, `fn` is never called
 * again, so `user_data` may be freed: called from another thread while `fn` is running, it
 * waits for that call to return; called from inside a subscriber, it takes effect at once
 * (a subscriber may remove itself). */
CONVO_API convo_code convo_unsubscribe(convo_engine *e, uint64_t subscription);

/* Fires every timer due at the clock's now, in deadline order, each at its own deadline
 * time. *out_fired (may be NULL) receives how many fired. Timers are committed in batches:
 * on CONVO_ESTORAGE, *out_fired counts those that fired and were committed before the
 * failure (they stay fired; the rest stay due). */
CONVO_API convo_code convo_tick(convo_engine *e, unsigned *out_fired);

/* The earliest pending deadline (Unix ms); CONVO_ENOTFOUND when no timer is pending. */
CONVO_API convo_code convo_next_deadline(convo_engine *e, int64_t *out_unix_ms);

/* The engine clock's now (Unix ms). */
CONVO_API convo_code convo_clock_now(convo_engine *e, int64_t *out_unix_ms);

/* Sets the manual clock (CONVO_EMISUSE on a system clock). Never backwards: an earlier
 * time is CONVO_EINVALID, as is a time outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59.999Z
 * (0..253402300799999). Does not fire timers: call convo_tick(). */
CONVO_API convo_code convo_clock_set(convo_engine *e, int64_t unix_ms);

/* The lifecycle table the engine runs on, as JSON (read from the same table the engine
 * steps with; bindings, docs and tools use it instead of restating the table):
 * {"statuses":[{"name":"triggered","terminal":false},...],
 *  "channels":["telephone","webrtc","email","text","sms","whatsapp"],
 *  "initial":[{"channel":"telephone","direction":"inbound","status":"ringing"},
 *             {"channel":"text","direction":null,"status":"in_progress"},...],
 *  "events":[{"name":"answered","transitions":[{"from":"triggered","to":"in_progress",
 *             "channels":["telephone"]},...]},...],
 *  "timers":[{"name":"ring","armed_in":["ringing"],"channels":[...],"reset_by":[],
 *             "length":"ring_timeout_seconds","fires":[{"from":"ringing","to":"unanswered"}],
 *             "end_reason":"ring_timeout","closes":true,"when":"always","effect":"status"},
 *            {"name":"wrap_up","armed_in":["completed",...],...,"fires":[],"closes":false,
 *             "when":"wrap_up_pending","effect":"finalize"},...]}
 * An event whose status stays the same (message, annotate, takeover, ...) has transitions with
 * to == from. A timer's "when" is what else must hold for it to be armed ("always",
 * "human_takeover", "wrap_up_pending"); its "effect" is "status" (it moves the status by
 * "fires"), "handback" or "finalize". */
CONVO_API convo_code convo_describe(convo_engine *e, char **out_json);

#ifdef __cplusplus
}
#endif

#endif /* CONVO_CONVO_H */
