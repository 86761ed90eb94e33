'use strict';
// list pages, listAll walks every page, events reads the feed by cursor.

const test = require('node:test');
const assert = require('node:assert/strict');
const { acme, requestFor, idOf, MINUTE } = require('./support/harness');

/** `n` text conversations a minute apart (so newest-first order is known); oldest first. */
function makeMany(engine, session, n, extra = {}) {
    const ids = [];
    for (let i = 0; i < n; i++) {
        ids.push(idOf(session.create(requestFor('text', 'outbound', extra))));
        engine.setClock(engine.now().getTime() + MINUTE);
    }
    return ids;
}

test('list returns one page, newest first, with a cursor to the next', (t) => {
    const { engine, session } = acme(t);
    const ids = makeMany(engine, session, 5);
    const first = session.list({ limit: 2 });
    assert.deepEqual(first.items.map((c) => c.id), [ids[4], ids[3]]);
    assert.equal(typeof first.next_cursor, 'string');
    const second = session.list({ limit: 2, cursor: first.next_cursor });
    assert.deepEqual(second.items.map((c) => c.id), [ids[2], ids[1]]);
    const last = session.list({ limit: 2, cursor: second.next_cursor });
    assert.deepEqual(last.items.map((c) => c.id), [ids[0]]);
    assert.equal(last.next_cursor, null);
    assert.equal(session.list().items.length, 5); // default limit 20
});

test('listAll yields every match across pages, in order, fetching page by page', (t) => {
    const { engine, session } = acme(t);
    const ids = makeMany(engine, session, 23);
    const newestFirst = [...ids].reverse();

    assert.deepEqual([...session.listAll({ limit: 5 })].map((c) => c.id), newestFirst);
    assert.deepEqual([...session.listAll()].map((c) => c.id), newestFirst);

    // Lazily: taking three items reads only the first page.
    const calls = [];
    const list = session.list.bind(session);
    session.list = (q) => {
        calls.push(q);
        return list(q);
    };
    const firstThree = [];
    for (const c of session.listAll({ limit: 10 })) {
        firstThree.push(c.id);
        if (firstThree.length === 3) break;
    }
    assert.deepEqual(firstThree, newestFirst.slice(0, 3));
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0], { limit: 10 });
});

test('listAll keeps the filters on every page', async (t) => {
    const { engine, session } = acme(t);
    const tagged = makeMany(engine, session, 7, { custom_metadata: { team: 'blue' } });
    makeMany(engine, session, 4, { custom_metadata: { team: 'red' } });
    const ended = idOf(session.create(requestFor('text', 'outbound',
                                                 { custom_metadata: { team: 'blue' } })));
    session.dispatch(ended, { type: 'end' });

    const blueOpen = [];
    for await (const c of session.listAll({ limit: 3, status: 'in_progress',
                                            custom_metadata: { team: 'blue' } })) {
        blueOpen.push(c.id);
    }
    assert.deepEqual(blueOpen, [...tagged].reverse());
    assert.deepEqual([...session.listAll({ status: ['completed'] })].map((c) => c.id), [ended]);
});

test('events reads the feed by next_seq', (t) => {
    const { session } = acme(t);
    const id = idOf(session.create(requestFor('text')));
    session.dispatch(id, { type: 'message', role: 'user', text: 'hi' });
    session.dispatch(id, { type: 'end' });

    const all = session.events({ limit: 1000 });
    assert.deepEqual(all.events.map((e) => [e.seq, e.type]),
                     [[1, 'created'], [2, 'message'], [3, 'message'], [4, 'status_changed']]);
    assert.equal(all.next_seq, 4);
    const page = session.events({ after: 1, limit: 2 });
    assert.deepEqual(page.events.map((e) => e.seq), [2, 3]);
    assert.equal(page.next_seq, 3);
    assert.deepEqual(session.events({ after: page.next_seq }).events.map((e) => e.seq), [4]);
    const end = all.events[3];
    assert.equal(end.from, 'in_progress');
    assert.equal(end.to, 'completed');
    assert.equal(end.reason, 'ended');
    assert.equal(end.conversation_id, id);
});
