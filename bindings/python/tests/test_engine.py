"""Opening and closing engines and sessions, options, describe(), and finding the library."""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import convo
from conftest import AGENT, make


def test_the_library_and_the_package_agree_on_the_version() -> None:
    assert convo.library_version() == convo.__version__


def test_the_context_manager_closes_the_engine_and_its_sessions(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with convo.Engine(path=db) as engine:
        s = engine.session("acme")
        assert not engine.closed and not s.closed
    assert engine.closed and s.closed
    with pytest.raises(convo.Misuse, match="the engine is closed"):
        engine.session("acme")
    with pytest.raises(convo.Misuse, match="the session is closed"):
        s.list()
    engine.close()  # idempotent
    with convo.Engine(path=db):  # the file is free again
        pass


def test_the_context_manager_closes_on_an_exception(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with pytest.raises(RuntimeError):
        with convo.Engine(path=db) as engine:
            raise RuntimeError("host failure")
    assert engine.closed
    convo.Engine(path=db).close()


def test_a_forgotten_engine_is_closed_when_collected(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    engine = convo.Engine(path=db)
    engine.session("acme")
    got: list = []
    engine.subscribe(got.append)  # a live subscription does not keep the engine open
    del engine
    gc.collect()
    convo.Engine(path=db).close()  # would be Conflict "in use" if still open


def test_sessions_keep_their_engine_alive_and_close_on_their_own(tmp_path: Path) -> None:
    s = convo.Engine(path=tmp_path / "c.db").session("acme")
    gc.collect()
    s.agent_put(AGENT)
    assert s.agent_get("support")["name"] == "Support"
    with s:
        pass
    assert s.closed and not s.engine.closed
    s.engine.close()


def test_data_persists_across_engines_and_deadlines_survive(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with convo.Engine(path=db, clock="manual", start=start) as engine:
        s = engine.session("acme")
        s.agent_put(AGENT)
        cid = make(s, "telephone", direction="inbound")
    with convo.Engine(path=db, clock="manual", start=start + dt.timedelta(hours=1)) as engine:
        assert engine.next_deadline() == start + dt.timedelta(seconds=60)
        s = engine.session("acme")
        seq = s.events()["next_seq"]
        # The ring timeout, then the wrap-up it armed (300 s after the end), both overdue.
        assert engine.tick() == 2
        c = s.get(cid)
        assert (c["status"], c["ended_at"], c["wrap_up"]) == ("unanswered", "2026-01-01T00:01:00.000Z", "done")
        assert [(e["type"], e["reason"], e["data"], e["at"]) for e in s.events(seq)["events"]] == [
            ("status_changed", "ring_timeout", {"timer": "ring"}, "2026-01-01T00:01:00.000Z"),
            ("finalized", None, {"timer": "wrap_up"}, "2026-01-01T00:06:00.000Z")]
        assert engine.next_deadline() is None


def test_options_are_passed_through_and_none_means_default() -> None:
    with convo.Engine(path=":memory:", clock="manual", webrtc_url="wss://rtc.example/x", ring_timeout_seconds=None,
                      max_open_per_organization=1, synchronous="normal") as engine:
        s = engine.session("acme")
        out = s.create(channel="webrtc", user_id="u", agent_config={})
        assert out["connection_details"]["url"] == "wss://rtc.example/x"
        with pytest.raises(convo.PreconditionFailed, match="usage limit reached"):
            s.create(channel="webrtc", user_id="u", agent_config={})
    with convo.Engine(path=":memory:", max_message_bytes=1024) as engine:  # any key goes through
        with pytest.raises(convo.InvalidRequest, match=r"initial_context: longer than 1024 bytes \(max_message_bytes\)"):
            engine.session("acme").create(channel="text", user_id="u", agent_config={}, initial_context="x" * 1025)
    with pytest.raises(convo.InvalidRequest, match="clock: must be one of system, manual"):
        convo.Engine(path=":memory:", clock="sundial")
    with pytest.raises(convo.InvalidRequest, match="start: only allowed with clock"):
        convo.Engine(path=":memory:", start=dt.datetime.now(dt.timezone.utc))


def test_describe_is_the_lifecycle_table(engine: convo.Engine) -> None:
    table = engine.describe()
    assert set(table) >= {"statuses", "channels", "initial", "events", "timers"}
    assert table["channels"] == ["telephone", "webrtc", "email", "text", "sms", "whatsapp"]
    terminal = {s["name"] for s in table["statuses"] if s["terminal"]}
    assert terminal == {"completed", "failed", "cancelled", "transferred", "unanswered"}
    answered = next(e for e in table["events"] if e["name"] == "answered")
    assert {(t["from"], t["to"]) for t in answered["transitions"]} == {("triggered", "in_progress"),
                                                                      ("ringing", "in_progress")}
    assert [(t["name"], t["when"], t["effect"], t["closes"]) for t in table["timers"]] == [
        ("idle", "always", "status", True), ("max_open", "always", "status", True),
        ("ring", "always", "status", True), ("dial", "always", "status", True),
        ("join", "always", "status", True), ("takeover", "human_takeover", "handback", False),
        ("wrap_up", "wrap_up_pending", "finalize", False)]
    wrap_up = table["timers"][-1]
    assert (wrap_up["length"], wrap_up["fires"], set(wrap_up["armed_in"])) == ("wrap_up_timeout_seconds", [], terminal)
    assert [e["name"] for e in table["events"]][-4:] == ["takeover", "handback", "close", "finalize"]
    finalize = next(e for e in table["events"] if e["name"] == "finalize")
    assert {t["from"] for t in finalize["transitions"]} == terminal


def _run(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=60)


def _env(**changes: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CONVO_LIBRARY", "LD_LIBRARY_PATH")}
    env.update(changes)
    return env


def test_a_missing_library_is_a_clear_error_on_first_use_not_at_import(tmp_path: Path) -> None:
    p = _run("""
        import convo
        try:
            convo.Engine(path=":memory:")
        except convo.LibraryNotFoundError as e:
            print("ERROR", e)
    """, _env(CONVO_LIBRARY=str(tmp_path / "nowhere.so")))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("ERROR cannot load libconvo (CONVO_LIBRARY is set); tried:")
    assert str(tmp_path / "nowhere.so") in p.stdout


def test_the_library_is_found_next_to_the_package(tmp_path: Path, library_file: str) -> None:
    package = Path(convo.__file__).parent
    copy = tmp_path / "site" / "convo"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "libconvo.so*"))
    shutil.copy(library_file, copy / "libconvo.so")
    p = _run("import convo; print(convo.library_path()); print(convo.library_version())",
             _env(PYTHONPATH=str(tmp_path / "site")))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [str(copy / "libconvo.so"), convo.__version__]


def test_the_library_is_found_by_the_system_search(tmp_path: Path, library_file: str) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    shutil.copy(library_file, folder / "libconvo.so.0")
    p = _run("""
        import convo
        convo.library()
        print(convo.library_version())
        print(*[l.split()[-1] for l in open("/proc/self/maps") if "libconvo" in l][:1])
    """, _env(LD_LIBRARY_PATH=str(folder), PYTHONPATH=os.pathsep.join(sys.path)))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [convo.__version__, str(folder / "libconvo.so.0")]
