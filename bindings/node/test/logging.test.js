'use strict';
// setLogHandler: the engine's own log to a JavaScript function, at the engine's log level.

const test = require('node:test');
const assert = require('node:assert/strict');
const { convo, acme, requestFor, idOf } = require('./support/harness');

const { LogLevel } = convo;

test('LogLevel has the CONVO_LOG_* values', () => {
    assert.deepEqual({ ...LogLevel },
                     { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, CRITICAL: 5 });
});

test('the handler gets the engine\'s messages at its level until removed', (t) => {
    const { engine, session } = acme(t, { logLevel: 'debug' });
    const lines = [];
    engine.setLogHandler((level, message) => lines.push([level, message]));
    const id = idOf(session.create(requestFor('text')));
    assert.ok(lines.some(([level, message]) => level === LogLevel.DEBUG && message.includes(id)),
              `no debug line names ${id}: ${JSON.stringify(lines)}`);

    engine.setLogHandler(null);
    const count = lines.length;
    session.create(requestFor('text'));
    assert.equal(lines.length, count);
});

test('the log level filters what the handler sees', (t) => {
    const { engine, session } = acme(t); // default level: warn
    const lines = [];
    engine.setLogHandler((level, message) => lines.push([level, message]));
    session.create(requestFor('text'));
    engine.advance(25 * 60 * 60 * 1000);
    engine.tick(); // fires max-open: logged at debug
    assert.deepEqual(lines, []);
});

test('the handler stays in place through close(), which logs', (t) => {
    const engine = new convo.Engine({ path: ':memory:', clock: 'manual', logLevel: 'info' });
    const lines = [];
    engine.setLogHandler((level, message) => lines.push([level, message]));
    engine.close();
    assert.deepEqual(lines, [[LogLevel.INFO, 'closed :memory:']]);
});

test('a handler that calls the engine gets MisuseError instead of a deadlock', (t) => {
    const { engine, session } = acme(t, { logLevel: 'debug' });
    const caught = [];
    const attempt = (fn) => {
        try {
            fn();
        } catch (err) {
            caught.push(err);
        }
    };
    engine.setLogHandler(() => {
        attempt(() => engine.now());
        attempt(() => session.close());
        attempt(() => engine.close());
    });
    session.create(requestFor('text'));
    assert.ok(caught.length >= 3);
    for (const err of caught) {
        assert.ok(err instanceof convo.MisuseError);
        assert.match(err.detail, /log handler must not call convo functions/);
    }
    engine.setLogHandler(null);
    // Nothing was half done: fine again outside the handler.
    assert.equal(engine.closed, false);
    assert.equal(session.closed, false);
    assert.ok(engine.now() instanceof Date);
    assert.equal(session.list().items.length, 1);
});

test('a handler that throws is reported after the call, and logging goes on', async (t) => {
    const { engine, session } = acme(t, { logLevel: 'debug' });
    const reported = [];
    let calls = 0;
    engine.on('error', (err) => {
        // Runs outside the handler: the engine may be called from here.
        reported.push([err.message, engine.now().toISOString()]);
    });
    engine.setLogHandler(() => {
        calls++;
        throw new Error(`handler failed ${calls}`);
    });
    session.create(requestFor('text'));
    session.create(requestFor('text'));
    assert.equal(calls, 2);
    assert.deepEqual(reported, []); // not yet: reported on the next tick
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(reported, [['handler failed 1', '2026-01-01T00:00:00.000Z'],
                                ['handler failed 2', '2026-01-01T00:00:00.000Z']]);
    engine.setLogHandler(null); // close() logs too
});
