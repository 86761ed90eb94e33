"""Engine, Session and Subscription: the C API's handles as Python objects."""

from __future__ import annotations

import asyncio
import ctypes
import datetime as _dt
import enum
import itertools
import json
import logging
import os
import threading
import weakref
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    Literal,
    Mapping,
    MutableSet,
    Optional,
    Tuple,
    Union,
    overload,
)

from . import _time
from ._library import EVENT_FN, LOG_FN, library
from .errors import Code, Error, Misuse, StorageError, _make

__all__ = ["Engine", "Session", "Subscription", "Scope", "TRACE", "JSON"]

JSON = Dict[str, Any]
"""A decoded JSON object as the engine returned it (RFC 3339 times stay strings)."""

logger = logging.getLogger("convo")

TRACE = 5
"""The Python logging level CONVO_LOG_TRACE maps to (below DEBUG; logging has no TRACE)."""

# CONVO_LOG_* -> logging levels.
_LEVELS = {
    0: TRACE,
    1: logging.DEBUG,
    2: logging.INFO,
    3: logging.WARNING,
    4: logging.ERROR,
    5: logging.CRITICAL,
}

_MAX_TIMER_SLEEP = 60.0  # run_timers re-reads the deadline at least this often (clock jumps)


class Scope(enum.IntFlag):
    """Session scopes (``CONVO_SCOPE_*``), OR-ed together like an API token's role."""

    READ = 1  #: get, list, events, agent get
    WRITE = 2  #: create, dispatch
    #: see agent, summary, initial_context, custom_metadata, conversation, recording_details, and
    #: in the feed message text and templates, annotated and finalized summaries
    SENSITIVE = 4
    ADMIN = 8  #: manage agents
    ALL = READ | WRITE | SENSITIVE | ADMIN


# ---- callbacks from C ------------------------------------------------------------------------
#
# The C library calls two static trampolines; user_data is a key into these registries. A key
# removed from a registry makes later calls no-ops, so a late call (a delivery already running
# on another thread during unsubscribe, the "closed" message logged while the engine closes)
# can never reach a freed ctypes object: the trampolines live as long as the module.

_keys = itertools.count(1)
_subscribers: Dict[int, Callable[[bytes], None]] = {}
_log_handlers: Dict[int, Callable[[int, str], None]] = {}
_local = threading.local()


def _depth(name: str) -> Dict[int, int]:
    d = getattr(_local, name, None)
    if d is None:
        d = {}
        setattr(_local, name, d)
    return d


def _on_event(user_data: Optional[int], event_json: bytes) -> None:
    target = _subscribers.get(user_data or 0)
    if target is not None:
        target(event_json)  # never raises: Subscription._deliver catches everything


def _on_log(user_data: Optional[int], level: int, message: bytes) -> None:
    handler = _log_handlers.get(user_data or 0)
    if handler is None:
        return
    active = _depth("log")
    active[0] = active.get(0, 0) + 1
    try:
        handler(_LEVELS.get(level, logging.WARNING), message.decode("utf-8", "replace"))
    except BaseException:  # noqa: BLE001 - nothing may propagate into the engine
        logger.exception("convo log handler %r raised", handler)
    finally:
        active[0] -= 1


# The C function pointers: module globals, so they live as long as the module.
_on_event_c = EVENT_FN(_on_event)
_on_log_c = LOG_FN(_on_log)


def _log_to_logging(level: int, message: str) -> None:
    logger.log(level, message)


def _misuse(detail: str) -> Misuse:
    # Built without calling into the library: this is also raised inside log handlers.
    return Misuse(Code.EMISUSE, "CONVO_EMISUSE", 500, detail)


def _not_in_log_handler() -> None:
    if _depth("log").get(0, 0):
        raise _misuse("convo functions must not be called from a log handler (convo.h)")


def _c(name: str, value: str) -> bytes:
    """A str argument as a C string. An embedded NUL would silently cut the string short in C,
    so it is refused here, as os functions refuse one."""
    if "\x00" in value:
        raise ValueError(f"{name}: embedded null character")
    return value.encode()


