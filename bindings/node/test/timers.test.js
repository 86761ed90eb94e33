'use strict';
// The manual clock and the timers: now, setClock, advance, tick, nextDeadline. Every ended
// conversation also has a pending wrap-up (wrap_up_timeout_seconds, default 300 s) that fires
// a `finalized` feed event: the counts below include it where it falls.

const test = require('node:test');
const assert = require('node:assert/strict');
const { convo, acme, manualEngine, requestFor, idOf, START, START_MS, MINUTE } =
    require('./support/harness');

const SECOND = 1000;
const WRAP_UP = 300 * SECOND;
const iso = (ms) => new Date(ms).toISOString();

/** Every timer firing from now on: [conversation id, feed type, reason or timer, at]. */
function firings(engine) {
    const seen = [];
    engine.subscribe((e) => {
        if ('timer' in e.data) seen.push([e.conversation_id, e.type, e.reason || e.data.timer, e.at]);
    });
    return seen;
}

/** Firings grouped by conversation, each in its own order (a tick fires one conversation's
 *  due timers together; conversations may come in any order). */
function byConversation(seen) {
    const out = {};
    for (const [id, ...rest] of seen) (out[id] = out[id] || []).push(rest);
    return out;
}

test('the manual clock starts at `start` and setClock moves it forward only', (t) => {
    const engine = manualEngine(t, { start: new Date(START_MS) });
    assert.equal(engine.clock, 'manual');
    assert.ok(engine.now() instanceof Date);
    assert.equal(engine.now().toISOString(), START);
    engine.setClock(new Date(START_MS + MINUTE));
    assert.equal(engine.now().getTime(), START_MS + MINUTE);
    engine.setClock('2026-01-01T01:02:00+01:00'); // START + 2 minutes
    assert.equal(engine.now().getTime(), START_MS + 2 * MINUTE);
    engine.setClock(START_MS + 3 * MINUTE);
    assert.equal(engine.now().getTime(), START_MS + 3 * MINUTE);
    assert.throws(() => engine.setClock(START_MS), (err) => {
        assert.ok(err instanceof convo.InvalidRequestError);
        assert.match(err.detail, /never goes backwards/);
        return true;
    });
    assert.equal(engine.now().getTime(), START_MS + 3 * MINUTE);
});

test('nextDeadline is null when nothing is pending, else the earliest deadline', (t) => {
    const { engine, session } = acme(t);
    assert.equal(engine.nextDeadline(), null);
    session.create(requestFor('text', 'outbound', { idle_timeout_minutes: 5 }));
    assert.ok(engine.nextDeadline() instanceof Date);
    assert.equal(engine.nextDeadline().getTime(), START_MS + 5 * MINUTE);
    session.create(requestFor('telephone', 'inbound'));
    assert.equal(engine.nextDeadline().getTime(), START_MS + 60 * SECOND); // ring, default 60 s
});

test('idle: quiet minutes close a chat; each message re-arms the timer', (t) => {
    const { engine, session } = acme(t);
    const id = idOf(session.create(requestFor('text', 'outbound', { idle_timeout_minutes: 5 })));
    engine.advance(4 * MINUTE);
    assert.equal(engine.tick(), 0);
    session.dispatch(id, { type: 'message', role: 'user', text: 'still there?' });
    assert.equal(engine.nextDeadline().getTime(), START_MS + 9 * MINUTE);
    engine.advance(4 * MINUTE);
    assert.equal(engine.tick(), 0);
    assert.equal(session.get(id).status, 'in_progress');
    engine.advance(MINUTE);
    assert.equal(engine.tick(), 1);
    const c = session.get(id);
    assert.equal(c.status, 'completed');
    assert.equal(c.end_reason, 'idle_timeout');
    assert.equal(c.ended_at, iso(START_MS + 9 * MINUTE));
    assert.equal(c.expires_at, null);
});

test('ring, dial and join timers close calls that never connect', (t) => {
    const { engine, session } = acme(t, { ringTimeoutSeconds: 30, dialTimeoutSeconds: 120,
                                          tokenTtlSeconds: 90 });
    const seen = firings(engine);
    const ringing = idOf(session.create(requestFor('telephone', 'inbound')));
    const dialing = idOf(session.create(requestFor('telephone', 'outbound')));
    const token = idOf(session.create(requestFor('webrtc')));
    engine.advance(29 * SECOND);
    assert.equal(engine.tick(), 0);
    engine.advance(SECOND);
    assert.equal(engine.tick(), 1);
    assert.deepEqual(pick(session.get(ringing)),
                     ['unanswered', 'ring_timeout', iso(START_MS + 30 * SECOND)]);
    engine.advance(60 * SECOND);
    assert.equal(engine.tick(), 1);
    assert.deepEqual(pick(session.get(token)),
                     ['unanswered', 'token_expired', iso(START_MS + 90 * SECOND)]);
    engine.advance(30 * SECOND);
    assert.equal(engine.tick(), 1);
    assert.deepEqual(pick(session.get(dialing)),
                     ['failed', 'dial_timeout', iso(START_MS + 120 * SECOND)]);
    assert.deepEqual(seen.map((f) => f[2]), ['ring_timeout', 'token_expired', 'dial_timeout']);
    // Each ended call now waits for its wrap-up, 300 s after it ended; nothing closes any more.
    assert.deepEqual([ringing, token, dialing].map((id) => session.get(id).wrap_up),
                     ['pending', 'pending', 'pending']);
    assert.equal(engine.nextDeadline().getTime(), START_MS + 30 * SECOND + WRAP_UP);
    engine.setClock(START_MS + 120 * SECOND + WRAP_UP);
    assert.equal(engine.tick(), 3);
    assert.deepEqual(seen.slice(3), [
        [ringing, 'finalized', 'wrap_up', iso(START_MS + 30 * SECOND + WRAP_UP)],
        [token, 'finalized', 'wrap_up', iso(START_MS + 90 * SECOND + WRAP_UP)],
        [dialing, 'finalized', 'wrap_up', iso(START_MS + 120 * SECOND + WRAP_UP)],
    ]);
    assert.deepEqual([ringing, token, dialing].map((id) => session.get(id).wrap_up),
                     ['done', 'done', 'done']);
    assert.equal(engine.nextDeadline(), null);
});

