'use strict';
// One organization's view of an engine, with an API token's scopes (convo_session).

const { load, call, callJson, takeString } = require('./native');
const { misuse } = require('./errors');
const { bodyJson, requireString } = require('./options');

/** Session scopes, OR-ed together (CONVO_SCOPE_*). */
const Scope = Object.freeze({
    READ: 1,       // get, list, listAll, events, agentGet
    WRITE: 2,      // create, dispatch
    SENSITIVE: 4,  // see agent, summary, initial_context, custom_metadata, conversation,
                   // recording_details
    ADMIN: 8,      // agentPut
    ALL: 15,
});

class Session {
    /** Use engine.session(organizationId, scopes). */
    constructor(engine, handle, organizationId, scopes) {
        this._engine = engine;
        this._handle = handle; // { ptr }, shared with the engine, which may close it first
        this.organizationId = organizationId;
        this.scopes = scopes;
    }

    _ptr() {
        if (this._handle.ptr === null) {
            throw misuse(this._engine.closed ? 'the engine is closed' : 'the session is closed');
        }
        return this._handle.ptr;
    }

    /** True after close() or after the engine closed. */
    get closed() {
        return this._handle.ptr === null;
    }

    /**
     * Creates a conversation from an AnyReach create request (WRITE) and returns the channel's
     * response. With `{withStatus: true}` returns `{body, httpStatus}` (200, or 202 for
     * telephone).
     */
    create(request, { withStatus = false } = {}) {
        const out = [null];
        const status = [0];
        try {
            call(load().create, this._ptr(), bodyJson(request, 'create'), out, status);
        } catch (err) {
            takeString(out[0]); // NULL after a failure by contract; freed if ever it is not
            throw err;
        }
        this._engine._changed();
        const body = JSON.parse(takeString(out[0]));
        return withStatus ? { body, httpStatus: status[0] } : body;
    }

    /** Reads a conversation (READ); sensitive fields only with Scope.SENSITIVE. */
    get(conversationId) {
        return callJson(load().get, this._ptr(), requireString(conversationId, 'conversationId'));
    }

    /**
     * One page of conversations, newest first (READ): `{items, next_cursor}`. `query` keys as
     * convo_list: status, channel, direction, agent_id, ..., limit (1-100), cursor.
     */
    list(query = {}) {
        return callJson(load().list, this._ptr(), bodyJson(query, 'list'));
    }

    /**
     * Every conversation matching `query`, newest first, fetching pages of `query.limit` (default
     * 100) as the iteration goes. A generator: use for...of (for await...of works too).
     */
    *listAll(query = {}) {
        if (query === null || typeof query !== 'object') {
            throw new TypeError('listAll: expected a query object');
        }
        let page = { ...query };
        if (page.limit === undefined) page.limit = 100;
        for (;;) {
            const { items, next_cursor: cursor } = this.list(page);
            yield* items;
            if (cursor === null || cursor === undefined) return;
            page = { ...page, cursor };
        }
    }

    /**
     * Applies one lifecycle event (WRITE), `{type, event_id?, at?, ...fields}`, and returns the
     * conversation as it stands afterwards.
     */
    dispatch(conversationId, event) {
        const api = load();
        try {
            return callJson(api.dispatch, this._ptr(),
                            requireString(conversationId, 'conversationId'),
                            bodyJson(event, 'dispatch'));
        } finally {
            // Even a refused event may have applied overdue deadlines first.
            this._engine._changed();
        }
    }

    /**
     * The organization's feed after seq `after` (READ): `{events, next_seq}`, oldest first, at
     * most `limit` (1-1000; 0 = 100). Pass next_seq back as `after` to read on.
     */
    events({ after = 0, limit = 0 } = {}) {
        if (!(Number.isInteger(after) && after >= 0) && typeof after !== 'bigint') {
            throw new TypeError('events: after must be a non-negative integer');
        }
        if (!Number.isInteger(limit) || limit < 0) {
            throw new TypeError('events: limit must be a non-negative integer');
        }
        return callJson(load().events, this._ptr(), after, limit);
    }

    /** Creates or replaces an agent (ADMIN) and returns the stored agent. */
    agentPut(agent) {
        return callJson(load().agent_put, this._ptr(), bodyJson(agent, 'agentPut'));
    }

    /** Reads an agent (READ). */
    agentGet(agentId) {
        return callJson(load().agent_get, this._ptr(), requireString(agentId, 'agentId'));
    }

    /** Frees the session; later calls are MisuseError. Idempotent. */
    close() {
        this._engine._closeSession(this._handle);
    }
}

module.exports = { Session, Scope };