def _error(code: int) -> Error:
    """The exception for a failed call. Call it right after the call, on the same thread:
    convo_last_error() is thread-local and valid until the next convo call."""
    detail: bytes = library().convo_last_error()
    return _make(code, detail.decode("utf-8", "replace"))


def _check(code: int) -> None:
    if code != Code.OK:
        raise _error(code)


def _take_json(ptr: ctypes.c_void_p) -> JSON:
    """Decodes a char** result and frees it with convo_free()."""
    lib = library()
    try:
        text = ctypes.string_at(ptr.value) if ptr.value else b"null"
    finally:
        if ptr.value:
            lib.convo_free(ptr)
    result: JSON = json.loads(text)
    return result


def _json_call(fn: Any, *args: Any) -> JSON:
    out = ctypes.c_void_p()
    code = fn(*args, ctypes.byref(out))
    if code != Code.OK:
        error = _error(code)
        if out.value:  # the API promises NULL on failure; never leak anyway
            library().convo_free(out)
        raise error
    return _take_json(out)


def _close_engine(handle: int, log_key: int, subscriber_keys: MutableSet[int]) -> None:
    library().convo_engine_close(handle)
    _log_handlers.pop(log_key, None)  # after close: close itself may log
    for key in list(subscriber_keys):
        _subscribers.pop(key, None)
    subscriber_keys.clear()


def _close_session(handle: int) -> None:
    library().convo_session_close(handle)


# ---- Engine ----------------------------------------------------------------------------------


