'use strict';
// Subscribers: every event in seq order, synchronously; exceptions reported, never fatal;
// re-entrant calls; koffi callbacks released exactly when nothing can call them any more.

const test = require('node:test');
const assert = require('node:assert/strict');
const koffi = require('koffi');
const { convo, acme, requestFor, idOf, standardAgent } = require('./support/harness');

const registered = () => koffi.stats().callbacks;

test('a subscriber gets every organization\'s events as they commit, parsed and unredacted',
     (t) => {
    const { engine, session } = acme(t);
    const seen = [];
    const unsubscribe = engine.subscribe((e) => seen.push(e));
    const globex = engine.session('globex', convo.Scope.ALL);
    globex.agentPut(standardAgent());

    const id = idOf(session.create(requestFor('text')));
    // Delivered before create() returned.
    assert.deepEqual(seen.map((e) => [e.seq, e.type]), [[1, 'created'], [2, 'message']]);
    assert.equal(seen[1].data.text, 'Hi! How can I help?');
    globex.create(requestFor('email'));
    session.dispatch(id, { type: 'end' });

    assert.deepEqual(seen.map((e) => e.seq), [1, 2, 3, 4]);
    assert.deepEqual(seen.map((e) => e.organization_id), ['acme', 'acme', 'globex', 'acme']);
    assert.deepEqual(seen[3], session.events({ after: 2 }).events[0]);

    unsubscribe();
    unsubscribe(); // idempotent
    session.create(requestFor('text'));
    assert.equal(seen.length, 4);
});

test('a subscriber that throws is reported; the change stands and others still get it',
     (t) => {
    const { engine, session } = acme(t);
    const reported = [];
    engine.on('error', (err) => reported.push(err));
    engine.subscribe((e) => {
        throw new Error(`subscriber failed on ${e.seq}`);
    });
    const seen = [];
    engine.subscribe((e) => seen.push(e.seq));

    const body = session.create(requestFor('text'));
    assert.equal(session.get(body.conversation.id).status, 'in_progress');
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(reported.map((e) => e.message),
                     ['subscriber failed on 1', 'subscriber failed on 2']);
});

test('without an error listener a throwing subscriber goes to console.error', (t) => {
    const { engine, session } = acme(t);
    const printed = [];
    t.mock.method(console, 'error', (...args) => printed.push(args));
    engine.subscribe(() => {
        throw new TypeError('bad subscriber');
    });
    session.create(requestFor('text'));
    assert.equal(printed.length, 2);
    assert.match(String(printed[0][0]), /subscriber threw/);
    assert.equal(printed[0][1].message, 'bad subscriber');
});

test('an error listener that throws is caught too', (t) => {
    const { engine, session } = acme(t);
    const printed = [];
    t.mock.method(console, 'error', (...args) => printed.push(args));
    engine.on('error', () => {
        throw new Error('listener failed');
    });
    engine.subscribe(() => {
        throw new Error('subscriber failed');
    });
    session.create(requestFor('text'));
    assert.ok(printed.some((args) => args.some((a) => a && a.message === 'listener failed')));
});

test('a subscriber may call back into the engine; its events follow in seq order', (t) => {
    const { engine, session } = acme(t);
    const order = [];
    // Assertions inside a subscriber would be reported, not fail the test: record instead.
    engine.on('error', (err) => order.push(`error: ${err.message}`));
    engine.subscribe((e) => {
        order.push(`${e.seq}:${e.type}`);
        // React to a user message with an agent reply, from inside the delivery.
        if (e.type === 'message' && e.data.role === 'user') {
            const c = session.dispatch(e.conversation_id,
                                       { type: 'message', role: 'agent', text: 'On it.' });
            order.push(`reply->${c.conversation.messages.length}`);
        }
    });
    const id = idOf(session.create(requestFor('text')));
    session.dispatch(id, { type: 'message', role: 'user', text: 'help' });
    // The reply's event is delivered after the callback that caused it returned.
    assert.deepEqual(order, ['1:created', '2:message', '3:message', 'reply->3', '4:message']);
    assert.deepEqual(session.get(id).conversation.messages.map((m) => m.text),
                     ['Hi! How can I help?', 'help', 'On it.']);
});

test('unsubscribing another subscriber during a delivery is safe', (t) => {
    const { engine, session } = acme(t);
    const base = registered();
    const calls = [];
    let unsubscribeB = null;
    let duringDelivery = null;
    engine.on('error', (err) => calls.push(`error: ${err.message}`));
    engine.subscribe((e) => {
        calls.push(`A${e.seq}`);
        if (unsubscribeB) {
            unsubscribeB();
            unsubscribeB = null;
            duringDelivery = registered();
        }
    });
    unsubscribeB = engine.subscribe((e) => calls.push(`B${e.seq}`));
    assert.equal(registered(), base + 2);
    session.create(requestFor('text'));
    assert.deepEqual(calls, ['A1', 'A2']); // B was removed before its turn
    // B stayed registered while the delivery that saw it ran, and was released after.
    assert.equal(duringDelivery, base + 2);
    assert.equal(registered(), base + 1);
});

test('koffi callbacks are released on unsubscribe, setLogHandler(null) and close', (t) => {
    const base = registered();
    const { engine } = acme(t);
    // More subscriptions over time than koffi has callback slots (8192).
    for (let i = 0; i < 9000; i++) engine.subscribe(() => {})();
    assert.equal(registered(), base);
    engine.subscribe(() => {});
    engine.subscribe(() => {});
    engine.setLogHandler(() => {});
    engine.setLogHandler(() => {}); // replaces: the first is released
    assert.equal(registered(), base + 3);
    engine.setLogHandler(null);
    assert.equal(registered(), base + 2);
    engine.setLogHandler(() => {});
    engine.close();
    assert.equal(registered(), base);
});

test('close() from a subscriber is refused; the engine goes on', (t) => {
    const { engine, session } = acme(t);
    const errors = [];
    engine.subscribe(() => {
        try {
            engine.close();
        } catch (err) {
            errors.push(err);
        }
    });
    session.create(requestFor('text'));
    assert.equal(errors.length, 2);
    assert.ok(errors[0] instanceof convo.MisuseError);
    assert.equal(errors[0].detail, 'close() must not be called from a subscriber');
    assert.equal(engine.closed, false);
    assert.equal(session.list().items.length, 1);
});
