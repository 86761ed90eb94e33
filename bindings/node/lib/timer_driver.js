'use strict';
// Fires an engine's timers on setTimeout when convo_next_deadline says one is due. The engine's
// own timer thread cannot be used from Node (its callbacks would run on a foreign thread), so
// the host's event loop does the waiting instead.

// setTimeout cannot wait longer than 2^31-1 ms; waking at least once a minute also bounds how
// long a change made behind the driver's back (none is expected) could go unnoticed.
const MAX_WAIT_MS = 60 * 1000;
const RETRY_MS = 1000;

class TimerDriver {
    constructor(engine) {
        this._engine = engine;
        this._handle = null;
        this._keepAlive = false;
        this._scheduled = false; // a re-arm is queued for the end of the current job
        this._retrying = false;  // the last tick failed: wait RETRY_MS before the next
        this.running = false;
    }

    start({ keepAlive }) {
        this._keepAlive = Boolean(keepAlive);
        this.running = true;
        this._arm();
    }

    stop() {
        this.running = false;
        this._clear();
    }

    /** Something may have moved the next deadline: re-arm once the current job finishes. */
    changed() {
        if (!this.running || this._scheduled) return;
        this._scheduled = true;
        queueMicrotask(() => {
            this._scheduled = false;
            if (this.running) this._arm();
        });
    }

    _clear() {
        if (this._handle !== null) {
            clearTimeout(this._handle);
            this._handle = null;
        }
    }

    _set(delay) {
        this._clear();
        this._handle = setTimeout(() => this._fire(), delay);
        if (!this._keepAlive) this._handle.unref();
    }

    _arm() {
        if (!this.running || this._engine.closed) return;
        if (this._retrying && this._handle !== null) return;
        let next;
        let now;
        try {
            next = this._engine._nextDeadlineMs();
            now = this._engine._nowMs();
        } catch (err) {
            this._engine._report(err, 'the timer driver failed');
            this._retrying = true;
            this._set(RETRY_MS);
            return;
        }
        if (next === null) {
            this._clear(); // idle: nothing to wait for until a change re-arms
            return;
        }
        this._set(Math.min(Math.max(0, next - now), MAX_WAIT_MS));
    }

    _fire() {
        this._handle = null;
        if (!this.running || this._engine.closed) return;
        try {
            this._engine._tick();
        } catch (err) {
            this._retrying = true;
            this._engine._report(err, 'a timer tick failed');
            this._set(RETRY_MS);
            return;
        }
        this._retrying = false;
        // Also when setTimeout woke a moment early and nothing was due yet.
        this._arm();
    }
}

module.exports = { TimerDriver };