class Engine:
    """An open convo engine: one SQLite database, its clock, its timers and its feed.

    ``Engine(path=..., clock=..., **options)`` opens (creating if needed) the database. Every
    option is a key of ``convo_engine_open``'s JSON, passed through as given (``convo.h`` is
    the reference; an unknown key is :class:`InvalidRequest`): ``start`` (datetime or RFC 3339
    string; manual clock only), ``synchronous``, ``platform_max_open_minutes``,
    ``ring_timeout_seconds``, ``dial_timeout_seconds``, ``token_ttl_seconds``,
    ``wrap_up_timeout_seconds`` (how long an ended conversation's wrap-up stays pending before
    the engine finalizes it; default 300), ``webrtc_url``,
    ``max_open_per_organization``, ``timer_thread``, ``log_level``, ``max_request_bytes``,
    ``max_message_bytes``, ``max_metadata_bytes``. Options given as None are left out (the
    engine's default applies). ``path`` defaults to the engine's ``"convo.db"``;
    ``":memory:"`` is a private in-memory database. ``clock`` is ``"system"`` (default) or
    ``"manual"``.

    The engine's log goes to the ``logging`` module's ``"convo"`` logger (see
    :meth:`set_log_handler`). Use it as a context manager, or call :meth:`close`; it is closed
    when garbage-collected otherwise. Every method may be called from any thread.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]", None] = None,
        clock: Optional[Literal["system", "manual"]] = None,
        **options: Any,
    ) -> None:
        lib = library()
        opts: Dict[str, Any] = {}
        if path is not None:
            opts["path"] = os.fspath(path)
        if clock is not None:
            opts["clock"] = clock
        opts.update((k, v) for k, v in options.items() if v is not None)
        handle = ctypes.c_void_p()
        _check(lib.convo_engine_open(_time.dumps(opts), ctypes.byref(handle)))
        assert handle.value is not None
        self._handle: Optional[int] = handle.value
        self._manual = opts.get("clock") == "manual"
        self._path: str = str(opts.get("path", "convo.db"))
        self._key = next(_keys)
        self._sessions: "weakref.WeakSet[Session]" = weakref.WeakSet()
        self._subscriber_keys: MutableSet[int] = set()
        self._log_key = next(_keys)
        _log_handlers[self._log_key] = _log_to_logging
        self._finalizer = weakref.finalize(
            self, _close_engine, handle.value, self._log_key, self._subscriber_keys
        )
        _check(lib.convo_engine_set_log_handler(handle.value, _on_log_c, self._log_key))

    # -- lifecycle --

    def close(self) -> None:
        """Closes the engine's sessions, then the engine (stops its timer thread, closes the
        database). Idempotent. Must not be called from one of this engine's subscribers
        (:class:`Misuse`)."""
        if self._handle is None:
            return
        if _depth("delivering").get(self._key, 0):
            raise _misuse("an engine must not be closed from its own subscriber (convo.h)")
        _not_in_log_handler()
        for session in list(self._sessions):
            session.close()
        self._handle = None
        self._finalizer()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._handle is None

    @property
    def manual_clock(self) -> bool:
        """True when the engine was opened with ``clock="manual"``."""
        return self._manual

    @property
    def path(self) -> str:
        """The database path the engine was opened with."""
        return self._path

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("manual clock" if self._manual else "system clock")
        return f"<convo.Engine {self._path!r} {state}>"

    def _h(self) -> int:
        _not_in_log_handler()
        if self._handle is None:
            raise _misuse("the engine is closed")
        return self._handle

    # -- sessions --

    def session(self, organization_id: str, scopes: Union[Scope, int] = Scope.ALL) -> "Session":
        """Opens one organization's view of the engine with an API token's ``scopes``
        (default all). Raises :class:`InvalidRequest` for a malformed organization id."""
        out = ctypes.c_void_p()
        _check(
            library().convo_session_open(
                self._h(), _c("organization_id", organization_id), int(scopes), ctypes.byref(out)
            )
        )
        assert out.value is not None
        session = Session(self, out.value, organization_id, Scope(int(scopes)))
        self._sessions.add(session)
        return session

    # -- feed --

    def subscribe(self, fn: Callable[[JSON], None]) -> "Subscription":
        """Calls ``fn(event)`` for every feed event of every organization as it commits,
        unredacted, strictly in ``seq`` order, on the thread that made the change (or the
        timer thread). ``fn`` may call back into the engine (the events of its changes are
        delivered after it returns, never recursively). An exception in ``fn`` is logged to
        the ``"convo"`` logger and goes no further. Returns a :class:`Subscription`: call its
        ``unsubscribe()`` or use it as a context manager."""
        return self._subscribe(fn, decode=True)

    def _subscribe(self, fn: Callable[[Any], None], decode: bool) -> "Subscription":
        h = self._h()
        sub = Subscription(self, fn, next(_keys), decode)
        _subscribers[sub._key] = sub._deliver
        self._subscriber_keys.add(sub._key)
        out = ctypes.c_uint64()
        try:
            _check(library().convo_subscribe(h, _on_event_c, sub._key, ctypes.byref(out)))
        except BaseException:
            _subscribers.pop(sub._key, None)
            self._subscriber_keys.discard(sub._key)
            raise
        sub.id = out.value
        return sub

    # -- timers and clock --

    def tick(self) -> int:
        """Fires every timer due at the clock's now, each at its own deadline; returns how
        many fired. The count includes the timers that end a phase rather than the
        conversation: ``takeover`` (a handback) and ``wrap_up`` (armed when a conversation ends,
        so a tick that ends one may also finalize it if the wrap-up deadline has passed too)."""
        fired = ctypes.c_uint()
        _check(library().convo_tick(self._h(), ctypes.byref(fired)))
        return fired.value

    def _next_deadline_ms(self) -> Optional[int]:
        out = ctypes.c_int64()
        code = library().convo_next_deadline(self._h(), ctypes.byref(out))
        if code == Code.ENOTFOUND:
            return None
        _check(code)
        return out.value

    def next_deadline(self) -> Optional[_dt.datetime]:
        """The earliest pending deadline (aware UTC datetime), or None when no timer is
        pending. Takeover and wrap-up deadlines count: every ended conversation has one until
        it is finalized or its wrap-up timer fires."""
        ms = self._next_deadline_ms()
        return None if ms is None else _time.from_ms(ms)

    def _now_ms(self) -> int:
        out = ctypes.c_int64()
        _check(library().convo_clock_now(self._h(), ctypes.byref(out)))
        return out.value

    def now(self) -> _dt.datetime:
        """The engine clock's now, an aware UTC datetime (millisecond precision)."""
        return _time.from_ms(self._now_ms())

    def set_clock(self, when: _dt.datetime) -> None:
        """Sets the manual clock (timezone-aware datetime). Never backwards
        (:class:`InvalidRequest`); :class:`Misuse` on a system clock. Fires nothing: call
        :meth:`tick`."""
        _check(library().convo_clock_set(self._h(), _time.to_ms(when)))

    def advance(self, delta: _dt.timedelta) -> _dt.datetime:
        """Moves the manual clock forward by ``delta`` and returns the new now. Fires nothing:
        call :meth:`tick`."""
        target = self._now_ms() + _time.delta_ms(delta)
        _check(library().convo_clock_set(self._h(), target))
        return _time.from_ms(target)

    async def run_timers(self) -> None:
        """Fires timers exactly when due, on the system clock, until cancelled.

        Sleeps until ``next_deadline()``, then ticks. It wakes early when any change (on any
        thread) may have moved the next deadline, and re-reads it at least once a minute.
        Ticks run on the event loop's thread, so subscribers called by timer firings run
        there too. A :class:`StorageError` from a tick is logged and retried a second later.
        Raises :class:`Misuse` on a manual clock (use :meth:`advance` and :meth:`tick`)."""
        self._h()
        if self._manual:
            raise _misuse("run_timers needs the system clock; drive a manual clock with advance() and tick()")
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()
        wake = asyncio.Event()

        def changed(_event: bytes) -> None:
            if threading.get_ident() == loop_thread:
                wake.set()
            else:
                try:
                    loop.call_soon_threadsafe(wake.set)
                except RuntimeError:  # the loop has closed
                    pass

        sub = self._subscribe(changed, decode=False)
        try:
            while True:
                delay = _MAX_TIMER_SLEEP
                try:
                    self.tick()
                    # Cleared after the tick (whose own events set it) and before reading the
                    # deadline: a change committed later still wakes the wait below.
                    wake.clear()
                    deadline = self._next_deadline_ms()
                    if deadline is not None:
                        delay = min(delay, max(0, deadline - self._now_ms()) / 1000)
                except StorageError as e:
                    logger.warning("run_timers: %s; retrying in 1 s", e)
                    wake.clear()
                    delay = 1.0
                # Zero only in a race with a change on another thread that made a deadline due
                # already; a millisecond keeps that from ever becoming a busy loop.
                try:
                    await asyncio.wait_for(wake.wait(), timeout=max(delay, 0.001))
                except asyncio.TimeoutError:
                    pass
        finally:
            if not self.closed:
                sub.unsubscribe()

    # -- introspection and logging --

    def describe(self) -> JSON:
        """The lifecycle table the engine runs on (``convo_describe``): statuses, channels
        (telephone, webrtc, email, text, sms, whatsapp), initial statuses, events with their
        transitions, timers. Each timer has ``armed_in``, ``channels``, ``reset_by``,
        ``length``, ``fires``, ``end_reason``, ``closes``, ``when`` (``"always"``,
        ``"human_takeover"`` or ``"wrap_up_pending"``: what else must hold for it to be armed)
        and ``effect`` (``"status"``: it moves the status as ``fires`` says; ``"handback"``;
        ``"finalize"``)."""
        return _json_call(library().convo_describe, self._h())

    def set_log_handler(self, handler: Optional[Callable[[int, str], None]]) -> None:
        """Routes the engine's log messages (those at or above its ``log_level``) to
        ``handler(level, message)``, ``level`` being a ``logging`` level (CONVO_LOG_TRACE is
        :data:`convo.TRACE`, 5). None restores the default: the ``"convo"`` logger.

        The handler runs on the thread that logs, with the engine's log sink locked: it must
        not call convo (doing so raises :class:`Misuse` instead of deadlocking) and should
        return quickly. An exception in it is logged to the ``"convo"`` logger."""
        self._h()
        _log_handlers[self._log_key] = handler if handler is not None else _log_to_logging


