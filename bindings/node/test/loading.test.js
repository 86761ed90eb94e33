'use strict';
// Finding libconvo.so: CONVO_LIBRARY, then next to the package, then the system loader; and
// clear failures when the library or koffi is missing.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { convo, libraryPath, PACKAGE_DIR } = require('./support/harness');

const realLibrary = fs.realpathSync(libraryPath.includes('/') ? libraryPath
                                                               : findOnLoaderPath(libraryPath));

function findOnLoaderPath(name) {
    const line = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' })
        .split('\n').find((l) => l.trim().startsWith(name + ' '));
    return line.split('=> ')[1].trim();
}

/** A copy of the package's code in a temporary directory, sharing node_modules or not. */
function packageCopy(t, { withModules = true, withLibrary = false } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convo-node-pkg-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.copyFileSync(path.join(PACKAGE_DIR, 'index.js'), path.join(dir, 'index.js'));
    fs.cpSync(path.join(PACKAGE_DIR, 'lib'), path.join(dir, 'lib'), { recursive: true });
    if (withModules) {
        fs.symlinkSync(path.join(PACKAGE_DIR, 'node_modules'), path.join(dir, 'node_modules'));
    }
    if (withLibrary) fs.copyFileSync(realLibrary, path.join(dir, 'libconvo.so'));
    return dir;
}

/** Loads the package at `dir` in a child process with `env`; returns status and output. */
function loadIn(dir, env) {
    const script = `
        const convo = require(${JSON.stringify(dir)});
        const engine = new convo.Engine({ path: ':memory:' });
        console.log(convo.Engine.libraryPath);
        engine.close();`;
    const clean = { ...process.env };
    delete clean.CONVO_LIBRARY;
    const r = spawnSync(process.execPath, ['-e', script],
                        { env: { ...clean, ...env }, encoding: 'utf8', timeout: 15000 });
    return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

test('the library reports its version', () => {
    assert.match(convo.Engine.libraryVersion, /^0\.\d+\.\d+$/);
    assert.ok(convo.Engine.libraryPath.length > 0);
});

test('CONVO_LIBRARY comes first and is not second-guessed when wrong', (t) => {
    const dir = packageCopy(t, { withLibrary: true });
    assert.deepEqual(loadIn(dir, { CONVO_LIBRARY: realLibrary }),
                     { status: 0, stdout: realLibrary, stderr: '' });
    const missing = loadIn(dir, { CONVO_LIBRARY: '/nonexistent/libconvo.so' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /convo: cannot load libconvo\.so; set CONVO_LIBRARY to its path/);
    assert.match(missing.stderr, /\/nonexistent\/libconvo\.so \(CONVO_LIBRARY\): no such file/);
});

test('without CONVO_LIBRARY, a libconvo.so next to the package is used', (t) => {
    const dir = packageCopy(t, { withLibrary: true });
    assert.deepEqual(loadIn(dir, {}),
                     { status: 0, stdout: path.join(dir, 'libconvo.so'), stderr: '' });
});

test('then the system loader finds libconvo.so.0', (t) => {
    const dir = packageCopy(t);
    const libDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convo-node-lib-'));
    t.after(() => fs.rmSync(libDir, { recursive: true, force: true }));
    fs.copyFileSync(realLibrary, path.join(libDir, 'libconvo.so.0'));
    const search = [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    assert.deepEqual(loadIn(dir, { LD_LIBRARY_PATH: search }),
                     { status: 0, stdout: 'libconvo.so.0', stderr: '' });
});

test('a missing koffi fails at require with what to do', (t) => {
    const dir = packageCopy(t, { withModules: false, withLibrary: true });
    const r = loadIn(dir, {});
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /convo: cannot load koffi \(run `npm ci` in bindings\/node\)/);
});
