'use strict';
// describe(): the lifecycle table the engine runs on, checked against the engine itself.

const test = require('node:test');
const assert = require('node:assert/strict');
const { acme, requestFor, idOf, TEMPLATE } = require('./support/harness');

// Fields an event type needs to be valid (docs/c-api.md), or that make its effect visible.
const FIELDS = {
    message: { role: 'user', text: 'hello' },
    fail: { reason: 'carrier_error' },
    transfer: { to: '+14155550000' },
    annotate: { topic: 'billing' },
    takeover: { minutes: 3 },
    close: { skip_notifications: true },
    finalize: { summary: 'wrapped up', topic: 'orders' },
};
const eventOf = (type) => ({ type, ...(FIELDS[type] || {}) });

// A whatsapp conversation started by the business needs a template while the contact's window
// is closed (it always is here: every test engine is new).
function createRequest(channel, direction) {
    const extra = channel === 'whatsapp' && direction === 'outbound'
        ? { message: { type: 'template', template: TEMPLATE } } : {};
    return requestFor(channel, direction, extra);
}

// What each event does besides its table row (docs/c-api.md, "Rules besides the table"),
// checked on the conversation it returns: (before, after, row) → assertions. An event whose
// effect needs a state first names it in PRELUDE.
const PRELUDE = { handback: [{ type: 'takeover' }] };
const EFFECTS = {
    takeover: (before, c) => {
        assert.equal(c.human_takeover, true);
        assert.equal(Date.parse(c.human_takeover_until) - Date.parse(c.updated_at), 3 * 60000);
    },
    handback: (before, c) => {
        assert.equal(before.human_takeover, true);
        assert.equal(c.human_takeover, false);
        assert.equal(c.human_takeover_until, null);
    },
    close: (before, c, row) => {
        if (row.from === row.to) { // ended already: a no-op
            assert.deepEqual(c, before);
        } else {
            assert.equal(c.end_reason, 'closed');
            assert.equal(c.wrap_up, 'pending');
        }
    },
    finalize: (before, c) => {
        assert.equal(before.wrap_up, 'pending');
        assert.deepEqual([c.wrap_up, c.summary, c.topic], ['done', 'wrapped up', 'orders']);
    },
};

test('the table names the statuses, channels, events and timers', (t) => {
    const { engine } = acme(t);
    const table = engine.describe();
    assert.deepEqual(table.statuses.filter((s) => !s.terminal).map((s) => s.name),
                     ['token_created', 'triggered', 'ringing', 'in_progress']);
    assert.deepEqual(table.statuses.filter((s) => s.terminal).map((s) => s.name),
                     ['completed', 'failed', 'cancelled', 'transferred', 'unanswered']);
    assert.deepEqual(table.channels, ['telephone', 'webrtc', 'email', 'text', 'sms', 'whatsapp']);
    assert.deepEqual(table.events.map((e) => e.name), [
        'ringing', 'answered', 'joined', 'delivered', 'message', 'end', 'cancel', 'no_answer',
        'busy', 'fail', 'transfer', 'annotate', 'takeover', 'handback', 'close', 'finalize',
    ]);
    assert.deepEqual(table.initial.map((r) => [r.channel, r.direction, r.status]), [
        ['telephone', 'outbound', 'triggered'], ['telephone', 'inbound', 'ringing'],
        ['webrtc', null, 'token_created'], ['email', null, 'triggered'],
        ['text', null, 'in_progress'], ['sms', null, 'in_progress'],
        ['whatsapp', null, 'in_progress'],
    ]);
    assert.deepEqual(table.timers.map((x) => [x.name, x.end_reason, x.closes, x.when, x.effect]), [
        ['idle', 'idle_timeout', true, 'always', 'status'],
        ['max_open', 'max_open_timeout', true, 'always', 'status'],
        ['ring', 'ring_timeout', true, 'always', 'status'],
        ['dial', 'dial_timeout', true, 'always', 'status'],
        ['join', 'token_expired', true, 'always', 'status'],
        ['takeover', '', false, 'human_takeover', 'handback'],
        ['wrap_up', '', false, 'wrap_up_pending', 'finalize'],
    ]);
    const ring = table.timers.find((x) => x.name === 'ring');
    assert.deepEqual(ring.armed_in, ['ringing']);
    assert.deepEqual(ring.fires, [{ from: 'ringing', to: 'unanswered' }]);
    assert.equal(ring.closes, true);
    const takeover = table.timers.find((x) => x.name === 'takeover');
    assert.deepEqual([takeover.armed_in, takeover.reset_by, takeover.length, takeover.fires],
                     [['in_progress'], ['takeover'], 'takeover.minutes', []]);
    const wrapUp = table.timers.find((x) => x.name === 'wrap_up');
    assert.deepEqual([wrapUp.armed_in, wrapUp.length, wrapUp.fires],
                     [table.statuses.filter((st) => st.terminal).map((st) => st.name),
                      'wrap_up_timeout_seconds', []]);
});

