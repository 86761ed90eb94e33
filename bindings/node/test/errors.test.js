'use strict';
// Every failure reaches JavaScript as the ConvoError subclass of its code, with the code's
// name, number, HTTP status and convo_last_error()'s detail; the binding's own misuse too.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { convo, acme, manualEngine, requestFor, idOf } = require('./support/harness');

/** Asserts that fn throws `Class` with these fields; returns the error. */
function throwsConvo(fn, Class, code, codeNumber, httpStatus, detail) {
    let caught;
    assert.throws(fn, (err) => {
        caught = err;
        return true;
    });
    assert.ok(caught instanceof Class, `${caught && caught.name} is not ${Class.name}`);
    assert.ok(caught instanceof convo.ConvoError);
    assert.ok(caught instanceof Error);
    assert.equal(caught.name, Class.name);
    assert.equal(caught.code, code);
    assert.equal(caught.codeNumber, codeNumber);
    assert.equal(caught.httpStatus, httpStatus);
    if (detail instanceof RegExp) {
        assert.match(caught.detail, detail);
    } else {
        assert.equal(caught.detail, detail);
    }
    assert.equal(caught.message, `${code}: ${caught.detail}`);
    return caught;
}

test('an invalid request is InvalidRequestError (422) naming the field and the rule', (t) => {
    const { session } = acme(t);
    throwsConvo(() => session.create({ ...requestFor('text'), channel: 'fax' }),
                convo.InvalidRequestError, 'CONVO_EINVALID', 1, 422,
                'channel: must be one of telephone, webrtc, email, text, sms, whatsapp');
    throwsConvo(() => session.create({ ...requestFor('text'), colour: 'red' }),
                convo.InvalidRequestError, 'CONVO_EINVALID', 1, 422, 'colour: unknown field');
    throwsConvo(() => session.create('{not json'), convo.InvalidRequestError, 'CONVO_EINVALID',
                1, 422, /^request: not valid JSON: /);
    throwsConvo(() => session.events({ limit: 5000 }), convo.InvalidRequestError,
                'CONVO_EINVALID', 1, 422, 'limit: must be from 1 to 1000 (0 means 100)');
});

test('an unknown agent is PreconditionFailedError (400)', (t) => {
    const { session } = acme(t);
    throwsConvo(() => session.create({ ...requestFor('text'), agent_id: 'nobody' }),
                convo.PreconditionFailedError, 'CONVO_EPRECONDITION', 2, 400,
                "agent_id: unknown agent 'nobody'");
});

test('a missing scope is ForbiddenError (403)', (t) => {
    const engine = manualEngine(t);
    const reader = engine.session('acme', convo.Scope.READ);
    throwsConvo(() => reader.create(requestFor('text')), convo.ForbiddenError,
                'CONVO_EFORBIDDEN', 3, 403,
                'scope: creating a conversation needs the WRITE scope, which this session does ' +
                'not have');
});

test('an unknown conversation or agent is NotFoundError (404)', (t) => {
    const { session } = acme(t);
    throwsConvo(() => session.get('0b6f5c3e-8f4a-4c43-9a3e-2f1d5e7a9b10'), convo.NotFoundError,
                'CONVO_ENOTFOUND', 4, 404,
                "conversation '0b6f5c3e-8f4a-4c43-9a3e-2f1d5e7a9b10' not found");
    throwsConvo(() => session.agentGet('nobody'), convo.NotFoundError, 'CONVO_ENOTFOUND', 4, 404,
                "agent 'nobody' not found");
});

test('a refused event is ConflictError (409), and so is a database already open', (t) => {
    const { session } = acme(t);
    const id = idOf(session.create(requestFor('email')));
    throwsConvo(() => session.dispatch(id, { type: 'answered' }), convo.ConflictError,
                'CONVO_ECONFLICT', 5, 409,
                "event 'answered' is not allowed in status 'triggered' for channel 'email'");

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convo-node-'));
    const file = path.join(dir, 'busy.db');
    const first = new convo.Engine({ path: file });
    t.after(() => {
        first.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });
    throwsConvo(() => new convo.Engine({ path: file }), convo.ConflictError, 'CONVO_ECONFLICT',
                5, 409, /in use/);
});

test('a database that cannot be opened is StorageError (503)', () => {
    throwsConvo(() => new convo.Engine({ path: '/nonexistent-convo-dir/x.db' }),
                convo.StorageError, 'CONVO_ESTORAGE', 6, 503, /unable to open database file/);
});

