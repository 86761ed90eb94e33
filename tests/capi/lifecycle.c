/* A full conversation lifecycle driven through <convo/convo.h> from plain C99, the way a
 * C host sees the library: JSON text in, JSON text out, codes and convo_last_error(). There
 * is no JSON library here, so results are checked by searching the text. */
#include <convo/convo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, what)                                                                       \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "%s:%d: FAILED: %s (%s); last error: \"%s\"\n", __FILE__, __LINE__, \
                    what, #cond, convo_last_error());                                           \
            ++failures;                                                                         \
            goto done;                                                                          \
        }                                                                                       \
    } while (0)

#define CHECK_OK(call, what) CHECK((call) == CONVO_OK, what)

/* 2026-01-01T00:00:00.000Z */
#define START_MS ((int64_t)1767225600000LL)

static const char *const kEngineOptions =
    "{\"path\":\":memory:\",\"clock\":\"manual\",\"start\":\"2026-01-01T00:00:00.000Z\"}";
static const char *const kAgent =
    "{\"id\":\"agent_c\",\"name\":\"C Support\",\"phone_number\":\"+18885550000\","
    "\"versions\":[{\"version\":1,\"published\":true,\"greeting\":\"Hello from C\","
    "\"speaks_first\":true}]}";
static const char *const kCall =
    "{\"channel\":\"telephone\",\"user_id\":\"+14155551234\",\"agent_id\":\"agent_c\"}";

/* Finds "key" followed by optional blanks, ':' and blanks, and returns what comes next. */
static const char *value_of(const char *json, const char *key) {
    size_t key_len = strlen(key);
    const char *p = json;
    while (json != NULL && (p = strstr(p, "\"")) != NULL) {
        if (strncmp(p + 1, key, key_len) == 0 && p[1 + key_len] == '"') {
            const char *q = p + 2 + key_len;
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r') ++q;
            if (*q == ':') {
                ++q;
                while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r') ++q;
                return q;
            }
        }
        ++p;
    }
    return NULL;
}

/* True when the first "key" in json holds the string value. */
static int has_string(const char *json, const char *key, const char *value) {
    const char *v = value_of(json, key);
    size_t n = strlen(value);
    return v != NULL && v[0] == '"' && strncmp(v + 1, value, n) == 0 && v[1 + n] == '"';
}

/* Copies the first "key"'s string value into buf. */
static int copy_string(const char *json, const char *key, char *buf, size_t size) {
    const char *v = value_of(json, key);
    const char *end;
    if (v == NULL || *v != '"') return 0;
    end = strchr(v + 1, '"');
    if (end == NULL || (size_t)(end - v - 1) >= size) return 0;
    memcpy(buf, v + 1, (size_t)(end - v - 1));
    buf[end - v - 1] = '\0';
    return 1;
}

/* Counts "seq" entries and checks they run first, first+1, ...; returns the count or -1. */
static long gapless_seqs(const char *json, unsigned long long first) {
    const char *p = json;
    long count = 0;
    unsigned long long expected = first;
    while ((p = value_of(p, "seq")) != NULL) {
        unsigned long long seq = strtoull(p, NULL, 10);
        if (seq != expected) {
            fprintf(stderr, "seq %llu where %llu was expected\n", seq, expected);
            return -1;
        }
        ++expected;
        ++count;
    }
    return count;
}

struct counter {
    int events;
    int status_changes;
};

static void count_event(void *user_data, const char *event_json) {
    struct counter *c = (struct counter *)user_data;
    ++c->events;
    if (has_string(event_json, "type", "status_changed")) ++c->status_changes;
}

static int dispatch_expect(convo_session *s, const char *id, const char *event,
                           const char *status) {
    char *out = NULL;
    convo_code code = convo_dispatch(s, id, event, &out);
    int ok = code == CONVO_OK && out != NULL && has_string(out, "status", status);
    if (!ok) {
        fprintf(stderr, "dispatch %s: %s, expected status %s; got %s\n", event,
                convo_code_name(code), status, out != NULL ? out : convo_last_error());
    }
    convo_free(out);
    return ok;
}

