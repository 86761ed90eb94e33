"""await engine.run_timers(): the asyncio timer driver on the system clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from pathlib import Path

import pytest

import convo
from convo._time import rfc3339

LATE = 0.25  # seconds a firing may trail its deadline on a loaded CI machine (typically ~2 ms)


def test_run_timers_fires_each_timer_when_due_even_one_made_while_it_sleeps() -> None:
    with convo.Engine(path=":memory:", ring_timeout_seconds=1, dial_timeout_seconds=2) as engine:
        s = engine.session("acme")

        async def main():
            fired = []
            both = asyncio.Event()

            def on_event(event: dict) -> None:
                if event["type"] == "status_changed":
                    fired.append((event, time.time(), threading.current_thread() is threading.main_thread()))
                    if len(fired) == 2:
                        both.set()

            engine.subscribe(on_event)
            driver = asyncio.create_task(engine.run_timers())
            await asyncio.sleep(0.05)  # the driver sleeps: no timer is pending
            dialing = s.create(channel="telephone", user_id="+15550001111", agent_config={})["contact_id"]
            dial_deadline = engine.next_deadline()
            await asyncio.sleep(0.1)  # the driver sleeps until the dial deadline...
            loop = asyncio.get_running_loop()
            ringing = await loop.run_in_executor(None, lambda: s.create(  # ...when another thread
                channel="telephone", direction="inbound", user_id="+15550002222", agent_config={}))  # adds an earlier one
            ring_deadline = engine.next_deadline()
            assert ring_deadline < dial_deadline
            await asyncio.wait_for(both.wait(), 5)
            driver.cancel()
            with pytest.raises(asyncio.CancelledError):
                await driver
            return fired, [(ringing["contact_id"], ring_deadline), (dialing, dial_deadline)]

        fired, expected = asyncio.run(main())
        for (event, observed, on_loop_thread), (cid, deadline) in zip(fired, expected):
            assert event["conversation_id"] == cid
            assert event["at"] == rfc3339(deadline)  # fired at its own deadline...
            assert deadline.timestamp() - 0.001 <= observed < deadline.timestamp() + LATE  # ...and then
            assert on_loop_thread  # ticks (and so subscribers) run on the loop's thread
        assert [e["reason"] for e, _, _ in fired] == ["ring_timeout", "dial_timeout"]


def test_cancelling_run_timers_removes_its_subscription() -> None:
    with convo.Engine(path=":memory:") as engine:
        before = set(engine._subscriber_keys)

        async def main() -> None:
            driver = asyncio.create_task(engine.run_timers())
            await asyncio.sleep(0.05)
            assert len(engine._subscriber_keys) == len(before) + 1
            driver.cancel()
            with pytest.raises(asyncio.CancelledError):
                await driver

        asyncio.run(main())
        assert engine._subscriber_keys == before


def test_deadlines_that_passed_while_closed_fire_at_once(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    with convo.Engine(path=db, clock="manual", start=past) as manual:
        cid = manual.session("acme").create(channel="telephone", direction="inbound", user_id="+15550001111",
                                            agent_config={})["contact_id"]
    with convo.Engine(path=db) as engine:
        async def main() -> dict:
            done = asyncio.Event()
            engine.subscribe(lambda e: done.set() if e["type"] == "status_changed" else None)
            driver = asyncio.create_task(engine.run_timers())
            await asyncio.wait_for(done.wait(), 2)
            driver.cancel()
            with pytest.raises(asyncio.CancelledError):
                await driver
            return engine.session("acme").get(cid)

        c = asyncio.run(main())
        assert (c["status"], c["ended_at"]) == ("unanswered", rfc3339(past + dt.timedelta(seconds=60)))


def test_run_timers_needs_the_system_clock(engine: convo.Engine) -> None:
    with pytest.raises(convo.Misuse, match="system clock"):
        asyncio.run(engine.run_timers())
