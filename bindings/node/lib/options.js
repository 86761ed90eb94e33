'use strict';
// Engine options and times: JS values in, the C API's JSON and Unix milliseconds out.

const { InvalidRequestError, CODES } = require('./errors');

// camelCase spellings of convo_engine_open's keys. Any other key goes to the engine as it is
// written (snake_case always works), so an unknown key is reported as the host spelled it.
const CAMEL_OPTIONS = new Map([
    'platform_max_open_minutes', 'ring_timeout_seconds', 'dial_timeout_seconds',
    'token_ttl_seconds', 'wrap_up_timeout_seconds', 'webrtc_url', 'max_open_per_organization',
    'timer_thread', 'log_level',
    'max_request_bytes', 'max_message_bytes', 'max_metadata_bytes',
].map((snake) => [snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), snake]));

/** A Date, an RFC 3339 string or Unix milliseconds, as Unix milliseconds. */
function toUnixMs(value, what) {
    let ms;
    if (value instanceof Date) {
        ms = value.getTime();
    } else if (typeof value === 'number') {
        ms = value;
    } else if (typeof value === 'string') {
        ms = Date.parse(value);
    } else {
        throw new TypeError(`${what}: expected a Date, an RFC 3339 string or Unix milliseconds`);
    }
    if (!Number.isFinite(ms)) throw new TypeError(`${what}: not a valid time: ${String(value)}`);
    return Math.trunc(ms);
}

/**
 * The options object of `new Engine(...)` as convo_engine_open's JSON. Keys may be camelCase
 * or snake_case; undefined values are left out; `start` may be a Date. The engine itself
 * validates the rest (an unknown key is InvalidRequestError naming it).
 */
function engineOptionsJson(options) {
    if (options === undefined || options === null) return { json: '{}', clock: 'system' };
    if (typeof options !== 'object' || Array.isArray(options)) {
        throw new TypeError('Engine options: expected an object');
    }
    const out = {};
    for (const [key, value] of Object.entries(options)) {
        if (value === undefined) continue;
        const name = CAMEL_OPTIONS.get(key) || key;
        out[name] = name === 'start' && value instanceof Date ? value.toISOString() : value;
    }
    if (out.timer_thread === true) {
        // The engine's timer thread would run subscribers and the log handler on a thread
        // that is not JavaScript's.
        throw new InvalidRequestError(
            CODES.CONVO_EINVALID,
            'timer_thread: not available from Node (the timer thread would call JavaScript ' +
            'callbacks from a foreign thread); use engine.startTimers() instead');
    }
    return { json: JSON.stringify(out), clock: out.clock === 'manual' ? 'manual' : 'system' };
}

/** A request body: an object is serialized, a string is taken as JSON text as it is. */
function bodyJson(value, what) {
    if (typeof value === 'string') return value;
    if (value === null || typeof value !== 'object') {
        throw new TypeError(`${what}: expected an object (or JSON text)`);
    }
    return JSON.stringify(value);
}

function requireString(value, what) {
    if (typeof value !== 'string') throw new TypeError(`${what}: expected a string`);
    return value;
}

module.exports = { engineOptionsJson, toUnixMs, bodyJson, requireString };
