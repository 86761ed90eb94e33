'use strict';
// A support chat on a manual clock: the agent greets, the user writes twice, goes quiet, and
// the five-minute idle timeout closes the conversation. Every feed event is printed as it
// commits.
//
//   CONVO_LIBRARY=/path/to/libconvo.so node examples/chat_idle_timeout.js

const { Engine, ConflictError } = require('..');

const MINUTE = 60 * 1000;

const engine = new Engine({ path: ':memory:', clock: 'manual', start: '2026-01-01T09:00:00Z' });
const unsubscribe = engine.subscribe((e) => {
    const what = e.type === 'message'
        ? `${e.data.role}: ${e.data.text}`
        : `${e.from || '-'} -> ${e.to}${e.reason ? ` (${e.reason})` : ''}`;
    console.log(`[${e.at}] #${e.seq} ${e.type} ${what}`);
});

const acme = engine.session('acme');
acme.agentPut({
    id: 'support',
    name: 'Support',
    versions: [{ version: 1, published: true, greeting: 'Hi! How can I help?' }],
});

const { body, httpStatus } = acme.create(
    { channel: 'text', user_id: 'user_42', agent_id: 'support', idle_timeout_minutes: 5 },
    { withStatus: true });
const id = body.conversation.id;
console.log(`created ${id}: HTTP ${httpStatus}, status ${body.conversation.status}`);

engine.advance(1 * MINUTE);
acme.dispatch(id, { type: 'message', role: 'user', text: 'My order has not arrived.' });
engine.advance(2 * MINUTE);
acme.dispatch(id, { type: 'message', role: 'agent', text: 'Let me check that for you.' });
console.log(`idle deadline: ${engine.nextDeadline().toISOString()}`);

engine.advance(5 * MINUTE); // five quiet minutes
const fired = engine.tick();
const c = acme.get(id);
console.log(`fired ${fired} timer(s): status ${c.status}, end_reason ${c.end_reason}, ` +
            `${c.conversation.messages.length} messages, ${c.duration} s`);

try {
    acme.dispatch(id, { type: 'message', role: 'user', text: 'Hello?' });
} catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    console.log(`too late: ${err.code} (HTTP ${err.httpStatus}): ${err.detail}`);
}

unsubscribe();
engine.close();