int main(void) {
    convo_engine *engine = NULL;
    convo_session *s = NULL;
    char *out = NULL;
    char call[64] = "";
    char call2[64] = "";
    int http = 0;
    unsigned fired = 0;
    int64_t now = 0;
    int64_t deadline = 0;
    uint64_t subscription = 0;
    struct counter counter = {0, 0};
    convo_code code;

    /* Header and library agree. */
    CHECK(strcmp(convo_version(), CONVO_VERSION) == 0, "convo_version() == CONVO_VERSION");
    CHECK(strcmp(convo_code_name(CONVO_ECONFLICT), "CONVO_ECONFLICT") == 0, "code name");
    CHECK(convo_http_status(CONVO_EINVALID) == 422, "EINVALID is 422");

    CHECK_OK(convo_engine_open(kEngineOptions, &engine), "open an in-memory engine");
    CHECK_OK(
        convo_session_open(
            engine, "org_c",
            CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN, &s),
        "open a session");
    CHECK(strcmp(convo_last_error(), "") == 0, "no error after success");
    CHECK_OK(convo_subscribe(engine, count_event, &counter, &subscription), "subscribe");
    CHECK_OK(convo_clock_now(engine, &now), "clock now");
    CHECK(now == START_MS, "the manual clock starts at its start option");

    CHECK_OK(convo_agent_put(s, kAgent, &out), "put an agent");
    CHECK(has_string(out, "id", "agent_c"), "the agent is echoed");
    convo_free(out);
    out = NULL;

    /* Telephone: 202 with a contact id, triggered. */
    CHECK_OK(convo_create(s, kCall, &out, &http), "create a call");
    CHECK(http == 202, "telephone create answers 202");
    CHECK(copy_string(out, "contact_id", call, sizeof call), "contact_id in the response");
    convo_free(out);
    out = NULL;
    CHECK_OK(convo_get(s, call, &out), "get the call");
    CHECK(has_string(out, "status", "triggered"), "a new outbound call is triggered");
    CHECK(has_string(out, "channel", "telephone"), "channel telephone");
    convo_free(out);
    out = NULL;

    CHECK(dispatch_expect(s, call, "{\"type\":\"ringing\"}", "ringing"), "ringing");
    CHECK_OK(convo_clock_set(engine, START_MS + 5000), "advance 5 s");
    CHECK(dispatch_expect(s, call, "{\"type\":\"answered\"}", "in_progress"), "answered");
    CHECK(dispatch_expect(s, call, "{\"type\":\"message\",\"role\":\"user\",\"text\":\"hi\"}",
                          "in_progress"),
          "a message keeps it in progress");
    CHECK_OK(convo_clock_set(engine, START_MS + 65000), "talk for a minute");
    CHECK(dispatch_expect(s, call, "{\"type\":\"end\"}", "completed"), "end");
    CHECK_OK(convo_get(s, call, &out), "get the ended call");
    CHECK(has_string(out, "end_reason", "ended"), "end_reason ended");
    CHECK(strstr(out, "\"user_turn_count\":1") != NULL || strstr(out, "\"user_turn_count\": 1"),
          "one user turn");
    CHECK(strstr(out, "\"duration\":60") != NULL || strstr(out, "\"duration\": 60"),
          "duration 60 s from answer to end");
    convo_free(out);
    out = NULL;

    /* The feed: created, ringing, answered, message, completed; seq 1..5 without gaps. */
    CHECK_OK(convo_events(s, 0, 100, &out), "read the feed");
    CHECK(gapless_seqs(out, 1) == 5, "five feed events, seq 1..5");
    CHECK(value_of(out, "next_seq") != NULL && strtoull(value_of(out, "next_seq"), NULL, 10) == 5,
          "next_seq is the last seq");
    convo_free(out);
    out = NULL;
    CHECK_OK(convo_events(s, 3, 100, &out), "read the feed after seq 3");
    CHECK(gapless_seqs(out, 4) == 2, "two feed events after seq 3");
    convo_free(out);
    out = NULL;

    /* Terminal statuses absorb: a forbidden event is a conflict and changes nothing. */
    code = convo_dispatch(s, call, "{\"type\":\"answered\"}", &out);
    CHECK(code == CONVO_ECONFLICT, "answered on a completed call is CONVO_ECONFLICT");
    CHECK(out == NULL, "no result on failure");
    CHECK(strstr(convo_last_error(), "not allowed") != NULL, "the error says why");
    CHECK_OK(convo_events(s, 5, 100, &out), "read the feed after the conflict");
    CHECK(gapless_seqs(out, 6) == 0, "the conflict appended nothing");
    convo_free(out);
    out = NULL;

    /* A second call rings out: the ring timer fires at its deadline. */
    CHECK_OK(convo_create(s, kCall, &out, &http), "create a second call");
    CHECK(copy_string(out, "contact_id", call2, sizeof call2), "second contact_id");
    convo_free(out);
    out = NULL;
    CHECK(dispatch_expect(s, call2, "{\"type\":\"ringing\"}", "ringing"), "second call rings");
    CHECK_OK(convo_next_deadline(engine, &deadline), "a timer is pending");
    CHECK(deadline == START_MS + 65000 + 60000, "the ring timer is due 60 s after ringing");
    CHECK_OK(convo_clock_set(engine, deadline - 1), "just before the deadline");
    CHECK_OK(convo_tick(engine, &fired), "tick early");
    CHECK(fired == 0, "nothing fires early");
    CHECK_OK(convo_clock_set(engine, deadline), "at the deadline");
    CHECK_OK(convo_tick(engine, &fired), "tick");
    CHECK(fired == 1, "the ring timer fired");
    CHECK_OK(convo_get(s, call2, &out), "get the second call");
    CHECK(has_string(out, "status", "unanswered"), "unanswered after the ring timer");
    CHECK(has_string(out, "end_reason", "ring_timeout"), "end_reason ring_timeout");
    convo_free(out);
    out = NULL;
    CHECK(convo_clock_set(engine, deadline - 1) == CONVO_EINVALID, "the clock never goes back");

    /* The subscriber saw every event: 5 + created, ringing, ring timeout. */
    CHECK(counter.events == 8, "the subscriber saw 8 events");
    CHECK(counter.status_changes == 5, "of which 5 status changes");
    CHECK_OK(convo_unsubscribe(engine, subscription), "unsubscribe");
    CHECK(convo_unsubscribe(engine, subscription) == CONVO_ENOTFOUND, "unsubscribe twice");

    /* Errors: bad JSON, a NULL handle, an unknown conversation. */
    code = convo_create(s, "{not json", &out, &http);
    CHECK(code == CONVO_EINVALID, "invalid JSON is CONVO_EINVALID");
    CHECK(out == NULL, "no result for invalid JSON");
    CHECK(convo_last_error() != NULL && convo_last_error()[0] != '\0', "with a detail");
    CHECK(convo_get(NULL, call, &out) == CONVO_EMISUSE, "a NULL session is CONVO_EMISUSE");
    CHECK(convo_get(s, "00000000-0000-0000-0000-000000000000", &out) == CONVO_ENOTFOUND,
          "an unknown conversation is CONVO_ENOTFOUND");

done:
    convo_free(out);
    convo_session_close(s);
    convo_engine_close(engine);
    convo_session_close(NULL);
    convo_engine_close(NULL);
    if (failures != 0) {
        fprintf(stderr, "capi lifecycle: FAILED\n");
        return 1;
    }
    printf("capi lifecycle: ok\n");
    return 0;
}
