'use strict';
// describe(): the lifecycle table the engine runs on, checked against the engine itself.

const test = require('node:test');
const assert = require('node:assert/strict');
const { acme, requestFor, idOf } = require('./support/harness');

// Fields an event type needs to be valid (docs/c-api.md).
const FIELDS = {
    message: { role: 'user', text: 'hello' },
    fail: { reason: 'carrier_error' },
    transfer: { to: '+14155550000' },
    annotate: { topic: 'billing' },
};
const eventOf = (type) => ({ type, ...(FIELDS[type] || {}) });

test('the table names the statuses, channels, events and timers', (t) => {
    const { engine } = acme(t);
    const table = engine.describe();
    assert.deepEqual(table.statuses.filter((s) => !s.terminal).map((s) => s.name),
                     ['token_created', 'triggered', 'ringing', 'in_progress']);
    assert.deepEqual(table.statuses.filter((s) => s.terminal).map((s) => s.name),
                     ['completed', 'failed', 'cancelled', 'transferred', 'unanswered']);
    assert.deepEqual(table.channels, ['telephone', 'webrtc', 'email', 'text']);
    assert.equal(table.events.length, 12);
    assert.deepEqual(table.initial.map((r) => [r.channel, r.direction, r.status]), [
        ['telephone', 'outbound', 'triggered'], ['telephone', 'inbound', 'ringing'],
        ['webrtc', null, 'token_created'], ['email', null, 'triggered'],
        ['text', null, 'in_progress'],
    ]);
    assert.deepEqual(table.timers.map((x) => [x.name, x.end_reason]), [
        ['idle', 'idle_timeout'], ['max_open', 'max_open_timeout'], ['ring', 'ring_timeout'],
        ['dial', 'dial_timeout'], ['join', 'token_expired'],
    ]);
    const ring = table.timers.find((x) => x.name === 'ring');
    assert.deepEqual(ring.armed_in, ['ringing']);
    assert.deepEqual(ring.fires, [{ from: 'ringing', to: 'unanswered' }]);
    assert.equal(ring.closes, true);
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
        const id = idOf(session.create(requestFor(channel, route.direction)));
        for (const type of route.events) session.dispatch(id, eventOf(type));
        assert.equal(session.get(id).status, status);
        return id;
    };
    let checked = 0;
    for (const event of table.events) {
        for (const tr of event.transitions) {
            let reachable = 0;
            for (const channel of tr.channels) {
                const id = bring(tr.from, channel);
                if (id === null) continue;
                reachable++;
                checked++;
                const after = session.dispatch(id, eventOf(event.name));
                assert.equal(after.status, tr.to, `${event.name} from ${tr.from} on ${channel}`);
            }
            assert.ok(reachable > 0, `${event.name} from ${tr.from}: no channel reaches it`);
        }
    }
    assert.ok(checked >= 40, `only ${checked} transitions checked`);
});

test('terminal statuses absorb every event but annotate', (t) => {
    const { engine, session } = acme(t);
    const table = engine.describe();
    const reach = paths(table);
    const terminal = table.statuses.filter((s) => s.terminal).map((s) => s.name);
    for (const status of terminal) {
        const key = [...reach.keys()].find((k) => k.startsWith(`${status}/`));
        assert.ok(key, `${status} is unreachable`);
        const route = reach.get(key);
        const id = idOf(session.create(requestFor(route.channel, route.direction)));
        for (const type of route.events) session.dispatch(id, eventOf(type));
        for (const event of table.events) {
            if (event.name === 'annotate') {
                assert.equal(session.dispatch(id, eventOf('annotate')).status, status);
                continue;
            }
            assert.throws(() => session.dispatch(id, eventOf(event.name)),
                          { name: 'ConflictError', code: 'CONVO_ECONFLICT' },
                          `${event.name} in ${status}`);
        }
        assert.equal(session.get(id).status, status);
    }
});
