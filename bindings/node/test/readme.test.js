'use strict';
// The README's "Use from Node" example runs as written: the ```js block after
// `<!-- readme-example: node -->`, with `convo` resolved to this package.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { childEnv, PACKAGE_DIR } = require('./support/harness');

const README = process.env.CONVO_README || path.join(PACKAGE_DIR, '..', '..', 'README.md');
const MARKER = '<!-- readme-example: node -->';

function example() {
    const text = fs.readFileSync(README, 'utf8');
    const at = text.indexOf(MARKER);
    assert.ok(at >= 0, `${README} has no ${MARKER} block (the "Use from Node" section)`);
    const block = /```js\n([\s\S]*?)```/.exec(text.slice(at));
    assert.ok(block, `no \`\`\`js block after ${MARKER} in ${README}`);
    return block[1];
}

test('the README\'s Node example runs and its idle timeout fires', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convo-node-readme-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(PACKAGE_DIR, path.join(dir, 'node_modules', 'convo'));
    fs.writeFileSync(path.join(dir, 'hello.js'), example());
    const stdout = execFileSync(process.execPath, ['hello.js'],
                                { cwd: dir, env: childEnv(), encoding: 'utf8', timeout: 15000 });
    assert.match(stdout, /CONVO_ECONFLICT \(409\): event 'answered' is not allowed/);
    assert.match(stdout, /fired 1 timer\(s\): completed \(idle_timeout\)\n$/);
});
