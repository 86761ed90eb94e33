'use strict';
// A whole lifecycle on each channel, through the package: create responses and statuses per
// channel, events, refused events, idempotent retries.

const test = require('node:test');
const assert = require('node:assert/strict');
const { convo, acme, requestFor, idOf } = require('./support/harness');

test('text: starts in progress with the greeting, takes messages, ends completed', (t) => {
    const { session } = acme(t);
    const { body, httpStatus } = session.create(requestFor('text'), { withStatus: true });
    assert.equal(httpStatus, 200);
    assert.equal(body.starting_message, 'Hi! How can I help?');
    const c = body.conversation;
    assert.equal(c.status, 'in_progress');
    assert.equal(c.channel, 'text');
    assert.deepEqual(c.conversation.messages.map((m) => [m.role, m.text]),
                     [['agent', 'Hi! How can I help?']]);

    const after = session.dispatch(c.id, { type: 'message', role: 'user', text: 'hello' });
    assert.equal(after.user_turn_count, 1);
    assert.deepEqual(after.conversation.messages.map((m) => m.text),
                     ['Hi! How can I help?', 'hello']);

    const ended = session.dispatch(c.id, { type: 'end' });
    assert.equal(ended.status, 'completed');
    assert.equal(ended.end_reason, 'ended');
    assert.deepEqual(session.get(c.id), ended);
});

test('text: an event the table does not allow is a ConflictError that changes nothing', (t) => {
    const { session } = acme(t);
    const id = idOf(session.create(requestFor('text')));
    const before = session.get(id);
    assert.throws(() => session.dispatch(id, { type: 'answered' }), (err) => {
        assert.ok(err instanceof convo.ConflictError);
        assert.equal(err.detail, "event 'answered' is not allowed in status 'in_progress'");
        return true;
    });
    assert.deepEqual(session.get(id), before);
});

test('email: triggered, delivered, replied to, ended with a reason', (t) => {
    const { session } = acme(t);
    const { body, httpStatus } = session.create(requestFor('email'), { withStatus: true });
    assert.equal(httpStatus, 200);
    assert.equal(body.starting_message, null);
    assert.equal(body.conversation.status, 'triggered');
    assert.equal(body.conversation.to_address, 'customer@example.com');
    const id = body.conversation.id;
    assert.equal(session.dispatch(id, { type: 'delivered' }).status, 'in_progress');
    session.dispatch(id, { type: 'message', role: 'user', text: 'Thanks!' });
    const ended = session.dispatch(id, { type: 'end', reason: 'resolved' });
    assert.equal(ended.status, 'completed');
    assert.equal(ended.end_reason, 'resolved');

    // A reply to an email that was never marked delivered opens it.
    const other = idOf(session.create(requestFor('email')));
    const opened = session.dispatch(other, { type: 'message', role: 'user', text: 'Hi' });
    assert.equal(opened.status, 'in_progress');
});

test('webrtc: token with connection details, joined, ended', (t) => {
    const { session } = acme(t, { webrtcUrl: 'wss://rtc.example.test/join' });
    const { body, httpStatus } = session.create(requestFor('webrtc'), { withStatus: true });
    assert.equal(httpStatus, 200);
    assert.equal(body.conversation.status, 'token_created');
    assert.equal(body.connection_details.url, 'wss://rtc.example.test/join');
    assert.equal(typeof body.connection_details.token, 'string');
    assert.ok(body.connection_details.token.length > 0);
    assert.deepEqual(body.capabilities, { supportsVideoInput: false, supportsScreenShare: true });
    const id = body.conversation.id;
    assert.equal(session.dispatch(id, { type: 'joined' }).status, 'in_progress');
    assert.equal(session.dispatch(id, { type: 'end' }).status, 'completed');
});

test('telephone outbound: 202 with the contact id, rings, answered, transferred', (t) => {
    const { session } = acme(t);
    const { body, httpStatus } = session.create(requestFor('telephone'), { withStatus: true });
    assert.equal(httpStatus, 202);
    assert.deepEqual(Object.keys(body), ['contact_id']);
    const id = body.contact_id;
    const c = session.get(id);
    assert.equal(c.status, 'triggered');
    assert.equal(c.agent_number, '+18885550000'); // the agent's phone_number
    assert.equal(session.dispatch(id, { type: 'ringing' }).status, 'ringing');
    assert.equal(session.dispatch(id, { type: 'answered' }).status, 'in_progress');
    const moved = session.dispatch(id, { type: 'transfer', to: '+14155550000' });
    assert.equal(moved.status, 'transferred');
    assert.equal(moved.transferred_to, '+14155550000');
    assert.equal(moved.end_reason, 'transferred');
});

test('telephone inbound: starts ringing; unanswered is terminal', (t) => {
    const { session } = acme(t);
    const id = idOf(session.create(requestFor('telephone', 'inbound')));
    assert.equal(session.get(id).status, 'ringing');
    const c = session.dispatch(id, { type: 'no_answer' });
    assert.equal(c.status, 'unanswered');
    assert.equal(c.end_reason, 'no_answer');
    assert.throws(() => session.dispatch(id, { type: 'cancel' }), convo.ConflictError);
});

test('a repeated client id returns the stored response; a repeated event_id changes nothing',
     (t) => {
    const { session } = acme(t);
    const request = requestFor('telephone', 'outbound',
                               { id: '0b6f5c3e-8f4a-4c43-9a3e-2f1d5e7a9b10' });
    const first = session.create(request, { withStatus: true });
    const seq = session.events().next_seq;
    assert.deepEqual(session.create(request, { withStatus: true }), first);
    assert.equal(session.events().next_seq, seq);

    const id = first.body.contact_id;
    const rang = session.dispatch(id, { type: 'ringing', event_id: 'evt-1' });
    const feed = session.events().next_seq;
    assert.deepEqual(session.dispatch(id, { type: 'ringing', event_id: 'evt-1' }), rang);
    assert.equal(session.events().next_seq, feed);
});

test('requests may be given as JSON text, as a REST host receives them', (t) => {
    const { session } = acme(t);
    const body = session.create('{"channel":"text","user_id":"u1","agent_id":"agent_abc"}');
    assert.equal(body.conversation.user_id, 'u1');
    const c = session.dispatch(body.conversation.id, '{"type":"annotate","topic":"billing"}');
    assert.equal(c.topic, 'billing');
});
