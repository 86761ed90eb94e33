'use strict';
// The engine (convo_engine): sessions, the feed's subscribers, the log handler, the clock and
// timers. Callbacks from the library run synchronously on JavaScript's thread, inside the
// library call that made the change; nothing they throw reaches the library.

const { EventEmitter } = require('node:events');
const native = require('./native');
const { misuse } = require('./errors');
const { engineOptionsJson, toUnixMs, requireString } = require('./options');
const { Session, Scope } = require('./session');
const { TimerDriver } = require('./timer_driver');

const { load, call, callVoid, callJson, checkCallable, releaseCallback, asLogHandler, koffi } =
    native;

/** Log levels passed to a log handler (CONVO_LOG_*). */
const LogLevel = Object.freeze({
    TRACE: 0,
    DEBUG: 1,
    INFO: 2,
    WARN: 3,
    ERROR: 4,
    CRITICAL: 5,
});

// Sessions dropped without close() are closed when collected.
const sessionFinalizer = new FinalizationRegistry(({ engine, handle }) => {
    engine._closeSession(handle);
});

class Engine extends EventEmitter {
    /**
     * Opens (creating if needed) the engine's database. Options as convo_engine_open, in
     * camelCase or snake_case: path (default "convo.db"; ":memory:"), clock ("system" |
     * "manual"), start (Date or RFC 3339), synchronous, platformMaxOpenMinutes,
     * ringTimeoutSeconds, dialTimeoutSeconds, tokenTtlSeconds, wrapUpTimeoutSeconds (how long
     * an ended conversation's wrap-up stays pending; default 300), webrtcUrl,
     * maxOpenPerOrganization, logLevel. timer_thread: true is refused: use startTimers().
     *
     * Events: 'error' (err) for an exception thrown by a subscriber or a log handler, or a
     * failed timer tick; without an 'error' listener they are written to console.error.
     */
    constructor(options = {}) {
        super();
        const api = load();
        const { json, clock } = engineOptionsJson(options);
        const out = [null];
        call(api.engine_open, json, out);
        this._ptr = out[0];
        this.clock = clock;
        this._sessions = new Set();    // handles { ptr } of open sessions
        this._subscriptions = new Map(); // id → { active, callback }
        this._delivering = 0;          // subscriber calls running on the stack
        this._logCallback = null;
        this._timers = new TimerDriver(this);
    }

    _engine() {
        if (this._ptr === null) throw misuse('the engine is closed');
        return this._ptr;
    }

    /** True after close(). */
    get closed() {
        return this._ptr === null;
    }

    /** The path libconvo.so was loaded from. */
    static get libraryPath() {
        return load().path;
    }

    /** libconvo's version, "x.y.z". */
    static get libraryVersion() {
        return load().version();
    }

    /**
     * Opens one organization's view: `organizationId` 1-128 of [A-Za-z0-9_.:-], `scopes` the
     * Scope bits (default Scope.ALL).
     */
    session(organizationId, scopes = Scope.ALL) {
        requireString(organizationId, 'organizationId');
        if (!Number.isInteger(scopes) || scopes < 0 || scopes > 0xffffffff) {
            throw new TypeError('scopes: expected Scope bits');
        }
        const out = [null];
        call(load().session_open, this._engine(), organizationId, scopes, out);
        const handle = { ptr: out[0] };
        this._sessions.add(handle);
        const session = new Session(this, handle, organizationId, scopes);
        sessionFinalizer.register(session, { engine: this, handle }, handle);
        return session;
    }

    _closeSession(handle) {
        if (handle.ptr === null) return;
        checkCallable();
        const ptr = handle.ptr;
        handle.ptr = null;
        this._sessions.delete(handle);
        sessionFinalizer.unregister(handle);
        callVoid(load().session_close, ptr);
    }

    // ---- the feed ----------------------------------------------------------------------------

    /**
     * Calls `fn(event)` for every feed event of every organization as it commits, unredacted,
     * in seq order, synchronously inside the call that made the change. `fn` may call the engine
     * (the events of its own changes follow after it returns). What it throws is reported
     * ('error' event or console.error) and delivery goes on. Returns a function that
     * unsubscribes (idempotent).
     */
    subscribe(fn) {
        if (typeof fn !== 'function') throw new TypeError('subscribe: expected a function');
        const api = load();
        const engine = this._engine();
        const sub = { active: true, callback: null, id: null };
        sub.callback = koffi.register((userData, eventJson) => {
            if (!sub.active) return; // removed while a delivery that saw it was running
            this._delivering++;
            try {
                fn(JSON.parse(eventJson));
            } catch (err) {
                this._report(err, 'a subscriber threw');
            } finally {
                this._delivering--;
            }
        }, api.EventFnPtr);
        const out = [0];
        try {
            call(api.subscribe, engine, sub.callback, null, out);
        } catch (err) {
            releaseCallback(sub.callback);
            throw err;
        }
        sub.id = out[0];
        this._subscriptions.set(sub.id, sub);
        return () => this._unsubscribe(sub);
    }

    _unsubscribe(sub) {
        if (!sub.active) return;
        sub.active = false;
        this._subscriptions.delete(sub.id);
        try {
            if (this._ptr !== null) call(load().unsubscribe, this._ptr, sub.id);
        } finally {
            releaseCallback(sub.callback);
        }
    }

