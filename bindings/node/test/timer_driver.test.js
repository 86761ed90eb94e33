'use strict';
// startTimers(): timers fired on setTimeout with the system clock, exactly when due, re-armed
// after changes, and never keeping the process alive unless asked to.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { convo, standardAgent, requestFor, childEnv, PACKAGE_DIR } = require('./support/harness');

const LATE_TOLERANCE_MS = 500; // a loaded 2-core CI machine

function systemEngine(t, options = {}) {
    const engine = new convo.Engine({ path: ':memory:', ...options });
    t.after(() => engine.close());
    const session = engine.session('acme');
    session.agentPut(standardAgent());
    return { engine, session };
}

test('a 1-second ring timeout fires on time, after a change moved the deadline earlier',
     async (t) => {
    const { engine, session } = systemEngine(t, { ringTimeoutSeconds: 1 });
    const fired = new Promise((resolve) => {
        engine.subscribe((e) => {
            if (e.type === 'status_changed' && e.reason === 'ring_timeout') {
                resolve({ event: e, at: Date.now() });
            }
        });
    });
    const reported = [];
    engine.on('error', (err) => reported.push(err));

    engine.startTimers({ keepAlive: true }); // idle: nothing pending yet
    assert.equal(engine.timersRunning, true);
    session.create(requestFor('text')); // a deadline a day away
    const ringing = session.create(requestFor('telephone', 'inbound')).contact_id;
    const deadline = engine.nextDeadline().getTime(); // the ring, a second away
    assert.equal(deadline, Date.parse(session.get(ringing).created_at) + 1000);

    const { event, at } = await fired;
    assert.equal(event.conversation_id, ringing);
    assert.equal(event.at, new Date(deadline).toISOString()); // fired at its own deadline
    assert.ok(at >= deadline, `fired ${deadline - at} ms early`);
    assert.ok(at - deadline < LATE_TOLERANCE_MS, `fired ${at - deadline} ms late`);
    assert.equal(session.get(ringing).status, 'unanswered');
    assert.deepEqual(reported, []);

    engine.stopTimers();
    assert.equal(engine.timersRunning, false);
});

test('stopTimers() stops firing; close() stops the driver too', async (t) => {
    const { engine, session } = systemEngine(t, { ringTimeoutSeconds: 1 });
    engine.startTimers({ keepAlive: true });
    const id = session.create(requestFor('telephone', 'inbound')).contact_id;
    engine.stopTimers();
    await new Promise((resolve) => setTimeout(resolve, 1300));
    assert.equal(session.get(id).status, 'ringing'); // overdue, but nobody ticked
    assert.equal(engine.tick(), 1);
    engine.startTimers();
    engine.close();
    assert.equal(engine.timersRunning, false);
});

/** Runs `script` in a child Node process that has `convo` as `require(PACKAGE_DIR)`. */
function runChild(script) {
    const started = Date.now();
    return new Promise((resolve) => {
        execFile(process.execPath, ['-e', script],
                 { env: childEnv({ CONVO_PACKAGE: PACKAGE_DIR }), timeout: 15000 },
                 (error, stdout, stderr) => resolve({
                     code: error ? error.code : 0,
                     signal: error ? error.signal : null,
                     stdout,
                     stderr,
                     elapsed: Date.now() - started,
                 }));
    });
}

const CHILD_SETUP = `
    const convo = require(process.env.CONVO_PACKAGE);
    const engine = new convo.Engine({ path: ':memory:', ringTimeoutSeconds: RING,
                                      wrapUpTimeoutSeconds: WRAP });
    const s = engine.session('acme');
    const id = s.create({ channel: 'telephone', direction: 'inbound', user_id: '+14155551234',
                          agent_config: {} }).contact_id;
    engine.subscribe((e) => { if (e.data.timer) console.log('fired', e.reason || e.data.timer); });
`;

test('by default the driver does not keep the process alive', async () => {
    const child = await runChild(CHILD_SETUP.replace('RING', '60').replace('WRAP', '300') + `
        engine.startTimers();
        console.log('armed', engine.nextDeadline() !== null);
    `);
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.stdout, 'armed true\n');
    assert.ok(child.elapsed < 10000, `took ${child.elapsed} ms`); // not the 60 s ring
});

test('keepAlive holds the process while a deadline is pending, and not once idle',
     async () => {
    // The ring timeout ends the call after 1 s; its wrap-up is then pending for 1 s more.
    const child = await runChild(CHILD_SETUP.replace('RING', '1').replace('WRAP', '1') + `
        engine.startTimers({ keepAlive: true });
        process.on('exit', () => console.log('idle', engine.nextDeadline() === null));
    `);
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.stdout, 'fired ring_timeout\nfired wrap_up\nidle true\n');
    assert.ok(child.elapsed >= 2000, `exited after ${child.elapsed} ms, before the wrap-up`);
    assert.ok(child.elapsed < 10000, `took ${child.elapsed} ms`);
});
