'use strict';
// libconvo.so through koffi: finding the library, declaring the C API, and the three rules
// every call obeys:
//   - a non-zero convo_code becomes a ConvoError whose detail is convo_last_error(), read
//     before anything else can call into the library on this thread;
//   - a `char **out_json` result is decoded and then freed with convo_free();
//   - a koffi callback is unregistered only when no library call is running, because the
//     engine delivers an event to the subscribers it saw when the delivery started, so a
//     subscriber removed during a delivery may still be called once.

const fs = require('node:fs');
const path = require('node:path');
const { errorFromCode, misuse } = require('./errors');

let koffi;
try {
    koffi = require('koffi');
} catch (err) {
    throw new Error(
        'convo: cannot load koffi (run `npm ci` in bindings/node): ' + err.message,
        { cause: err });
}

// The binding speaks the C API of this major version.
const EXPECTED_MAJOR = 0;

// Where libconvo.so is looked for, in order: $CONVO_LIBRARY, next to the package, the system
// loader's search path.
function candidates() {
    const env = process.env.CONVO_LIBRARY;
    if (env) return [{ path: env, from: 'CONVO_LIBRARY' }];
    return [
        { path: path.join(__dirname, '..', 'libconvo.so'), from: 'the package directory' },
        { path: 'libconvo.so.0', from: 'the system loader' },
        { path: 'libconvo.so', from: 'the system loader' },
    ];
}

let api = null;

function declare(lib) {
    koffi.opaque('convo_engine');
    koffi.opaque('convo_session');
    const EventFn = koffi.proto('void convo_event_fn(void *user_data, const char *event_json)');
    const LogFn = koffi.proto('void convo_log_fn(void *user_data, int level, const char *message)');
    const f = (proto) => lib.func(proto);
    return {
        EventFnPtr: koffi.pointer(EventFn),
        LogFnPtr: koffi.pointer(LogFn),
        version: f('const char *convo_version(void)'),
        code_name: f('const char *convo_code_name(int code)'),
        http_status: f('int convo_http_status(int code)'),
        last_error: f('const char *convo_last_error(void)'),
        free: f('void convo_free(void *p)'),
        engine_open: f('int convo_engine_open(const char *options_json, _Out_ convo_engine **out_engine)'),
        engine_set_log_handler: f('int convo_engine_set_log_handler(convo_engine *engine, convo_log_fn *fn, void *user_data)'),
        engine_close: f('void convo_engine_close(convo_engine *engine)'),
        session_open: f('int convo_session_open(convo_engine *engine, const char *organization_id, unsigned int scopes, _Out_ convo_session **out_session)'),
        session_close: f('void convo_session_close(convo_session *session)'),
        agent_put: f('int convo_agent_put(convo_session *s, const char *agent_json, _Out_ void **out_json)'),
        agent_get: f('int convo_agent_get(convo_session *s, const char *agent_id, _Out_ void **out_json)'),
        create: f('int convo_create(convo_session *s, const char *request_json, _Out_ void **out_json, _Out_ int *out_http_status)'),
        get: f('int convo_get(convo_session *s, const char *conversation_id, _Out_ void **out_json)'),
        list: f('int convo_list(convo_session *s, const char *query_json, _Out_ void **out_json)'),
        dispatch: f('int convo_dispatch(convo_session *s, const char *conversation_id, const char *event_json, _Out_ void **out_json)'),
        events: f('int convo_events(convo_session *s, uint64_t after_seq, unsigned int limit, _Out_ void **out_json)'),
        subscribe: f('int convo_subscribe(convo_engine *e, convo_event_fn *fn, void *user_data, _Out_ uint64_t *out_subscription)'),
        unsubscribe: f('int convo_unsubscribe(convo_engine *e, uint64_t subscription)'),
        tick: f('int convo_tick(convo_engine *e, _Out_ unsigned int *out_fired)'),
        next_deadline: f('int convo_next_deadline(convo_engine *e, _Out_ int64_t *out_unix_ms)'),
        clock_now: f('int convo_clock_now(convo_engine *e, _Out_ int64_t *out_unix_ms)'),
        clock_set: f('int convo_clock_set(convo_engine *e, int64_t unix_ms)'),
        describe: f('int convo_describe(convo_engine *e, _Out_ void **out_json)'),
    };
}

