"""Every convo_code maps to its exception class, with the code, name, HTTP status and detail."""

from __future__ import annotations

import datetime as dt
import pickle
import threading

import pytest

import convo
from convo.errors import _make
from conftest import make, request


def expect(exc_type: type, code: int, name: str, http: int, detail: str, fn, *args, **kwargs) -> convo.Error:
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    e = info.value
    assert isinstance(e, convo.Error)
    assert type(e) is exc_type
    assert (e.code, e.name, e.http_status) == (code, name, http)
    assert isinstance(e.code, int)
    assert e.detail == detail
    assert str(e) == f"{name}: {detail}"
    return e


def test_invalid_request_names_the_field_and_rule(session: convo.Session) -> None:
    expect(convo.InvalidRequest, 1, "CONVO_EINVALID", 422, "foo: unknown field",
           session.create, request("text", foo=1))
    expect(convo.InvalidRequest, 1, "CONVO_EINVALID", 422,
           "channel: must be one of telephone, webrtc, email, text, sms, whatsapp",
           session.create, request("fax"))
    expect(convo.InvalidRequest, 1, "CONVO_EINVALID", 422, "ring_timeout_seconds: must be an integer from 1 to 1000000000",
           convo.Engine, path=":memory:", ring_timeout_seconds=0)
    expect(convo.InvalidRequest, 1, "CONVO_EINVALID", 422, "nope: unknown field", convo.Engine, path=":memory:", nope=True)


def test_precondition_failed_for_an_unknown_agent(session: convo.Session) -> None:
    expect(convo.PreconditionFailed, 2, "CONVO_EPRECONDITION", 400, "agent_id: unknown agent 'ghost'",
           session.create, request("text", agent_id="ghost"))


def test_forbidden_without_the_scope(engine: convo.Engine, session: convo.Session) -> None:
    reader = engine.session("acme", convo.Scope.READ)
    expect(convo.Forbidden, 3, "CONVO_EFORBIDDEN", 403,
           "scope: creating a conversation needs the WRITE scope, which this session does not have",
           reader.create, request("text"))


def test_not_found_for_an_unknown_conversation_and_agent(session: convo.Session) -> None:
    expect(convo.NotFound, 4, "CONVO_ENOTFOUND", 404, "conversation 'nope' not found", session.get, "nope")
    expect(convo.NotFound, 4, "CONVO_ENOTFOUND", 404, "agent 'nope' not found", session.agent_get, "nope")


def test_conflict_for_an_event_not_allowed_and_nothing_changes(session: convo.Session) -> None:
    cid = make(session, "email")
    before = session.get(cid)
    seq = session.events()["next_seq"]
    expect(convo.Conflict, 5, "CONVO_ECONFLICT", 409,
           "event 'answered' is not allowed in status 'triggered' for channel 'email'",
           session.dispatch, cid, "answered")
    assert session.get(cid) == before and session.events()["next_seq"] == seq


def test_storage_error_and_database_in_use(tmp_path) -> None:
    missing = tmp_path / "no" / "such" / "dir.db"
    expect(convo.StorageError, 6, "CONVO_ESTORAGE", 503,
           f"path: cannot open database '{missing}': unable to open database file",
           convo.Engine, path=missing)
    with convo.Engine(path=tmp_path / "a.db"):
        expect(convo.Conflict, 5, "CONVO_ECONFLICT", 409,
               f"path: database '{tmp_path / 'a.db'}' is in use by another engine or process",
               convo.Engine, path=tmp_path / "a.db")


def test_misuse_from_the_library_and_for_closed_handles() -> None:
    with convo.Engine(path=":memory:") as system:
        expect(convo.Misuse, 8, "CONVO_EMISUSE", 500,
               'clock: convo_clock_set needs the manual clock (option clock: "manual")',
               system.set_clock, dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
        s = system.session("acme")
    expect(convo.Misuse, 8, "CONVO_EMISUSE", 500, "the session is closed", s.get, "x")
    expect(convo.Misuse, 8, "CONVO_EMISUSE", 500, "the engine is closed", system.tick)


def test_every_code_maps_to_its_class_name_and_status_from_the_library() -> None:
    table = {
        1: (convo.InvalidRequest, "CONVO_EINVALID", 422),
        2: (convo.PreconditionFailed, "CONVO_EPRECONDITION", 400),
        3: (convo.Forbidden, "CONVO_EFORBIDDEN", 403),
        4: (convo.NotFound, "CONVO_ENOTFOUND", 404),
        5: (convo.Conflict, "CONVO_ECONFLICT", 409),
        6: (convo.StorageError, "CONVO_ESTORAGE", 503),
        7: (convo.InternalError, "CONVO_EINTERNAL", 500),
        8: (convo.Misuse, "CONVO_EMISUSE", 500),
    }
    for code, (cls, name, http) in table.items():
        e = _make(code, "why")
        assert (type(e), e.code, e.name, e.http_status, e.detail) == (cls, code, name, http, "why")
        assert e.code == convo.Code[name[len("CONVO_"):]]
    unknown = _make(99, "future code")
    assert type(unknown) is convo.Error and unknown.name == "CONVO_UNKNOWN" and unknown.http_status == 500


def test_errors_pickle_with_their_fields(session: convo.Session) -> None:
    with pytest.raises(convo.NotFound) as info:
        session.get("nope")
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is convo.NotFound
    assert (copy.code, copy.name, copy.http_status, copy.detail) == (4, "CONVO_ENOTFOUND", 404, "conversation 'nope' not found")


def test_the_detail_is_the_failing_calls_own_on_every_thread(engine: convo.Engine, session: convo.Session) -> None:
    # convo_last_error() is thread-local: each thread must see its own failure's detail even
    # while the others fail differently at the same time.
    cid = make(session, "email")
    problems = []
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(200):
            try:
                if n == 0:
                    session.get(f"missing-{i}")
                elif n == 1:
                    session.create(request("text", **{f"bad{i}": 1}))
                elif n == 2:
                    session.dispatch(cid, "joined")
                else:
                    session.agent_get(f"ghost-{i}")
            except convo.Error as e:
                want = [f"conversation 'missing-{i}' not found", f"bad{i}: unknown field",
                        "event 'joined' is not allowed in status 'triggered'",
                        f"agent 'ghost-{i}' not found"][n]
                if e.detail != want:
                    problems.append((n, i, e.detail))
            else:
                problems.append((n, i, "no error"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []


def test_naive_datetimes_are_refused(engine: convo.Engine) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        engine.set_clock(dt.datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="naive datetime"):
        convo.Engine(path=":memory:", clock="manual", start=dt.datetime(2030, 1, 1))


def test_c_string_arguments_refuse_an_embedded_nul(engine: convo.Engine, session: convo.Session) -> None:
    cid = make(session, "text")
    with pytest.raises(ValueError, match="conversation_id: embedded null character"):
        session.get(cid + "\x00tail")  # C would have read just `cid`
    with pytest.raises(ValueError, match="organization_id"):
        engine.session("acme\x00")
    # Inside JSON a NUL is an escape, not an end: it goes through.
    c = session.dispatch(cid, "message", role="user", text="a\x00b")
    assert c["conversation"]["messages"][-1]["text"] == "a\x00b"
