// Type declarations for convo, the Node binding of libconvo's C API.
// JSON shapes follow docs/c-api.md; times inside results stay RFC 3339 strings.

import { EventEmitter } from 'node:events';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type Channel = 'telephone' | 'webrtc' | 'email' | 'text' | 'sms' | 'whatsapp';
export type Direction = 'outbound' | 'inbound';
export type Status =
    | 'token_created' | 'triggered' | 'ringing' | 'in_progress'
    | 'completed' | 'failed' | 'cancelled' | 'transferred' | 'unanswered';
export type EventType =
    | 'ringing' | 'answered' | 'joined' | 'delivered' | 'message' | 'end'
    | 'cancel' | 'no_answer' | 'busy' | 'fail' | 'transfer' | 'annotate'
    | 'takeover' | 'handback' | 'close' | 'finalize';
/** Feed event types (convo_events, subscribers). */
export type FeedEventType =
    | 'created' | 'status_changed' | 'message' | 'annotated'
    | 'takeover' | 'handback' | 'finalized';
export type TimerName = 'idle' | 'max_open' | 'ring' | 'dial' | 'join' | 'takeover' | 'wrap_up';
/** null while open; 'pending' from the moment a conversation ends; 'done' once finalized. */
export type WrapUp = 'pending' | 'done';

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
    /** How long an ended conversation's wrap-up stays pending before the engine finalizes it
     *  (integer >= 1, default 300). */
    wrapUpTimeoutSeconds?: number;
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
    wrap_up_timeout_seconds?: number;
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

/**
 * A WhatsApp message template (Wassist's SendMessageTemplateInput): sent as is, always allowed
 * on whatsapp, also outside the contact's 24-hour window.
 */
export interface MessageTemplate {
    name: string;
    variables?: {
        body?: string[];
        header?: string;
        buttons?: string[];
        cards?: { body?: string[]; header?: string; buttons?: string[] }[];
    };
}

/** A seed message of a create request: stored in order at creation, before the greeting. */
export interface SeedMessage {
    role: 'user' | 'agent';
    text: string;
}

/** An AnyReach create request (unknown fields are InvalidRequestError). */
export interface CreateRequest {
    channel: Channel;
    /** telephone, sms, whatsapp: an E.164 number. */
    user_id: string;
    /** sms, whatsapp: the business number (E.164); default the agent's phone_number. */
    from_number?: string;
    /** Seed messages (user seeds count as user turns; they do not open the WhatsApp window). */
    messages?: SeedMessage[];
    tags?: string[];
    /**
     * whatsapp only: open with a template (no greeting then). Required for an outbound whatsapp
     * conversation while the contact's window is closed (else PreconditionFailedError).
     */
    message?: { type: 'template'; template: MessageTemplate };
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
    /** null for a template message. */
    text: string | null;
    at: string;
    /** Present on template messages only. */
    template?: MessageTemplate;
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
    /** sms and whatsapp: the business number; else null. */
    from_number: string | null;
    /** True between a takeover and its end (handback, the takeover timer, the conversation ending). */
    human_takeover: boolean;
    /** The takeover timer's deadline, or null. */
    human_takeover_until: string | null;
    /** null while open; 'pending' once ended until finalize or the wrap-up timer; then 'done'. */
    wrap_up: WrapUp | null;
    /** whatsapp: when the contact's 24-hour window closes (null when closed); else null. */
    chat_window_expires_at: string | null;
    /** whatsapp: whole seconds left in the window (0 when closed); else null. */
    chat_window_remaining_seconds: number | null;
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

/**
 * A lifecycle event for dispatch(). An agent message while a human has taken over is
 * ConflictError; on whatsapp a business (agent or human) message with `text` while the
 * contact's 24-hour window is closed is PreconditionFailedError (a `template` is always
 * allowed). handback without a takeover, and close once ended, change nothing.
 */
export interface LifecycleEvent {
    type: EventType;
    event_id?: string;
    at?: string;
    role?: 'user' | 'agent' | 'human';
    text?: string;
    /** message on whatsapp, role agent or human, instead of text. */
    template?: MessageTemplate;
    /** takeover: integer >= 1, default 10. */
    minutes?: number;
    /** close: recorded in the status_changed event's data. */
    skip_notifications?: boolean;
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
    type: FeedEventType;
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
        name: TimerName;
        armed_in: Status[];
        channels: Channel[];
        /** Events that re-arm it. */
        reset_by: EventType[];
        /** The create field, event field or engine option its length comes from. */
        length: string;
        /** effect 'status': where it moves each status; [] for the other effects. */
        fires: { from: Status; to: Status }[];
        /** '' for timers that do not end the conversation. */
        end_reason: string;
        /** Whether it ends the conversation (and so counts in expires_at). */
        closes: boolean;
        /** What else must hold for it to be armed. */
        when: 'always' | 'human_takeover' | 'wrap_up_pending';
        /** 'status': moves the status by `fires`; 'handback': ends a takeover; 'finalize': the wrap-up. */
        effect: 'status' | 'handback' | 'finalize';
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
/** CONVO_EPRECONDITION (400): unknown agent, usage limit, outside the WhatsApp window. */
export declare class PreconditionFailedError extends ConvoError {}
/** CONVO_EFORBIDDEN (403). */
export declare class ForbiddenError extends ConvoError {}
/** CONVO_ENOTFOUND (404). */
export declare class NotFoundError extends ConvoError {}
/** CONVO_ECONFLICT (409): event not allowed now, agent message during a takeover. */
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

    /** Fires every timer due now (takeover and wrap-up timers too); returns how many fired. */
    tick(): number;
    /** The earliest pending deadline (a pending wrap-up's too), or null. */
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
