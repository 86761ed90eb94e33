'use strict';
// The example runs as documented and tells the story it promises.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { childEnv, PACKAGE_DIR } = require('./support/harness');

test('examples/chat_idle_timeout.js: a chat closed by its idle timeout', () => {
    const stdout = execFileSync(process.execPath,
                                [path.join(PACKAGE_DIR, 'examples', 'chat_idle_timeout.js')],
                                { env: childEnv(), encoding: 'utf8', timeout: 15000 });
    const lines = stdout.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, '<id>')), [
        '[2026-01-01T09:00:00.000Z] #1 created - -> in_progress',
        '[2026-01-01T09:00:00.000Z] #2 message agent: Hi! How can I help?',
        'created <id>: HTTP 200, status in_progress',
        '[2026-01-01T09:01:00.000Z] #3 message user: My order has not arrived.',
        '[2026-01-01T09:03:00.000Z] #4 message agent: Let me check that for you.',
        'idle deadline: 2026-01-01T09:08:00.000Z',
        '[2026-01-01T09:08:00.000Z] #5 status_changed in_progress -> completed (idle_timeout)',
        'fired 1 timer(s): status completed, end_reason idle_timeout, 3 messages, 480 s',
        "too late: CONVO_ECONFLICT (HTTP 409): event 'message' is not allowed in status " +
            "'completed'",
    ]);
});