# ---- Session ---------------------------------------------------------------------------------


class Session:
    """One organization's view of an engine (``convo_session``), with a token's scopes.

    Everything it reads or writes is in its organization: another organization's conversation
    is :class:`NotFound`. Made by :meth:`Engine.session`; closed by :meth:`close`, by leaving
    a ``with`` block, when the engine closes, or when garbage-collected.
    """

    def __init__(self, engine: Engine, handle: int, organization_id: str, scopes: Scope) -> None:
        self._engine = engine  # keeps the engine open while the session lives
        self._handle: Optional[int] = handle
        self.organization_id = organization_id
        self.scopes = scopes
        self._finalizer = weakref.finalize(self, _close_session, handle)

    def close(self) -> None:
        """Frees the session. Idempotent."""
        if self._handle is not None:
            self._handle = None
            self._finalizer()

    @property
    def closed(self) -> bool:
        return self._handle is None

    @property
    def engine(self) -> Engine:
        return self._engine

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<convo.Session {self.organization_id!r} {self.scopes!r}{' closed' if self.closed else ''}>"

    def _h(self) -> int:
        _not_in_log_handler()
        if self._handle is None:
            raise _misuse("the session is closed")
        return self._handle

    # -- agents --

    def agent_put(self, agent: Mapping[str, Any]) -> JSON:
        """Creates or replaces an agent of the organization (ADMIN); returns the stored agent,
        every version with its stable ``id``."""
        return _json_call(library().convo_agent_put, self._h(), _time.dumps(agent))

    def agent_get(self, agent_id: str) -> JSON:
        """Reads an agent (READ); :class:`NotFound` if absent."""
        return _json_call(library().convo_agent_get, self._h(), _c("agent_id", agent_id))

    # -- conversations --

    @overload
    def create(
        self, request: Optional[Mapping[str, Any]] = ..., *, with_status: Literal[False] = ..., **fields: Any
    ) -> JSON: ...

    @overload
    def create(
        self, request: Optional[Mapping[str, Any]] = ..., *, with_status: Literal[True], **fields: Any
    ) -> Tuple[JSON, int]: ...

    def create(
        self, request: Optional[Mapping[str, Any]] = None, *, with_status: bool = False, **fields: Any
    ) -> Union[JSON, Tuple[JSON, int]]:
        """Creates a conversation (WRITE) from an AnyReach create request (a mapping, and/or
        keyword fields that add to it). Returns the channel's response; with
        ``with_status=True`` returns ``(response, http_status)``: 200, or 202 for telephone,
        whose response is ``{"contact_id": id}``. A repeated client ``id`` returns the stored
        response unchanged.

        ``channel`` is telephone, webrtc, email, text, sms or whatsapp (telephone, sms and
        whatsapp need an E.164 ``user_id``; sms and whatsapp take ``from_number``, the business
        number). ``messages`` seeds the transcript (``[{"role": "user" | "agent", "text"}]``),
        ``tags`` sets the tags, and on whatsapp ``message={"type": "template", "template":
        {"name": ..., "variables": ...}}`` opens with a template. An outbound whatsapp
        conversation while the contact's 24-hour window is closed needs that template, else
        :class:`PreconditionFailed` naming ``message``."""
        body = {**(request or {}), **fields}
        out = ctypes.c_void_p()
        status = ctypes.c_int()
        h = self._h()
        code = library().convo_create(h, _time.dumps(body), ctypes.byref(out), ctypes.byref(status))
        _check(code)
        result = _take_json(out)
        return (result, status.value) if with_status else result

    def get(self, conversation_id: str) -> JSON:
        """Reads a conversation (READ); sensitive fields only with :attr:`Scope.SENSITIVE`."""
        return _json_call(library().convo_get, self._h(), _c("conversation_id", conversation_id))

    def list(self, query: Optional[Mapping[str, Any]] = None, **filters: Any) -> JSON:
        """One page of conversations (READ), newest first:
        ``{"items": [...], "next_cursor": str | None}``. Filters as a mapping and/or keywords:
        status (str or list), channel, direction, agent_id, agent_version_id, user_id,
        agent_number, custom_metadata, created_after / created_before (datetime or RFC 3339),
        limit (1-100, default 20), cursor."""
        q = {**(query or {}), **filters}
        return _json_call(library().convo_list, self._h(), _time.dumps(q))

    def iter_list(self, query: Optional[Mapping[str, Any]] = None, **filters: Any) -> Iterator[JSON]:
        """Every conversation matching the filters, newest first, following ``next_cursor``
        page by page (``limit`` sets the page size)."""
        q: Dict[str, Any] = {**(query or {}), **filters}
        while True:
            page = self.list(q)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return
            q["cursor"] = cursor

    def dispatch(
        self, conversation_id: str, event: Union[str, Mapping[str, Any]], **fields: Any
    ) -> JSON:
        """Applies one lifecycle event (WRITE) and returns the conversation afterwards.

        ``event`` is the event object (``{"type": "message", "role": "user", "text": "hi"}``)
        or just its type, with the fields as keywords
        (``dispatch(id, "message", role="user", text="hi")``); ``at`` may be a datetime.
        An event not allowed in the current status is :class:`Conflict`; a repeated
        ``event_id`` returns the conversation unchanged.

        Event types: ringing, answered, joined, delivered, message (``role``, and ``text`` or
        on whatsapp a ``template``), end, cancel, no_answer, busy, fail, transfer, annotate,
        takeover (``minutes``, default 10), handback, close (``skip_notifications``) and
        finalize (``summary``, ``topic``, ``actions_needed``, ``tags``; once ended). An agent
        message while a human has taken over is :class:`Conflict`; a free-form business
        message on whatsapp outside the contact's 24-hour window is :class:`PreconditionFailed`.
        A handback without a takeover, and a close once ended, change nothing."""
        body = {"type": event, **fields} if isinstance(event, str) else {**event, **fields}
        return _json_call(
            library().convo_dispatch, self._h(), _c("conversation_id", conversation_id), _time.dumps(body)
        )

    def events(self, after: int = 0, limit: int = 100) -> JSON:
        """The organization's feed (READ): events with ``seq > after``, oldest first, at most
        ``limit`` (1-1000): ``{"events": [...], "next_seq": n}``; pass ``next_seq`` back as
        ``after`` to read on."""
        if after < 0 or limit < 1:
            raise ValueError("after must be >= 0 and limit from 1 to 1000")
        return _json_call(library().convo_events, self._h(), after, limit)


