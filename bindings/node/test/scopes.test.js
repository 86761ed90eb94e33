'use strict';
// Scopes decide what a session may do and see; organizations never see each other.

const test = require('node:test');
const assert = require('node:assert/strict');
const { convo, acme, requestFor, idOf, standardAgent } = require('./support/harness');

const { Scope } = convo;
const SENSITIVE_KEYS = ['agent', 'summary', 'initial_context', 'custom_metadata', 'conversation',
                        'recording_details'];

test('Scope bits are the C API values and the default session has them all', (t) => {
    assert.deepEqual({ ...Scope }, { READ: 1, WRITE: 2, SENSITIVE: 4, ADMIN: 8, ALL: 15 });
    const { engine } = acme(t);
    const session = engine.session('acme');
    assert.equal(session.scopes, Scope.ALL);
    assert.equal(session.organizationId, 'acme');
});

test('sensitive fields are absent without SENSITIVE and present with it', (t) => {
    const { engine, session } = acme(t);
    const id = idOf(session.create(requestFor('text', 'outbound', {
        initial_context: 'VIP customer',
        custom_metadata: { crm: 'A-17' },
    })));
    session.dispatch(id, { type: 'annotate', summary: 'asked about billing' });

    const reader = engine.session('acme', Scope.READ);
    const plain = reader.get(id);
    for (const key of SENSITIVE_KEYS) assert.ok(!(key in plain), `${key} is visible`);
    assert.equal(plain.status, 'in_progress');

    const trusted = engine.session('acme', Scope.READ | Scope.SENSITIVE).get(id);
    for (const key of SENSITIVE_KEYS) assert.ok(key in trusted, `${key} is missing`);
    assert.equal(trusted.initial_context, 'VIP customer');
    assert.deepEqual(trusted.custom_metadata, { crm: 'A-17' });
    assert.equal(trusted.summary, 'asked about billing');

    // The feed redacts message text the same way.
    const textOf = (s) => s.events({ limit: 1000 }).events
        .filter((e) => e.type === 'message').map((e) => e.data.text);
    assert.deepEqual(textOf(reader), [undefined]);
    assert.deepEqual(textOf(engine.session('acme', Scope.READ | Scope.SENSITIVE)),
                     ['Hi! How can I help?']);
});

test('each operation needs its scope', (t) => {
    const { engine, session } = acme(t);
    const id = idOf(session.create(requestFor('text')));
    const only = (scopes) => engine.session('acme', scopes);
    assert.throws(() => only(Scope.READ).create(requestFor('text')), convo.ForbiddenError);
    assert.throws(() => only(Scope.READ).dispatch(id, { type: 'end' }), convo.ForbiddenError);
    assert.throws(() => only(Scope.WRITE).get(id), convo.ForbiddenError);
    assert.throws(() => only(Scope.WRITE).list(), convo.ForbiddenError);
    assert.throws(() => only(Scope.WRITE).events(), convo.ForbiddenError);
    assert.throws(() => only(Scope.WRITE).agentGet('agent_abc'), convo.ForbiddenError);
    assert.throws(() => only(Scope.READ | Scope.WRITE).agentPut(standardAgent('b', null)),
                  convo.ForbiddenError);
    assert.equal(only(Scope.ADMIN).agentPut(standardAgent('b', null)).id, 'b');
    assert.equal(only(Scope.READ).agentGet('b').name, 'Support');
    assert.equal(only(Scope.WRITE).dispatch(id, { type: 'end' }).status, 'completed');
});

test('organizations are isolated: ids, lists, feeds and agents', (t) => {
    const { engine, session: acmeSession } = acme(t);
    const globex = engine.session('globex');
    const id = idOf(acmeSession.create(requestFor('text')));

    assert.throws(() => globex.get(id), convo.NotFoundError);
    assert.throws(() => globex.dispatch(id, { type: 'end' }), convo.NotFoundError);
    assert.throws(() => globex.agentGet('agent_abc'), convo.NotFoundError);
    assert.deepEqual(globex.list(), { items: [], next_cursor: null });
    assert.deepEqual(globex.events().events, []);
    assert.throws(() => globex.create(requestFor('text')), convo.PreconditionFailedError);

    // A client id taken by another organization is a conflict, not a shared conversation.
    const clientId = '2b7e1516-28ae-4d2a-a6ab-f7158809cf4f';
    acmeSession.create(requestFor('text', 'outbound', { id: clientId }));
    globex.agentPut(standardAgent());
    assert.throws(() => globex.create(requestFor('text', 'outbound', { id: clientId })),
                  convo.ConflictError);
    assert.equal(acmeSession.get(id).organization_id, 'acme');
});