    /**
     * Routes the engine's log messages (at or above the logLevel option) to `fn(level, message)`
     * (level one of LogLevel) instead of stderr; null restores stderr. `fn` runs with the
     * engine's log sink locked: it must not call the engine (doing so is MisuseError) and
     * should return quickly. What it throws is reported, asynchronously.
     */
    setLogHandler(fn) {
        if (fn !== null && typeof fn !== 'function') {
            throw new TypeError('setLogHandler: expected a function or null');
        }
        const api = load();
        const engine = this._engine();
        let callback = null;
        if (fn !== null) {
            callback = koffi.register((userData, level, message) => {
                try {
                    asLogHandler(() => fn(level, message));
                } catch (err) {
                    // Reported later: an 'error' listener must not run under the sink's lock.
                    process.nextTick(() => this._report(err, 'a log handler threw'));
                }
            }, api.LogFnPtr);
        }
        try {
            call(api.engine_set_log_handler, engine, callback, null);
        } catch (err) {
            if (callback !== null) releaseCallback(callback);
            throw err;
        }
        if (this._logCallback !== null) releaseCallback(this._logCallback);
        this._logCallback = callback;
    }

    // Never throws: it runs inside callbacks from the library.
    _report(err, what) {
        try {
            if (this.listenerCount('error') > 0) {
                try {
                    this.emit('error', err);
                    return;
                } catch (listenerErr) {
                    console.error(`convo: an 'error' listener threw:`, listenerErr);
                }
            }
            console.error(`convo: ${what}:`, err);
        } catch (ignored) {
            // console.error itself failed: there is nowhere left to report to.
        }
    }

    // ---- timers and the clock ------------------------------------------------------------

    /** Fires every timer due at the clock's now, each at its own deadline; returns how many. */
    tick() {
        try {
            return this._tick();
        } finally {
            this._changed();
        }
    }

    _tick() {
        const out = [0];
        call(load().tick, this._engine(), out);
        return out[0];
    }

    /** The earliest pending deadline, or null when no timer is pending. */
    nextDeadline() {
        const ms = this._nextDeadlineMs();
        return ms === null ? null : new Date(ms);
    }

    _nextDeadlineMs() {
        const out = [0];
        try {
            call(load().next_deadline, this._engine(), out);
        } catch (err) {
            if (err.code === 'CONVO_ENOTFOUND') return null;
            throw err;
        }
        return Number(out[0]);
    }

    /** The engine clock's now. */
    now() {
        return new Date(this._nowMs());
    }

    _nowMs() {
        const out = [0];
        call(load().clock_now, this._engine(), out);
        return Number(out[0]);
    }

    /**
     * Sets the manual clock (a Date, RFC 3339 string or Unix ms); never backwards
     * (InvalidRequestError); MisuseError on a system clock. Does not fire timers: see tick()
     * and advance().
     */
    setClock(time) {
        call(load().clock_set, this._engine(), toUnixMs(time, 'setClock'));
        this._changed();
    }

    /**
     * Moves the manual clock `ms` milliseconds forward and returns the new now. Like
     * setClock(), it fires nothing: call tick() (as in the C API and the Python package).
     */
    advance(ms) {
        if (!Number.isFinite(ms) || ms < 0) {
            throw new TypeError('advance: expected a non-negative number of milliseconds');
        }
        const target = this._nowMs() + Math.trunc(ms);
        this.setClock(target);
        return new Date(target);
    }

    /**
     * Fires timers on setTimeout exactly when convo_next_deadline is due (system clock only),
     * re-arming after every change made through this engine. The timer is unref'd, so it never
     * keeps the process alive by itself; `{keepAlive: true}` keeps the process alive while a
     * deadline is pending (never while idle). Failed ticks are reported and retried in a
     * second.
     */
    startTimers({ keepAlive = false } = {}) {
        this._engine();
        if (this.clock === 'manual') {
            throw misuse('startTimers() runs timers on the system clock; with a manual clock ' +
                         'use advance() or setClock() and tick()');
        }
        this._timers.start({ keepAlive });
    }

    /** Stops the timer driver started by startTimers(). Idempotent. */
    stopTimers() {
        this._timers.stop();
    }

    /** True while the timer driver runs. */
    get timersRunning() {
        return this._timers.running;
    }

    _changed() {
        this._timers.changed();
    }

    // ---- the table and the end -----------------------------------------------------------------

    /** The lifecycle table the engine runs on: {statuses, channels, initial, events, timers}. */
    describe() {
        return callJson(load().describe, this._engine());
    }

    /**
     * Stops the timers, closes every session of the engine, closes the database and releases
     * the callbacks. Idempotent. Not from a subscriber (MisuseError).
     */
    close() {
        if (this._ptr === null) return;
        checkCallable();
        if (this._delivering > 0) throw misuse('close() must not be called from a subscriber');
        const api = load();
        this._timers.stop();
        for (const handle of [...this._sessions]) this._closeSession(handle);
        const ptr = this._ptr;
        this._ptr = null;
        callVoid(api.engine_close, ptr); // may still log through the handler: released after
        for (const sub of this._subscriptions.values()) {
            sub.active = false;
            releaseCallback(sub.callback);
        }
        this._subscriptions.clear();
        if (this._logCallback !== null) {
            releaseCallback(this._logCallback);
            this._logCallback = null;
        }
    }
}

if (typeof Symbol.dispose === 'symbol') {
    Engine.prototype[Symbol.dispose] = Engine.prototype.close;
    Session.prototype[Symbol.dispose] = Session.prototype.close;
}

module.exports = { Engine, LogLevel };