/**
 * Loads libconvo.so (once) and returns the declared functions. Throws an Error that lists
 * every place tried when none loads, or when the library's major version is not the
 * binding's.
 */
function load() {
    if (api) return api;
    const tried = [];
    for (const c of candidates()) {
        // A relative or absolute path that does not exist is reported as such; bare names go
        // to the system loader.
        if (c.path.includes('/') && !fs.existsSync(c.path)) {
            tried.push(`${c.path} (${c.from}): no such file`);
            continue;
        }
        let lib;
        try {
            lib = koffi.load(c.path);
        } catch (err) {
            tried.push(`${c.path} (${c.from}): ${err.message}`);
            continue;
        }
        const declared = declare(lib);
        const version = declared.version();
        if (Number(version.split('.')[0]) !== EXPECTED_MAJOR) {
            throw new Error(`convo: ${c.path} is libconvo ${version}; this binding needs ` +
                            `${EXPECTED_MAJOR}.x`);
        }
        api = declared;
        api.path = c.path;
        return api;
    }
    throw new Error('convo: cannot load libconvo.so; set CONVO_LIBRARY to its path. Tried:\n  ' +
                    tried.join('\n  '));
}

// ---- calls ---------------------------------------------------------------------------------

let nativeDepth = 0;     // library calls running on this (the only JS) thread
let inLogHandler = 0;    // > 0 while a log handler runs: the header forbids calls from there
const pendingUnregister = [];

function unregisterNow(cb) {
    try {
        koffi.unregister(cb);
    } catch (err) {
        // Unregistering twice is the only way this fails; nothing is left to release.
    }
}

/** Releases a registered koffi callback as soon as no library call can still reach it. */
function releaseCallback(cb) {
    if (nativeDepth === 0) {
        unregisterNow(cb);
    } else {
        pendingUnregister.push(cb);
    }
}

/** Throws MisuseError inside a log handler, where the header forbids library calls. */
function checkCallable() {
    if (inLogHandler > 0) {
        throw misuse('a log handler must not call convo functions (convo_log_fn runs with ' +
                     "the engine's log sink locked)");
    }
}

function enter() {
    checkCallable();
    nativeDepth++;
}

function leave() {
    nativeDepth--;
    if (nativeDepth === 0) {
        while (pendingUnregister.length > 0) unregisterNow(pendingUnregister.pop());
    }
}

/** Calls a function returning a convo_code; throws the code's ConvoError on failure. */
function call(fn, ...args) {
    enter();
    try {
        const code = fn(...args);
        if (code !== 0) throw errorFromCode(code, api.last_error());
    } finally {
        leave();
    }
}

/** Calls a void function (the close functions). */
function callVoid(fn, ...args) {
    enter();
    try {
        fn(...args);
    } finally {
        leave();
    }
}

/** Decodes a `char *` the caller owns, then frees it. */
function takeString(ptr) {
    if (ptr === null || ptr === undefined || ptr === 0n) return null;
    try {
        return koffi.decode.string(ptr);
    } finally {
        api.free(ptr);
    }
}

/**
 * Calls a function whose LAST parameter is `char **out_json` and returns the parsed JSON.
 * The result is freed even when parsing fails.
 */
function callJson(fn, ...args) {
    const out = [null];
    try {
        call(fn, ...args, out);
    } catch (err) {
        takeString(out[0]); // NULL after a failure by contract; freed if ever it is not
        throw err;
    }
    return JSON.parse(takeString(out[0]));
}

/** Runs a log handler with library calls refused for its duration. */
function asLogHandler(fn) {
    inLogHandler++;
    try {
        fn();
    } finally {
        inLogHandler--;
    }
}

module.exports = {
    koffi,
    load,
    call,
    callVoid,
    callJson,
    takeString,
    checkCallable,
    releaseCallback,
    asLogHandler,
};
