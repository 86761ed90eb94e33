"""The engine's log: to the "convo" logger by default, or to a handler set with set_log_handler."""

from __future__ import annotations

import logging
from typing import Iterator

import pytest

import convo
from conftest import make


@pytest.fixture
def chatty() -> Iterator[convo.Engine]:
    with convo.Engine(path=":memory:", clock="manual", log_level="trace") as e:
        yield e


def test_by_default_the_engine_logs_to_the_convo_logger(chatty: convo.Engine, caplog: pytest.LogCaptureFixture) -> None:
    s = chatty.session("acme")
    with caplog.at_level(convo.TRACE, logger="convo"):
        cid = make(s, "text", agent_id=None, agent_config={})
    lines = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert ("convo", logging.DEBUG, f"created text {cid} in in_progress") in lines


def test_a_handler_gets_python_levels_and_none_restores_the_logger(
        chatty: convo.Engine, caplog: pytest.LogCaptureFixture) -> None:
    got = []
    chatty.set_log_handler(lambda level, message: got.append((level, message)))
    s = chatty.session("acme")
    with caplog.at_level(convo.TRACE, logger="convo"):
        cid = make(s, "text", agent_id=None, agent_config={})
        assert (logging.DEBUG, f"created text {cid} in in_progress") in got
        assert not [r for r in caplog.records if cid in r.getMessage()]
        chatty.set_log_handler(None)
        other = make(s, "text", agent_id=None, agent_config={})
    assert not [m for _, m in got if other in m]
    assert [r.levelno for r in caplog.records if other in r.getMessage()] == [logging.DEBUG]


def test_the_log_level_option_filters(caplog: pytest.LogCaptureFixture) -> None:
    got = []
    with convo.Engine(path=":memory:", clock="manual") as quiet:  # default level: warn
        quiet.set_log_handler(lambda level, message: got.append((level, message)))
        make(quiet.session("acme"), "text", agent_id=None, agent_config={})
    assert got == []
    with convo.Engine(path=":memory:", clock="manual", log_level="info") as info:
        info.set_log_handler(lambda level, message: got.append((level, message)))
        make(info.session("acme"), "text", agent_id=None, agent_config={})
    # "closed" is logged while the engine closes: the handler is still reachable then
    assert got == [(logging.INFO, "closed :memory:")]


def test_a_raising_handler_is_logged_and_the_call_succeeds(chatty: convo.Engine,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    def broken(level: int, message: str) -> None:
        raise ValueError("handler bug")

    chatty.set_log_handler(broken)
    with caplog.at_level(logging.ERROR, logger="convo"):
        c = chatty.session("acme").create(channel="text", user_id="u", agent_config={})
    assert c["conversation"]["status"] == "in_progress"
    errors = [r for r in caplog.records if "log handler" in r.getMessage()]
    assert errors and errors[0].exc_info[0] is ValueError


def test_a_handler_that_calls_convo_gets_misuse_instead_of_a_deadlock(chatty: convo.Engine) -> None:
    s = chatty.session("acme")
    refused = []

    def nosy(level: int, message: str) -> None:
        try:
            s.list()
        except convo.Misuse as e:
            refused.append(e.detail)

    chatty.set_log_handler(nosy)
    make(s, "text", agent_id=None, agent_config={})
    chatty.set_log_handler(None)
    assert refused and set(refused) == {"convo functions must not be called from a log handler (convo.h)"}
    assert len(s.list()["items"]) == 1  # outside a handler, calls work again


def test_level_mapping_covers_every_convo_level() -> None:
    from convo.engine import _LEVELS
    assert _LEVELS == {0: convo.TRACE, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING,
                       4: logging.ERROR, 5: logging.CRITICAL}