/**
 * For each (status, channel) reachable from where the table says a channel starts, the
 * shortest list of events that gets there, found in the table itself.
 */
function paths(table) {
    const found = new Map(); // "status/channel" → { channel, direction, events }
    const queue = [];
    for (const { channel, direction, status } of table.initial) {
        const key = `${status}/${channel}`;
        if (!found.has(key)) {
            found.set(key, { channel, direction: direction || 'outbound', events: [] });
            queue.push([status, channel]);
        }
    }
    while (queue.length > 0) {
        const [status, channel] = queue.shift();
        const here = found.get(`${status}/${channel}`);
        for (const event of table.events) {
            for (const tr of event.transitions) {
                if (tr.from !== status || !tr.channels.includes(channel)) continue;
                const key = `${tr.to}/${channel}`;
                if (found.has(key)) continue;
                found.set(key, { ...here, events: [...here.events, event.name] });
                queue.push([tr.to, channel]);
            }
        }
    }
    return found;
}

test('every transition in the table is accepted by the engine and lands where it says',
     (t) => {
    const { engine, session } = acme(t);
    const table = engine.describe();
    const reach = paths(table);
    const bring = (status, channel) => {
        const route = reach.get(`${status}/${channel}`);
        if (!route) return null;
        const id = idOf(session.create(createRequest(channel, route.direction)));
        for (const type of route.events) session.dispatch(id, eventOf(type));
        assert.equal(session.get(id).status, status);
        return id;
    };
    let checked = 0;
    const effects = new Set();
    for (const event of table.events) {
        for (const tr of event.transitions) {
            let reachable = 0;
            for (const channel of tr.channels) {
                const id = bring(tr.from, channel);
                if (id === null) continue;
                reachable++;
                checked++;
                for (const prelude of PRELUDE[event.name] || []) session.dispatch(id, prelude);
                const before = session.get(id);
                const after = session.dispatch(id, eventOf(event.name));
                const what = `${event.name} from ${tr.from} on ${channel}`;
                assert.equal(after.status, tr.to, what);
                if (EFFECTS[event.name]) {
                    EFFECTS[event.name](before, after, tr);
                    effects.add(event.name);
                }
                // Entering a terminal status opens the wrap-up and ends any takeover.
                if (tr.from !== tr.to && terminal(table).includes(tr.to)) {
                    assert.deepEqual([after.wrap_up, after.human_takeover], ['pending', false], what);
                }
            }
            assert.ok(reachable > 0, `${event.name} from ${tr.from}: no channel reaches it`);
        }
    }
    assert.deepEqual([...effects].sort(), Object.keys(EFFECTS).sort());
    assert.ok(checked >= 40, `only ${checked} transitions checked`);
});

function terminal(table) {
    return table.statuses.filter((s) => s.terminal).map((s) => s.name);
}

test('terminal statuses absorb every event but annotate, close (a no-op) and finalize', (t) => {
    const { engine, session } = acme(t);
    const table = engine.describe();
    const reach = paths(table);
    const absorbing = table.events.filter((e) => terminal(table).every(
        (status) => e.transitions.some((tr) => tr.from === status))).map((e) => e.name);
    assert.deepEqual(absorbing, ['annotate', 'close', 'finalize']);
    for (const status of terminal(table)) {
        const key = [...reach.keys()].find((k) => k.startsWith(`${status}/`));
        assert.ok(key, `${status} is unreachable`);
        const route = reach.get(key);
        const id = idOf(session.create(createRequest(route.channel, route.direction)));
        for (const type of route.events) session.dispatch(id, eventOf(type));
        const ended = session.get(id);
        assert.equal(ended.wrap_up, 'pending');
        assert.equal(ended.expires_at, null); // only the wrap-up deadline is pending, and it does not close
        const seq = () => session.events({ limit: 1000 }).events.filter((e) => e.conversation_id === id)
            .map((e) => e.type);
        for (const event of table.events) {
            const before = seq();
            if (event.name === 'annotate') {
                assert.equal(session.dispatch(id, eventOf('annotate')).status, status);
                assert.deepEqual(seq(), [...before, 'annotated']);
            } else if (event.name === 'close') {
                const c = session.get(id);
                assert.deepEqual(session.dispatch(id, eventOf('close')), c);
                assert.deepEqual(seq(), before);
            } else if (event.name === 'finalize') {
                const c = session.dispatch(id, eventOf('finalize'));
                assert.deepEqual([c.status, c.wrap_up], [status, 'done']);
                assert.deepEqual(seq(), [...before, 'finalized']);
            } else {
                assert.throws(() => session.dispatch(id, eventOf(event.name)),
                              { name: 'ConflictError', code: 'CONVO_ECONFLICT' },
                              `${event.name} in ${status}`);
                assert.deepEqual(seq(), before);
            }
        }
        assert.equal(session.get(id).status, status);
    }
});
