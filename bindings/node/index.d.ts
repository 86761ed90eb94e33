// Type declarations for convo, the Node binding of libconvo's C API.
// JSON shapes follow docs/c-api.md; times inside results stay RFC 3339 strings.

import { EventEmitter } from 'node:events';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type Channel = 'telephone' | 'webrtc' | 'email' | 'text';
export type Direction = 'outbound' | 'inbound';
export type Status =
    | 'token_created' | 'triggered' | 'ringing' | 'in_progress'
    | 'completed' | 'failed' | 'cancelled' | 'transferred' | 'unanswered';
export type EventType =
    | 'ringing' | 'answered' | 'joined' | 'delivered' | 'message' | 'end'
    | 'cancel' | 'no_answer' | 'busy' | 'fail' | 'transfer' | 'annotate';

/** Session scopes, OR-ed together (CONVO_SCOPE_*). */
export declare const Scope: Readonly<{
    READ: 1;
    WRITE: 2;
    SENSITIVE: 4;
    ADMIN: 8;
    ALL: 15;
}>;

/** Levels passed to a log handler (CONVO_LOG_*). */
export declare const LogLevel: Readonly<{
    TRACE: 0;
    DEBUG: 1;
    INFO: 2;
    WARN: 3;
    ERROR: 4;
    CRITICAL: 5;
}>;

export interface EngineOptions {
    /** SQLite file; ":memory:" for a private in-memory database. Default "convo.db". */
    path?: string;
    clock?: 'system' | 'manual';
    /** The manual clock's first time. Default now. */
    start?: Date | string;
    synchronous?: 'full' | 'normal';
    platformMaxOpenMinutes?: number;
    ringTimeoutSeconds?: number;
    dialTimeoutSeconds?: number;
    tokenTtlSeconds?: number;
    webrtcUrl?: string;
    maxOpenPerOrganization?: number;
    logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical' | 'off';
    /** Largest JSON input of a call (default 1048576). */
    maxRequestBytes?: number;
    /** Largest free-text field (default 65536). */
    maxMessageBytes?: number;
    /** Largest object field, as JSON (default 65536). */
    maxMetadataBytes?: number;
    /** Refused when true (InvalidRequestError): use Engine.startTimers(). */
    timerThread?: false;
    platform_max_open_minutes?: number;
    ring_timeout_seconds?: number;
    dial_timeout_seconds?: number;
    token_ttl_seconds?: number;
    webrtc_url?: string;
    max_open_per_organization?: number;
    log_level?: EngineOptions['logLevel'];
    max_request_bytes?: number;
    max_message_bytes?: number;
    max_metadata_bytes?: number;
    timer_thread?: false;
}

export interface Capabilities {
    supportsVideoInput?: boolean;
    supportsScreenShare?: boolean;
}

export interface AgentVersionInput {
    version: number;
    published?: boolean;
    greeting?: string | null;
    speaks_first?: boolean;
    default_subject?: string | null;
    capabilities?: Capabilities;
    id?: string;
}

export interface AgentInput {
    id: string;
    name: string;
    phone_number?: string | null;
    versions: AgentVersionInput[];
}

export interface AgentVersion {
    id: string;
    version: number;
    published: boolean;
    greeting: string | null;
    speaks_first: boolean;
    default_subject: string | null;
    capabilities: Required<Capabilities>;
}

export interface Agent {
    id: string;
    name: string;
    phone_number: string | null;
    versions: AgentVersion[];
    created_at: string;
    updated_at: string;
}

/** An AnyReach create request (unknown fields are InvalidRequestError). */
export interface CreateRequest {
    channel: Channel;
    user_id: string;
    direction?: Direction;
    agent_id?: string;
    version?: number | 'latest';
    agent_version_id?: string;
    agent_config?: JsonObject;
    agent_number?: string;
    to_address?: string;
    from_address?: string;
    subject?: string;
    initial_context?: string;
    web_widget_id?: string;
    custom_metadata?: JsonObject;
    id?: string;
    idle_timeout_minutes?: number;
    max_open_minutes?: number;
}

export interface Message {
    role: 'user' | 'agent' | 'human';
    text: string;
    at: string;
}

