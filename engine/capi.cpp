// The C API: a thin shim over convo::Engine. Every function validates its handles and
// arguments, runs the call inside `shield` (no exception crosses this boundary), records the
// detail for convo_last_error(), and hands results to the caller as malloc'd strings.
#include <convo/convo.h>

#include <SQLiteCpp/Exception.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <new>
#include <string>
#include <string_view>

#include "engine.h"

static_assert(std::string_view(CONVO_VERSION) == std::string_view(CONVO_PROJECT_VERSION),
              "CONVO_VERSION in convo.h differs from the version in CMakeLists.txt");

struct convo_engine {
    std::unique_ptr<convo::Engine> engine;
};

struct convo_session {
    convo::Session session;
    std::atomic<convo::Format> format{convo::Format::anyreach};  // set at any time, from any thread

    // The session as one call sees it.
    convo::Session current() const {
        convo::Session copy = session;
        copy.format = format.load();
        return copy;
    }
};

namespace {

thread_local std::string t_last_error;

convo_code finish(const convo::Outcome &o) {
    if (o) {
        t_last_error.clear();
    } else {
        t_last_error = o.message();
    }
    return o.code();
}

convo_code misuse(const char *what) {
    t_last_error = std::string(what) + ": must not be NULL";
    return CONVO_EMISUSE;
}

// Runs `fn`, mapping any exception to a code and a message.
template <typename Fn>
convo_code shield(Fn &&fn) noexcept {
    try {
        return finish(fn());
    } catch (const nlohmann::json::exception &e) {
        t_last_error = std::string("invalid JSON: ") + e.what();
        return CONVO_EINVALID;
    } catch (const SQLite::Exception &e) {
        t_last_error = std::string("database error: ") + e.what();
        return CONVO_ESTORAGE;
    } catch (const std::bad_alloc &) {
        t_last_error = "out of memory";
        return CONVO_EINTERNAL;
    } catch (const std::exception &e) {
        t_last_error = std::string("internal error: ") + e.what();
        return CONVO_EINTERNAL;
    } catch (...) {
        t_last_error = "internal error: unknown exception";
        return CONVO_EINTERNAL;
    }
}

// Copies `s` into memory the caller frees with convo_free().
convo::Outcome hand_out(const std::string &s, char **out) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.c_str(), s.size() + 1);
    *out = p;
    return convo::Outcome::ok();
}

// The common shape of calls that produce JSON: check the arguments, run, hand out.
template <typename Fn>
convo_code with_json_out(char **out_json, Fn &&fn) noexcept {
    if (out_json == nullptr) return misuse("out_json");
    *out_json = nullptr;
    return shield([&] {
        std::string result;
        convo::Outcome o = fn(&result);
        if (!o) return o;
        return hand_out(result, out_json);
    });
}

convo::Engine *engine_of(convo_session *s) { return s->session.engine; }

// Results are NULL after any failure, including a NULL handle found before the call runs.
void clear(char **out_json) {
    if (out_json != nullptr) *out_json = nullptr;
}

}  // namespace

