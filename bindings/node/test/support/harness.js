'use strict';
// Shared test setup: the package, loaded for real (a missing koffi or libconvo.so fails every
// test file with the reason instead of skipping), manual-clock in-memory engines, and the
// standard agent and create requests of tests/api/harness.h.

const path = require('node:path');

const convo = require('../..');

// Fails the importing test file at once, with the lookup's own message, when libconvo.so
// cannot be loaded.
const libraryPath = convo.Engine.libraryPath;

const PACKAGE_DIR = path.join(__dirname, '..', '..');
const START = '2026-01-01T00:00:00.000Z';
const START_MS = Date.parse(START);
const MINUTE = 60 * 1000;
/** Channels whose user_id is an E.164 number. */
const PHONE_CHANNELS = ['telephone', 'sms', 'whatsapp'];
/** A WhatsApp template (Wassist's SendMessageTemplateInput). */
const TEMPLATE = { name: 'order_update', variables: { body: ['A-17'] } };

/** A manual-clock in-memory engine at START; `t.after` closes it. */
function manualEngine(t, options = {}) {
    const engine = new convo.Engine({ path: ':memory:', clock: 'manual', start: START,
                                      ...options });
    t.after(() => engine.close());
    return engine;
}

/** The standard agent: published version 1 that speaks first, an unpublished version 2. */
function standardAgent(id = 'agent_abc', phone = '+18885550000') {
    return {
        id,
        name: 'Support',
        phone_number: phone,
        versions: [
            {
                version: 1,
                published: true,
                greeting: 'Hi! How can I help?',
                speaks_first: true,
                default_subject: 'Hello from Support',
                capabilities: { supportsVideoInput: false, supportsScreenShare: true },
            },
            { version: 2, published: false, greeting: 'Draft greeting', speaks_first: true },
        ],
    };
}

/** A minimal valid create request for `channel` with the standard agent. */
function requestFor(channel, direction = 'outbound', extra = {}) {
    const r = {
        channel,
        direction,
        agent_id: 'agent_abc',
        user_id: PHONE_CHANNELS.includes(channel) ? '+14155551234' : 'user_42',
    };
    if (channel === 'email') r.to_address = 'customer@example.com';
    return { ...r, ...extra };
}

/** An engine with organization "acme" (all scopes) holding the standard agent. */
function acme(t, options = {}) {
    const engine = manualEngine(t, options);
    const session = engine.session('acme');
    session.agentPut(standardAgent());
    return { engine, session };
}

/** The id of a create response, whatever the channel. */
function idOf(response) {
    return response.contact_id || response.conversation.id;
}

/** The environment of a child process that must find the library the tests use. */
function childEnv(extra = {}) {
    const env = { ...process.env, ...extra };
    // A bare name came from the system loader, which the child uses as well.
    if (libraryPath.includes('/') && !('CONVO_LIBRARY' in extra)) {
        env.CONVO_LIBRARY = path.resolve(libraryPath);
    }
    return env;
}

module.exports = {
    convo,
    libraryPath,
    PACKAGE_DIR,
    START,
    START_MS,
    MINUTE,
    PHONE_CHANNELS,
    TEMPLATE,
    manualEngine,
    standardAgent,
    requestFor,
    acme,
    idOf,
    childEnv,
};