/** A conversation; the sensitive keys are absent without Scope.SENSITIVE. */
export interface Conversation {
    id: string;
    organization_id: string;
    direction: Direction;
    channel: Channel;
    status: Status;
    user_id: string;
    agent_id: string | null;
    agent_version_id: string | null;
    agent_number: string | null;
    web_widget_id: string | null;
    duration: number | null;
    user_turn_count: number;
    created_at: string;
    updated_at: string;
    started_at: string | null;
    ended_at: string | null;
    end_reason: string | null;
    idle_timeout_minutes: number | null;
    max_open_minutes: number;
    expires_at: string | null;
    to_address: string | null;
    from_address: string | null;
    subject: string | null;
    tags: string[];
    topic: string | null;
    actions_needed: string[];
    transferred_to: string | null;
    agent?: { id: string | null; name: string | null };
    summary?: string | null;
    initial_context?: string | null;
    custom_metadata?: JsonObject | null;
    conversation?: { messages: Message[] };
    recording_details?: JsonObject | null;
}

/** The channel's create response: text/email/webrtc carry the conversation, telephone its id. */
export interface CreateResponse {
    conversation?: Conversation;
    starting_message?: string | null;
    connection_details?: { url: string; token: string };
    capabilities?: Required<Capabilities>;
    contact_id?: string;
}

export interface ListQuery {
    status?: Status | Status[];
    channel?: Channel;
    direction?: Direction;
    agent_id?: string;
    agent_version_id?: string;
    user_id?: string;
    agent_number?: string;
    custom_metadata?: JsonObject;
    created_after?: string;
    created_before?: string;
    /** 1-100, default 20 (listAll: default 100 per page). */
    limit?: number;
    cursor?: string;
}

export interface ListPage {
    items: Conversation[];
    next_cursor: string | null;
}

/** A lifecycle event for dispatch(). */
export interface LifecycleEvent {
    type: EventType;
    event_id?: string;
    at?: string;
    role?: 'user' | 'agent' | 'human';
    text?: string;
    reason?: string;
    to?: string;
    summary?: string;
    topic?: string;
    actions_needed?: string[];
    tags?: string[];
    recording_details?: JsonObject;
}

/** One feed event (convo_events, subscribers). */
export interface FeedEvent {
    seq: number;
    conversation_id: string;
    organization_id: string;
    type: 'created' | 'status_changed' | 'message' | 'annotated';
    from: Status | null;
    to: Status | null;
    reason: string | null;
    at: string;
    data: JsonObject;
}

export interface EventsPage {
    events: FeedEvent[];
    next_seq: number;
}

/** convo_describe(): the lifecycle table the engine runs on. */
export interface LifecycleTable {
    statuses: { name: Status; terminal: boolean }[];
    channels: Channel[];
    /** Where a new conversation starts (direction null: either). */
    initial: { channel: Channel; direction: Direction | null; status: Status }[];
    events: {
        name: EventType;
        transitions: { from: Status; to: Status; channels: Channel[] }[];
    }[];
    timers: {
        name: 'idle' | 'max_open' | 'ring' | 'dial' | 'join';
        armed_in: Status[];
        channels: Channel[];
        fires: { from: Status; to: Status }[];
        end_reason: string;
        closes: boolean;
    }[];
}

export type ErrorCode =
    | 'CONVO_EINVALID' | 'CONVO_EPRECONDITION' | 'CONVO_EFORBIDDEN' | 'CONVO_ENOTFOUND'
    | 'CONVO_ECONFLICT' | 'CONVO_ESTORAGE' | 'CONVO_EINTERNAL' | 'CONVO_EMISUSE'
    | 'CONVO_UNKNOWN';

/** A failed call. `message` is "<code>: <detail>". */
export declare class ConvoError extends Error {
    constructor(codeNumber: number, detail?: string);
    /** convo_code_name(), e.g. "CONVO_EINVALID". */
    readonly code: ErrorCode;
    /** The convo_code value. */
    readonly codeNumber: number;
    /** convo_http_status(): 422, 400, 403, 404, 409, 503, 500. */
    readonly httpStatus: number;
    /** convo_last_error() right after the call: names the field and the rule. */
    readonly detail: string;
}
/** CONVO_EINVALID (422). */
export declare class InvalidRequestError extends ConvoError {}
/** CONVO_EPRECONDITION (400). */
export declare class PreconditionFailedError extends ConvoError {}
/** CONVO_EFORBIDDEN (403). */
export declare class ForbiddenError extends ConvoError {}
/** CONVO_ENOTFOUND (404). */
export declare class NotFoundError extends ConvoError {}
/** CONVO_ECONFLICT (409). */
export declare class ConflictError extends ConvoError {}
/** CONVO_ESTORAGE (503). */
export declare class StorageError extends ConvoError {}
/** CONVO_EINTERNAL (500). */
export declare class InternalError extends ConvoError {}
/** CONVO_EMISUSE (500), also raised by the binding for a closed engine or session. */
export declare class MisuseError extends ConvoError {}