function pick(c) {
    return [c.status, c.end_reason, c.ended_at];
}

test('max-open: one tick fires every overdue deadline, each at its own time', (t) => {
    const { engine, session } = acme(t);
    const seen = [];
    engine.subscribe((e) => {
        if (e.type === 'status_changed') seen.push([e.conversation_id, e.to, e.reason, e.at]);
    });
    const fired = firings(engine);
    const chat = idOf(session.create(requestFor('text', 'outbound', { max_open_minutes: 10 })));
    const mail = idOf(session.create(requestFor('email', 'outbound', { max_open_minutes: 3 })));
    engine.setClock(START_MS + 60 * MINUTE); // no timer fires on its own
    assert.equal(session.get(chat).status, 'in_progress');
    assert.equal(engine.tick(), 4); // two max-open timeouts, then the wrap-ups they armed
    assert.deepEqual(seen, [
        [mail, 'unanswered', 'max_open_timeout', iso(START_MS + 3 * MINUTE)],
        [chat, 'completed', 'max_open_timeout', iso(START_MS + 10 * MINUTE)],
    ]);
    assert.deepEqual(byConversation(fired), {
        [mail]: [['status_changed', 'max_open_timeout', iso(START_MS + 3 * MINUTE)],
                 ['finalized', 'wrap_up', iso(START_MS + 3 * MINUTE + WRAP_UP)]],
        [chat]: [['status_changed', 'max_open_timeout', iso(START_MS + 10 * MINUTE)],
                 ['finalized', 'wrap_up', iso(START_MS + 10 * MINUTE + WRAP_UP)]],
    });
    assert.equal(engine.tick(), 0);
    assert.equal(engine.nextDeadline(), null);
});

test('an event after an overdue deadline finds it applied first (ConflictError)', (t) => {
    const { engine, session } = acme(t);
    const seen = [];
    engine.subscribe((e) => seen.push([e.type, e.to, e.reason]));
    const id = idOf(session.create(requestFor('text', 'outbound', { idle_timeout_minutes: 5 })));
    engine.setClock(START_MS + 6 * MINUTE); // past the idle deadline, no tick
    seen.length = 0;
    assert.throws(() => session.dispatch(id, { type: 'message', role: 'user', text: 'late' }),
                  (err) => err instanceof convo.ConflictError &&
                           err.detail === "event 'message' is not allowed in status 'completed'");
    // The timeout happened regardless, and subscribers heard of it during the failing call.
    assert.deepEqual(seen, [['status_changed', 'completed', 'idle_timeout']]);
    assert.equal(session.get(id).ended_at, iso(START_MS + 5 * MINUTE));
});

test('advance() and startTimers() are for their own clocks', (t) => {
    const manual = manualEngine(t);
    assert.throws(() => manual.startTimers(), (err) => {
        assert.ok(err instanceof convo.MisuseError);
        assert.match(err.detail, /system clock.*advance\(\)/);
        return true;
    });
    assert.equal(manual.timersRunning, false);
    assert.throws(() => manual.advance(-1), TypeError);

    const system = new convo.Engine({ path: ':memory:' });
    t.after(() => system.close());
    assert.equal(system.clock, 'system');
    assert.throws(() => system.advance(1000), convo.MisuseError);
    const now = system.now().getTime();
    assert.ok(Math.abs(now - Date.now()) < 5000, `system clock now ${now}`);
});

test('advance() returns the new now and fires nothing until tick()', (t) => {
    const { engine, session } = acme(t);
    const id = idOf(session.create(requestFor('text', 'outbound', { idle_timeout_minutes: 1 })));
    const before = engine.now().getTime();
    assert.equal(engine.advance(MINUTE).getTime(), before + MINUTE);
    assert.equal(session.get(id).status, 'in_progress');
    assert.equal(engine.tick(), 1);
    assert.equal(session.get(id).status, 'completed');
});
