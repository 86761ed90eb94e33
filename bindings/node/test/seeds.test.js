'use strict';
// Issue 3's surface through the package: sms and whatsapp, seed messages and tags, the WhatsApp
// 24-hour window and templates, takeover and handback, close, finalize, and the takeover and
// wrap-up timers on the manual clock.

const test = require('node:test');
const assert = require('node:assert/strict');
const { convo, acme, manualEngine, requestFor, idOf, START, START_MS, MINUTE, TEMPLATE } =
    require('./support/harness');

const SECOND = 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BUSINESS = '+18885550000'; // the standard agent's phone_number
const iso = (ms) => new Date(ms).toISOString();
const WINDOW_CLOSED = 'text: the WhatsApp 24-hour customer-service window is closed (it opens ' +
    'with each user message); outside it only a template message may be sent';
const TAKEN_OVER = 'role: a human has taken over; agent messages are refused until handback or ' +
    'the takeover timer ends it';

/** Asserts that fn throws exactly `Class` with `detail`; returns the error. */
function throwsExactly(fn, Class, detail) {
    let caught;
    assert.throws(fn, (err) => {
        caught = err;
        return true;
    });
    assert.equal(caught.constructor, Class, `${caught && caught.name}: ${caught && caught.message}`);
    assert.equal(caught.detail, detail);
    return caught;
}

/** A whatsapp conversation whose agent does not greet (a greeting is a free-form message). */
function whatsapp(session, direction = 'inbound', extra = {}) {
    return session.create(requestFor('whatsapp', direction, {
        agent_id: undefined, agent_config: { name: 'WA' }, from_number: BUSINESS, ...extra,
    })).conversation.id;
}

/** The feed of one conversation after `after`: [type, data]. */
function feed(session, id, after = 0) {
    return session.events({ after, limit: 1000 }).events
        .filter((e) => e.conversation_id === id).map((e) => [e.type, e.data]);
}

const nextSeq = (session) => session.events({ limit: 1000 }).next_seq;

test('sms and whatsapp start in progress with the business number; seeds and tags at create',
     (t) => {
    const { session } = acme(t);
    const seeds = [{ role: 'user', text: 'my parcel is late' }, { role: 'agent', text: 'looking' }];
    const body = session.create(requestFor('sms', 'outbound', { messages: seeds, tags: ['vip'] }));
    const c = body.conversation;
    assert.deepEqual([c.channel, c.status, c.from_number, c.tags, c.user_turn_count],
                     ['sms', 'in_progress', BUSINESS, ['vip'], 1]);
    assert.deepEqual(c.conversation.messages, [
        ...seeds.map((m) => ({ ...m, at: START })),
        { role: 'agent', text: 'Hi! How can I help?', at: START }, // the greeting follows the seeds
    ]);
    assert.equal(body.starting_message, 'Hi! How can I help?');
    assert.deepEqual([c.chat_window_expires_at, c.chat_window_remaining_seconds], [null, null]);
    assert.deepEqual([c.human_takeover, c.human_takeover_until, c.wrap_up], [false, null, null]);
    assert.equal(session.create(requestFor('text')).conversation.from_number, null);
    throwsExactly(() => session.create({ ...requestFor('sms'), user_id: 'user_42' }),
                  convo.InvalidRequestError,
                  'user_id: must be an E.164 number (+14155551234) for channel sms');
});

test('whatsapp: a user message opens the 24-hour window; outside it only templates go out',
     (t) => {
    const { engine, session } = acme(t);
    // A user seed does not open the window.
    const id = whatsapp(session, 'inbound', { messages: [{ role: 'user', text: 'earlier' }] });
    let c = session.get(id);
    assert.deepEqual([c.status, c.chat_window_expires_at, c.chat_window_remaining_seconds],
                     ['in_progress', null, 0]);
    const err = throwsExactly(
        () => session.dispatch(id, { type: 'message', role: 'agent', text: 'hello?' }),
        convo.PreconditionFailedError, WINDOW_CLOSED);
    assert.deepEqual([err.code, err.codeNumber, err.httpStatus], ['CONVO_EPRECONDITION', 2, 400]);
    throwsExactly(() => session.dispatch(id, { type: 'message', role: 'human', text: 'hi' }),
                  convo.PreconditionFailedError, WINDOW_CLOSED);
    assert.equal(session.get(id).conversation.messages.length, 1); // nothing stored

    engine.advance(10 * SECOND);
    c = session.dispatch(id, { type: 'message', role: 'user', text: 'where is my order?' });
    assert.equal(c.chat_window_expires_at, iso(START_MS + 10 * SECOND + DAY));
    assert.equal(c.chat_window_remaining_seconds, 24 * 3600);
    c = session.dispatch(id, { type: 'message', role: 'agent', text: 'on its way' });
    assert.equal(c.conversation.messages.length, 3);

    // The window is the contact's: a later conversation with the same numbers shares it (the
    // first has reached its 24-hour max-open by then).
    engine.setClock(START_MS + 10 * SECOND + DAY - SECOND);
    const later = whatsapp(session);
    c = session.dispatch(later, { type: 'message', role: 'human', text: 'anything else?' });
    assert.equal(c.chat_window_remaining_seconds, 1);
    engine.advance(SECOND); // the window's end is now: closed
    c = session.get(later);
    assert.deepEqual([c.chat_window_expires_at, c.chat_window_remaining_seconds], [null, 0]);
    throwsExactly(() => session.dispatch(later, { type: 'message', role: 'agent', text: 'hi?' }),
                  convo.PreconditionFailedError, WINDOW_CLOSED);

    // A template message is always allowed: text null, the template kept.
    const seq = nextSeq(session);
    c = session.dispatch(later, { type: 'message', role: 'agent', template: TEMPLATE });
    assert.deepEqual(c.conversation.messages.at(-1),
                     { role: 'agent', text: null, template: TEMPLATE, at: iso(engine.now()) });
    assert.deepEqual(feed(session, later, seq), [['message', { role: 'agent', template: TEMPLATE }]]);
    const reader = engine.session('acme', convo.Scope.READ);
    assert.deepEqual(reader.events({ after: seq }).events.map((e) => e.data), [{ role: 'agent' }]);
    throwsExactly(() => session.dispatch(idOf(session.create(requestFor('text'))),
                                         { type: 'message', role: 'agent', template: TEMPLATE }),
                  convo.InvalidRequestError,
                  'template: template messages are for channel whatsapp only');
});