/** The ConvoError subclass for a non-zero convo_code. */
export declare function errorFromCode(codeNumber: number, detail?: string): ConvoError;

export declare class Session {
    private constructor();
    readonly organizationId: string;
    readonly scopes: number;
    /** True after close() or after the engine closed. */
    readonly closed: boolean;
    /** Creates a conversation (WRITE); returns the channel's response. */
    create(request: CreateRequest | string): CreateResponse;
    create(request: CreateRequest | string, options: { withStatus: true }):
        { body: CreateResponse; httpStatus: number };
    create(request: CreateRequest | string, options: { withStatus?: boolean }):
        CreateResponse | { body: CreateResponse; httpStatus: number };
    /** Reads a conversation (READ). */
    get(conversationId: string): Conversation;
    /** One page, newest first (READ). */
    list(query?: ListQuery | string): ListPage;
    /** Every matching conversation across pages, newest first (READ). */
    listAll(query?: ListQuery): Generator<Conversation, void, undefined>;
    /** Applies a lifecycle event (WRITE); returns the conversation afterwards. */
    dispatch(conversationId: string, event: LifecycleEvent | string): Conversation;
    /** The organization's feed after `after` (READ). */
    events(options?: { after?: number | bigint; limit?: number }): EventsPage;
    /** Creates or replaces an agent (ADMIN). */
    agentPut(agent: AgentInput | string): Agent;
    /** Reads an agent (READ). */
    agentGet(agentId: string): Agent;
    /** Frees the session; idempotent. */
    close(): void;
    [Symbol.dispose](): void;
}

export declare class Engine extends EventEmitter {
    /** Opens (creating if needed) the engine's database. */
    constructor(options?: EngineOptions);
    /** The path libconvo.so was loaded from. */
    static readonly libraryPath: string;
    /** libconvo's version, "x.y.z". */
    static readonly libraryVersion: string;
    /** The clock the engine was opened with. */
    readonly clock: 'system' | 'manual';
    /** True after close(). */
    readonly closed: boolean;
    /** True while the startTimers() driver runs. */
    readonly timersRunning: boolean;

    /** One organization's view with the given scopes (default Scope.ALL). */
    session(organizationId: string, scopes?: number): Session;
    /** Calls fn for every feed event as it commits; returns the unsubscribe function. */
    subscribe(fn: (event: FeedEvent) => void): () => void;
    /** Routes the engine's log to fn (which must not call the engine); null restores stderr. */
    setLogHandler(fn: ((level: number, message: string) => void) | null): void;

    /** Fires every timer due now; returns how many fired. */
    tick(): number;
    /** The earliest pending deadline, or null. */
    nextDeadline(): Date | null;
    /** The engine clock's now. */
    now(): Date;
    /** Sets the manual clock (never backwards); does not fire timers. */
    setClock(time: Date | string | number): void;
    /** Moves the manual clock forward by ms and returns the new now; fires nothing (see tick). */
    advance(ms: number): Date;
    /** Fires timers on setTimeout when due (system clock); unref'd unless keepAlive. */
    startTimers(options?: { keepAlive?: boolean }): void;
    stopTimers(): void;

    /** The lifecycle table the engine runs on. */
    describe(): LifecycleTable;
    /** Stops timers, closes sessions and the database; idempotent; not from a subscriber. */
    close(): void;
    [Symbol.dispose](): void;

    /** Exceptions thrown by subscribers or log handlers, and failed timer ticks. */
    on(event: 'error', listener: (err: unknown) => void): this;
    once(event: 'error', listener: (err: unknown) => void): this;
    off(event: 'error', listener: (err: unknown) => void): this;
}