test('a manual-clock call on a system clock is MisuseError (500) from the library', (t) => {
    const engine = new convo.Engine({ path: ':memory:' });
    t.after(() => engine.close());
    throwsConvo(() => engine.setClock(new Date()), convo.MisuseError, 'CONVO_EMISUSE', 8, 500,
                /manual/);
});

test('engine options are validated by the engine; camelCase keys are its snake_case keys',
     (t) => {
    throwsConvo(() => new convo.Engine({ path: ':memory:', ringTimeoutSeconds: 0 }),
                convo.InvalidRequestError, 'CONVO_EINVALID', 1, 422, /^ring_timeout_seconds: /);
    throwsConvo(() => new convo.Engine({ path: ':memory:', ringTimeoutSecs: 5 }),
                convo.InvalidRequestError, 'CONVO_EINVALID', 1, 422,
                'ringTimeoutSecs: unknown field');

    const engine = manualEngine(t, { maxMessageBytes: 16 });
    const session = engine.session('acme');
    const id = idOf(session.create({ channel: 'text', user_id: 'u1', agent_config: {} }));
    throwsConvo(() => session.dispatch(id, { type: 'message', role: 'user',
                                             text: 'seventeen bytes!!' }),
                convo.InvalidRequestError, 'CONVO_EINVALID', 1, 422,
                'text: longer than 16 bytes (max_message_bytes)');
});

test('timer_thread is refused, pointing at startTimers()', () => {
    for (const options of [{ timer_thread: true }, { timerThread: true }]) {
        throwsConvo(() => new convo.Engine({ path: ':memory:', ...options }),
                    convo.InvalidRequestError, 'CONVO_EINVALID', 1, 422,
                    /^timer_thread: .*foreign thread.*startTimers\(\)/);
    }
});

test('a closed engine or session is MisuseError from the binding; close is idempotent', (t) => {
    const engine = manualEngine(t);
    const session = engine.session('acme');
    const other = engine.session('acme');
    other.close();
    other.close();
    assert.equal(other.closed, true);
    throwsConvo(() => other.get('x'), convo.MisuseError, 'CONVO_EMISUSE', 8, 500,
                'the session is closed');
    engine.close();
    engine.close();
    assert.equal(engine.closed, true);
    assert.equal(session.closed, true); // the engine closed its sessions first
    throwsConvo(() => session.get('x'), convo.MisuseError, 'CONVO_EMISUSE', 8, 500,
                'the engine is closed');
    throwsConvo(() => engine.now(), convo.MisuseError, 'CONVO_EMISUSE', 8, 500,
                'the engine is closed');
    throwsConvo(() => engine.session('acme'), convo.MisuseError, 'CONVO_EMISUSE', 8, 500,
                'the engine is closed');
});

test('wrong JavaScript types are TypeErrors before any call', (t) => {
    const { engine, session } = acme(t);
    assert.throws(() => session.create(42), TypeError);
    assert.throws(() => session.get(7), TypeError);
    assert.throws(() => session.events({ after: -1 }), TypeError);
    assert.throws(() => engine.subscribe('not a function'), TypeError);
    assert.throws(() => engine.setClock('not a time'), TypeError);
    assert.throws(() => engine.session('acme', 'all'), TypeError);
});

test('errorFromCode maps every code to its class, name and HTTP status', () => {
    const table = [
        [1, convo.InvalidRequestError, 'CONVO_EINVALID', 422],
        [2, convo.PreconditionFailedError, 'CONVO_EPRECONDITION', 400],
        [3, convo.ForbiddenError, 'CONVO_EFORBIDDEN', 403],
        [4, convo.NotFoundError, 'CONVO_ENOTFOUND', 404],
        [5, convo.ConflictError, 'CONVO_ECONFLICT', 409],
        [6, convo.StorageError, 'CONVO_ESTORAGE', 503],
        [7, convo.InternalError, 'CONVO_EINTERNAL', 500],
        [8, convo.MisuseError, 'CONVO_EMISUSE', 500],
    ];
    for (const [n, Class, code, http] of table) {
        const err = convo.errorFromCode(n, 'why');
        assert.ok(err instanceof Class);
        assert.equal(err.code, code);
        assert.equal(err.httpStatus, http);
        assert.equal(err.detail, 'why');
    }
    const unknown = convo.errorFromCode(99, 'later code');
    assert.equal(unknown.constructor, convo.ConvoError);
    assert.equal(unknown.code, 'CONVO_UNKNOWN');
    assert.equal(unknown.httpStatus, 500);
    assert.throws(() => convo.errorFromCode(0), RangeError);
});