test('whatsapp outbound: a template is required while the window is closed', (t) => {
    const { session } = acme(t);
    const seq = nextSeq(session);
    throwsExactly(() => whatsapp(session, 'outbound'), convo.PreconditionFailedError,
                  'message: the WhatsApp 24-hour window with +14155551234 is closed; an outbound ' +
                  'WhatsApp conversation must start with {"type":"template","template":{...}}');
    assert.equal(nextSeq(session), seq);
    assert.deepEqual(session.list().items, []); // nothing created

    const body = session.create(requestFor('whatsapp', 'outbound',
                                           { message: { type: 'template', template: TEMPLATE } }));
    assert.equal(body.starting_message, null); // the template replaces the greeting
    assert.deepEqual(body.conversation.conversation.messages,
                     [{ role: 'agent', text: null, template: TEMPLATE, at: START }]);
    session.dispatch(body.conversation.id, { type: 'message', role: 'user', text: 'yes' });
    // The contact answered: free-form outbound is fine now.
    const second = whatsapp(session, 'outbound');
    assert.equal(session.get(second).chat_window_expires_at, iso(START_MS + DAY));
});

test('takeover: agent messages are a ConflictError until handback; a bare handback is a no-op',
     (t) => {
    const { engine, session } = acme(t);
    const id = idOf(session.create(requestFor('text', 'outbound', { idle_timeout_minutes: 5 })));
    const seq = nextSeq(session);
    let c = session.dispatch(id, { type: 'takeover', minutes: 3 });
    assert.deepEqual([c.status, c.human_takeover, c.human_takeover_until],
                     ['in_progress', true, iso(START_MS + 3 * MINUTE)]);
    const err = throwsExactly(
        () => session.dispatch(id, { type: 'message', role: 'agent', text: 'I can help' }),
        convo.ConflictError, TAKEN_OVER);
    assert.deepEqual([err.code, err.httpStatus], ['CONVO_ECONFLICT', 409]);
    engine.advance(MINUTE);
    c = session.dispatch(id, { type: 'message', role: 'human', text: 'a person here' });
    assert.equal(c.expires_at, iso(START_MS + 6 * MINUTE)); // a human message resets idle too
    c = session.dispatch(id, { type: 'handback' });
    assert.deepEqual([c.human_takeover, c.human_takeover_until], [false, null]);
    session.dispatch(id, { type: 'message', role: 'agent', text: 'back to the bot' });
    assert.deepEqual(feed(session, id, seq), [
        ['takeover', { minutes: 3, until: iso(START_MS + 3 * MINUTE) }],
        ['message', { role: 'human', text: 'a person here' }],
        ['handback', { by: 'handback' }],
        ['message', { role: 'agent', text: 'back to the bot' }],
    ]);

    const before = session.get(id);
    const after = nextSeq(session);
    engine.advance(SECOND);
    const same = session.dispatch(id, { type: 'handback' });
    assert.equal(same.updated_at, before.updated_at);
    assert.deepEqual({ ...same, duration: 0 }, { ...before, duration: 0 });
    assert.equal(nextSeq(session), after);
});

test('the takeover timer hands back on the virtual clock', (t) => {
    const { engine, session } = acme(t);
    const id = idOf(session.create(requestFor('text')));
    session.dispatch(id, { type: 'takeover' }); // default 10 minutes
    assert.equal(engine.nextDeadline().getTime(), START_MS + 10 * MINUTE);
    engine.advance(10 * MINUTE - 1);
    assert.equal(engine.tick(), 0);
    engine.advance(1);
    const seq = nextSeq(session);
    assert.equal(engine.tick(), 1);
    assert.deepEqual(feed(session, id, seq), [['handback', { timer: 'takeover' }]]);
    const c = session.get(id);
    assert.deepEqual([c.status, c.human_takeover, c.human_takeover_until],
                     ['in_progress', false, null]);
});

