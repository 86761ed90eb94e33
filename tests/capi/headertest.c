/* The public header on its own, twice, as strict C99: it must be self-contained, guarded
 * and declare every function (each is referenced below, so a missing one fails to compile). */
#include <convo/convo.h>
#include <stdio.h>

#if !defined(CONVO_VERSION) || !defined(CONVO_VERSION_NUMBER)
#error "CONVO_VERSION and CONVO_VERSION_NUMBER must be defined"
#endif

typedef void (*any_fn)(void);

int main(void) {
    /* Function pointers cannot be stored as void *; a cast to another function type and back
     * is defined behaviour in C, and the sizes of these tables prove each name exists. */
    any_fn functions[] = {
        (any_fn)convo_version,      (any_fn)convo_code_name,     (any_fn)convo_http_status,
        (any_fn)convo_last_error,   (any_fn)convo_free,          (any_fn)convo_engine_open,
        (any_fn)convo_engine_close, (any_fn)convo_session_open,  (any_fn)convo_session_close,
        (any_fn)convo_agent_put,    (any_fn)convo_agent_get,     (any_fn)convo_create,
        (any_fn)convo_get,          (any_fn)convo_list,          (any_fn)convo_dispatch,
        (any_fn)convo_events,       (any_fn)convo_subscribe,     (any_fn)convo_unsubscribe,
        (any_fn)convo_tick,         (any_fn)convo_next_deadline, (any_fn)convo_clock_now,
        (any_fn)convo_clock_set,    (any_fn)convo_describe,
        (any_fn)convo_engine_set_log_handler,
    };
    convo_code codes[] = {CONVO_OK,         CONVO_EINVALID,  CONVO_EPRECONDITION,
                          CONVO_EFORBIDDEN, CONVO_ENOTFOUND, CONVO_ECONFLICT,
                          CONVO_ESTORAGE,   CONVO_EINTERNAL, CONVO_EMISUSE};
    unsigned scopes =
        CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN;
    convo_event_fn callback = 0;
    convo_engine *engine = 0;
    convo_session *session = 0;
    size_t i;

    for (i = 0; i < sizeof functions / sizeof functions[0]; ++i) {
        if (functions[i] == 0) {
            printf("headertest: function %u is NULL\n", (unsigned)i);
            return 1;
        }
    }
    for (i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
        if ((int)codes[i] != (int)i) {
            printf("headertest: code %u has value %d\n", (unsigned)i, (int)codes[i]);
            return 1;
        }
    }
    if (scopes != 15u || callback != 0 || engine != 0 || session != 0) return 1;
    printf("headertest: %u functions, version %s (%d)\n",
           (unsigned)(sizeof functions / sizeof functions[0]), CONVO_VERSION, CONVO_VERSION_NUMBER);
    return 0;
}