# ---- Subscription ----------------------------------------------------------------------------


class Subscription:
    """A registered feed subscriber (see :meth:`Engine.subscribe`). After :meth:`unsubscribe`
    returns, the callable is never called again by this binding."""

    id: int
    """The C API's subscription id."""

    def __init__(self, engine: Engine, fn: Callable[[Any], None], key: int, decode: bool) -> None:
        # Weak: the registry keeps the subscription alive, and it must not keep a forgotten
        # engine open (its finalizer closes it).
        self._engine_ref = weakref.ref(engine)
        self._engine_key = engine._key
        self._fn = fn
        self._key = key
        self._decode = decode
        self.id = 0

    @property
    def active(self) -> bool:
        return self._key in _subscribers

    def unsubscribe(self) -> None:
        """Stops delivery. Idempotent; a no-op once the engine is closed."""
        _not_in_log_handler()
        if _subscribers.pop(self._key, None) is None:
            return
        engine = self._engine_ref()
        if engine is not None and not engine.closed:
            engine._subscriber_keys.discard(self._key)
            _check(library().convo_unsubscribe(engine._h(), self.id))

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.unsubscribe()

    def __repr__(self) -> str:
        return f"<convo.Subscription {self.id} {self._fn!r}{'' if self.active else ' inactive'}>"

    def _deliver(self, event_json: bytes) -> None:
        delivering = _depth("delivering")
        key = self._engine_key
        delivering[key] = delivering.get(key, 0) + 1
        try:
            self._fn(json.loads(event_json) if self._decode else event_json)
        except BaseException:  # noqa: BLE001 - nothing may propagate into the engine
            try:
                logger.exception("convo subscriber %r raised; the engine carries on", self._fn)
            except BaseException:  # noqa: BLE001 - logging itself failed: drop it
                pass
        finally:
            delivering[key] -= 1