test('close ends an open conversation; closing again returns it unchanged', (t) => {
    const { engine, session } = acme(t);
    const id = idOf(session.create(requestFor('whatsapp', 'inbound')));
    session.dispatch(id, { type: 'takeover' });
    const seq = nextSeq(session);
    engine.advance(5 * SECOND);
    const closed = session.dispatch(id, { type: 'close', skip_notifications: true });
    assert.deepEqual([closed.status, closed.end_reason, closed.ended_at, closed.wrap_up],
                     ['completed', 'closed', iso(START_MS + 5 * SECOND), 'pending']);
    assert.deepEqual([closed.human_takeover, closed.human_takeover_until], [false, null]);
    const events = session.events({ after: seq }).events;
    assert.deepEqual(events.map((e) => [e.type, e.from, e.to, e.reason, e.data]), [
        ['status_changed', 'in_progress', 'completed', 'closed',
         { event: 'close', skip_notifications: true }],
    ]); // no handback event: ending clears the takeover
    engine.advance(5 * SECOND);
    assert.deepEqual(session.dispatch(id, { type: 'close' }), closed);
    assert.equal(nextSeq(session), seq + 1);

    const calling = idOf(session.create(requestFor('telephone')));
    const cancelled = session.dispatch(calling, { type: 'close' });
    assert.deepEqual([cancelled.status, cancelled.end_reason], ['cancelled', 'closed']);
});

test('finalize wraps up an ended conversation, then records fields as annotations', (t) => {
    const { engine, session } = acme(t);
    const id = idOf(session.create(requestFor('text')));
    throwsExactly(() => session.dispatch(id, { type: 'finalize' }), convo.ConflictError,
                  "event 'finalize' is not allowed in status 'in_progress'");
    session.dispatch(id, { type: 'end' });
    const seq = nextSeq(session);
    let c = session.dispatch(id, { type: 'finalize', summary: 'refund issued', tags: ['refund'] });
    assert.deepEqual([c.wrap_up, c.summary, c.tags], ['done', 'refund issued', ['refund']]);
    assert.equal(engine.nextDeadline(), null);
    c = session.dispatch(id, { type: 'finalize', topic: 'billing' });
    assert.deepEqual([c.wrap_up, c.topic, c.summary], ['done', 'billing', 'refund issued']);
    const last = nextSeq(session);
    assert.deepEqual(session.dispatch(id, { type: 'finalize' }), c); // nothing to record
    assert.equal(nextSeq(session), last);
    assert.deepEqual(feed(session, id, seq), [
        ['finalized', { summary: 'refund issued', tags: ['refund'] }],
        ['annotated', { topic: 'billing' }],
    ]);
    const reader = engine.session('acme', convo.Scope.READ);
    assert.deepEqual(reader.events({ after: seq }).events[0].data, { tags: ['refund'] });
});

test('the wrap-up timer finalizes an ended conversation (wrapUpTimeoutSeconds)', (t) => {
    const engine = manualEngine(t, { wrapUpTimeoutSeconds: 45 });
    const session = engine.session('acme');
    const fired = [];
    engine.subscribe((e) => {
        if (e.data.timer) fired.push([e.type, e.reason, e.data, e.at]);
    });
    const id = session.create({ channel: 'email', user_id: 'u', to_address: 'u@example.com',
                                agent_config: {} }).conversation.id;
    engine.advance(7 * SECOND);
    const c = session.dispatch(id, { type: 'cancel' });
    assert.deepEqual([c.status, c.wrap_up, c.expires_at], ['cancelled', 'pending', null]);
    assert.equal(engine.nextDeadline().getTime(), START_MS + 52 * SECOND);
    engine.advance(44 * SECOND);
    assert.equal(engine.tick(), 0);
    engine.advance(SECOND);
    assert.equal(engine.tick(), 1);
    assert.deepEqual(fired, [['finalized', null, { timer: 'wrap_up' }, iso(START_MS + 52 * SECOND)]]);
    assert.deepEqual([session.get(id).status, session.get(id).wrap_up], ['cancelled', 'done']);
    assert.equal(engine.nextDeadline(), null);

    // The default is 300 s; the option is validated by the engine.
    const { engine: defaults, session: other } = acme(t);
    other.dispatch(idOf(other.create(requestFor('text'))), { type: 'end' });
    assert.equal(defaults.nextDeadline().getTime(), START_MS + 300 * SECOND);
    throwsExactly(() => new convo.Engine({ path: ':memory:', wrapUpTimeoutSeconds: 0 }),
                  convo.InvalidRequestError,
                  'wrap_up_timeout_seconds: must be an integer from 1 to 1000000000');
});