extern "C" {

const char *convo_version(void) { return CONVO_VERSION; }

const char *convo_code_name(convo_code code) {
    switch (code) {
        case CONVO_OK: return "CONVO_OK";
        case CONVO_EINVALID: return "CONVO_EINVALID";
        case CONVO_EPRECONDITION: return "CONVO_EPRECONDITION";
        case CONVO_EFORBIDDEN: return "CONVO_EFORBIDDEN";
        case CONVO_ENOTFOUND: return "CONVO_ENOTFOUND";
        case CONVO_ECONFLICT: return "CONVO_ECONFLICT";
        case CONVO_ESTORAGE: return "CONVO_ESTORAGE";
        case CONVO_EINTERNAL: return "CONVO_EINTERNAL";
        case CONVO_EMISUSE: return "CONVO_EMISUSE";
    }
    return "CONVO_UNKNOWN";
}

int convo_http_status(convo_code code) {
    switch (code) {
        case CONVO_OK: return 200;
        case CONVO_EINVALID: return 422;
        case CONVO_EPRECONDITION: return 400;
        case CONVO_EFORBIDDEN: return 403;
        case CONVO_ENOTFOUND: return 404;
        case CONVO_ECONFLICT: return 409;
        case CONVO_ESTORAGE: return 503;
        case CONVO_EINTERNAL: return 500;
        case CONVO_EMISUSE: return 500;
    }
    return 500;
}

const char *convo_last_error(void) { return t_last_error.c_str(); }

void convo_free(void *p) { std::free(p); }

convo_code convo_engine_open(const char *options_json, convo_engine **out_engine) {
    if (out_engine == nullptr) return misuse("out_engine");
    *out_engine = nullptr;
    return shield([&] {
        std::unique_ptr<convo::Engine> engine;
        CONVO_TRY(convo::Engine::open(options_json, &engine));
        *out_engine = new convo_engine{std::move(engine)};
        return convo::Outcome::ok();
    });
}

convo_code convo_engine_set_log_handler(convo_engine *engine, convo_log_fn fn, void *user_data) {
    if (engine == nullptr) return misuse("engine");
    return shield([&] {
        engine->engine->set_log_handler(fn, user_data);
        return convo::Outcome::ok();
    });
}

void convo_engine_close(convo_engine *engine) {
    try {
        delete engine;
    } catch (...) {
        // Destructors do not throw; nothing can be reported from a void close anyway.
    }
}

convo_code convo_session_open(convo_engine *engine, const char *organization_id, unsigned scopes,
                              convo_session **out_session) {
    if (out_session == nullptr) return misuse("out_session");
    *out_session = nullptr;
    if (engine == nullptr) return misuse("engine");
    if (organization_id == nullptr) return misuse("organization_id");
    return shield([&] {
        convo::Session s;
        CONVO_TRY(engine->engine->open_session(organization_id, scopes, &s));
        *out_session = new convo_session{std::move(s)};
        return convo::Outcome::ok();
    });
}

void convo_session_close(convo_session *session) { delete session; }

convo_code convo_session_set_format(convo_session *s, const char *format) {
    if (s == nullptr) return misuse("session");
    if (format == nullptr) return misuse("format");
    return shield([&] {
        std::optional<convo::Format> f = convo::format_from_name(format);
        if (!f) return convo::Outcome::invalid(std::string("format: must be one of ") + convo::kFormatNames);
        s->format.store(*f);
        return convo::Outcome::ok();
    });
}

convo_code convo_agent_put(convo_session *s, const char *agent_json, char **out_json) {
    clear(out_json);
    if (s == nullptr) return misuse("session");
    if (agent_json == nullptr) return misuse("agent_json");
    return with_json_out(out_json, [&](std::string *out) {
        return engine_of(s)->agent_put(s->current(), agent_json, out);
    });
}

convo_code convo_agent_get(convo_session *s, const char *agent_id, char **out_json) {
    clear(out_json);
    if (s == nullptr) return misuse("session");
    if (agent_id == nullptr) return misuse("agent_id");
    return with_json_out(out_json, [&](std::string *out) {
        return engine_of(s)->agent_get(s->current(), agent_id, out);
    });
}

convo_code convo_create(convo_session *s, const char *request_json, char **out_json,
                        int *out_http_status) {
    clear(out_json);
    int http = 0;
    convo_code code = CONVO_OK;
    if (s == nullptr) {
        code = misuse("session");
    } else if (request_json == nullptr) {
        code = misuse("request_json");
    } else {
        code = with_json_out(out_json, [&](std::string *out) {
            return engine_of(s)->create(s->current(), request_json, out, &http);
        });
    }
    if (out_http_status != nullptr) *out_http_status = code == CONVO_OK ? http : convo_http_status(code);
    return code;
}

convo_code convo_get(convo_session *s, const char *conversation_id, char **out_json) {
    clear(out_json);
    if (s == nullptr) return misuse("session");
    if (conversation_id == nullptr) return misuse("conversation_id");
    return with_json_out(out_json, [&](std::string *out) {
        return engine_of(s)->get(s->current(), conversation_id, out);
    });
}

convo_code convo_list(convo_session *s, const char *query_json, char **out_json) {
    clear(out_json);
    if (s == nullptr) return misuse("session");
    return with_json_out(out_json, [&](std::string *out) {
        return engine_of(s)->list(s->current(), query_json, out);
    });
}

convo_code convo_dispatch(convo_session *s, const char *conversation_id, const char *event_json,
                          char **out_json) {
    clear(out_json);
    if (s == nullptr) return misuse("session");
    if (conversation_id == nullptr) return misuse("conversation_id");
    if (event_json == nullptr) return misuse("event_json");
    return with_json_out(out_json, [&](std::string *out) {
        return engine_of(s)->dispatch(s->current(), conversation_id, event_json, out);
    });
}

convo_code convo_events(convo_session *s, uint64_t after_seq, unsigned limit, char **out_json) {
    clear(out_json);
    if (s == nullptr) return misuse("session");
    return with_json_out(out_json, [&](std::string *out) {
        return engine_of(s)->events(s->current(), after_seq, limit, out);
    });
}

convo_code convo_subscribe(convo_engine *e, convo_event_fn fn, void *user_data,
                           uint64_t *out_subscription) {
    if (e == nullptr) return misuse("engine");
    if (fn == nullptr) return misuse("fn");
    if (out_subscription == nullptr) return misuse("out_subscription");
    return shield([&] { return e->engine->subscribe(fn, user_data, out_subscription); });
}

convo_code convo_unsubscribe(convo_engine *e, uint64_t subscription) {
    if (e == nullptr) return misuse("engine");
    return shield([&] { return e->engine->unsubscribe(subscription); });
}

convo_code convo_tick(convo_engine *e, unsigned *out_fired) {
    if (e == nullptr) return misuse("engine");
    return shield([&] {
        unsigned fired = 0;
        convo::Outcome o = e->engine->tick(&fired);
        if (out_fired != nullptr) *out_fired = fired;
        return o;
    });
}

convo_code convo_next_deadline(convo_engine *e, int64_t *out_unix_ms) {
    if (e == nullptr) return misuse("engine");
    if (out_unix_ms == nullptr) return misuse("out_unix_ms");
    return shield([&] {
        std::optional<convo::TimeMs> next;
        CONVO_TRY(e->engine->next_deadline(&next));
        if (!next) return convo::Outcome::not_found("no timer is pending");
        *out_unix_ms = *next;
        return convo::Outcome::ok();
    });
}

convo_code convo_clock_now(convo_engine *e, int64_t *out_unix_ms) {
    if (e == nullptr) return misuse("engine");
    if (out_unix_ms == nullptr) return misuse("out_unix_ms");
    return shield([&] {
        *out_unix_ms = e->engine->now();
        return convo::Outcome::ok();
    });
}

convo_code convo_clock_set(convo_engine *e, int64_t unix_ms) {
    if (e == nullptr) return misuse("engine");
    return shield([&] { return e->engine->set_clock(unix_ms); });
}

convo_code convo_describe(convo_engine *e, char **out_json) {
    clear(out_json);
    if (e == nullptr) return misuse("engine");
    return with_json_out(out_json, [&](std::string *out) {
        *out = e->engine->describe();
        return convo::Outcome::ok();
    });
}

}  // extern "C"
