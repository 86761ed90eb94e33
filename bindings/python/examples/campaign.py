#!/usr/bin/env python3
"""An outbound calling campaign, simulated on convo's manual clock.

A host dials a list of numbers, a few seconds apart. Each call meets a fate drawn at random:
the carrier reports it ringing (or never does, so the dial timeout fails it), then it is
answered and talked through, or refused as busy, or left ringing until the ring timeout, or
reported unanswered. Carrier events may arrive after a timeout already closed the call; the
engine refuses those with a 409 (convo.Conflict), as a REST host would. Every ended call then
waits for its wrap-up: the host finalizes the calls it talked through with a summary half a
minute after they end; the others are wrapped up by the engine's wrap-up timer
(wrap_up_timeout_seconds) when nobody finalizes them.

The host is an event loop over simulated time: before each carrier event it moves the clock
to the event's time and ticks, so timers fire exactly where they fall. A subscriber watches
the feed; the report at the end reads every conversation back with iter_list().

    CONVO_LIBRARY=build/libconvo.so python3 bindings/python/examples/campaign.py [--calls N] [--seed S]

(from the repository root; it uses the installed package, else the one in bindings/python/src)
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import heapq
import random
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

try:
    import convo
except ImportError:  # run from a checkout without installing: the package is next door
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import convo

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)
AGENT = {
    "id": "outreach",
    "name": "Outreach",
    "phone_number": "+18885550000",
    "versions": [{"version": 1, "published": True, "greeting": "Hi, this is Acme calling about your order."}],
}
LINES = ["Is now a good time?", "Sure, go ahead.", "Your order ships tomorrow.", "Great, thanks!",
         "Anything else I can help with?", "No, that's all."]


def script(rng: random.Random, t: float) -> List[Tuple[float, Dict[str, Any]]]:
    """One call's carrier events as (seconds after the campaign start, event)."""
    events: List[Tuple[float, Dict[str, Any]]] = []
    if rng.random() < 0.12:
        return events  # the carrier never answers the dial request: the dial timeout fails it
    t += rng.uniform(1, 8)
    events.append((t, {"type": "ringing"}))
    fate = rng.choices(["answered", "busy", "no_answer", "rings_out", "carrier_error"], [55, 10, 12, 18, 5])[0]
    if fate == "busy":
        events.append((t + rng.uniform(0.5, 3), {"type": "busy"}))
    elif fate == "no_answer":
        events.append((t + rng.uniform(10, 25), {"type": "no_answer"}))
    elif fate == "carrier_error":
        events.append((t + rng.uniform(1, 5), {"type": "fail", "reason": "carrier_error"}))
    elif fate == "rings_out":
        if rng.random() < 0.4:  # picked up just too late: arrives after the ring timeout
            events.append((t + 31 + rng.uniform(0, 5), {"type": "answered"}))
    else:
        t += rng.uniform(3, 25)
        events.append((t, {"type": "answered"}))
        for i in range(rng.randint(2, len(LINES))):
            t += rng.uniform(4, 20)
            events.append((t, {"type": "message", "role": "agent" if i % 2 == 0 else "user", "text": LINES[i]}))
        t += rng.uniform(2, 10)
        events.append((t, {"type": "end", "reason": "completed"}))
        events.append((t + 30, {"type": "finalize", "summary": "Order update delivered.", "topic": "orders"}))
    return events


def run(calls: int, seed: int) -> None:
    rng = random.Random(seed)
    wall = time.perf_counter()
    with convo.Engine(path=":memory:", clock="manual", start=START,
                      ring_timeout_seconds=30, dial_timeout_seconds=45, wrap_up_timeout_seconds=120) as engine:
        s = engine.session("acme")
        s.agent_put(AGENT)
        feed: collections.Counter = collections.Counter()
        timer_reasons: collections.Counter = collections.Counter()

        def watch(event: Dict[str, Any]) -> None:
            feed[event["type"]] += 1
            if "timer" in event["data"]:  # a closing timer's end reason, else the timer's name (wrap_up)
                timer_reasons[event["reason"] or event["data"]["timer"]] += 1

        engine.subscribe(watch)
        print(f"convo {convo.library_version()} campaign: {calls} calls from {AGENT['phone_number']}, "
              f"seed {seed}, manual clock from {engine.now().isoformat()}")

        # (seconds after START, order, action): dials every 12 s, carrier events as scripted.
        queue: List[Tuple[float, int, Any]] = []
        order = 0
        for n in range(calls):
            at = n * 12.0
            heapq.heappush(queue, (at, order, ("dial", n)))
            order += 1
        ids: Dict[int, str] = {}
        refused = 0
        while queue:
            at, _, action = heapq.heappop(queue)
            engine.set_clock(START + dt.timedelta(seconds=at))
            engine.tick()  # timers due by now fire first, each at its own deadline
            if action[0] == "dial":
                n = action[1]
                ids[n] = s.create(channel="telephone", user_id=f"+1555010{n:04d}", agent_id="outreach",
                                  custom_metadata={"campaign": "spring", "lead": str(n)})["contact_id"]
                for t, event in script(rng, at):
                    heapq.heappush(queue, (t, order, ("event", n, event)))
                    order += 1
            else:
                _, n, event = action
                try:
                    s.dispatch(ids[n], event)
                except convo.Conflict:
                    refused += 1  # e.g. "answered" after the ring timeout closed the call
        while (deadline := engine.next_deadline()) is not None:  # let the last timers (wrap-ups) run out
            engine.set_clock(deadline)
            engine.tick()

        report(s, calls, refused, feed, timer_reasons, engine.now() - START, time.perf_counter() - wall)


def report(s: convo.Session, calls: int, refused: int, feed: collections.Counter,
           timer_reasons: collections.Counter, simulated: dt.timedelta, wall: float) -> None:
    by_status: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    wrap_up: collections.Counter = collections.Counter()
    talk: List[int] = []
    messages: List[int] = []
    for c in s.iter_list(custom_metadata={"campaign": "spring"}, limit=10):
        by_status[c["status"]][c["end_reason"]] += 1
        wrap_up[c["wrap_up"]] += 1
        if c["status"] == "completed":
            talk.append(c["duration"])
            messages.append(len(c["conversation"]["messages"]))
    placed = sum(sum(r.values()) for r in by_status.values())
    print()
    print("Report")
    print(f"  calls placed      {placed:4d}")
    for status in ("completed", "unanswered", "failed", "cancelled", "transferred"):
        if status in by_status:
            reasons = ", ".join(f"{r} {n}" for r, n in sorted(by_status[status].items()))
            print(f"  {status:<17} {sum(by_status[status].values()):4d}   ({reasons})")
    if talk:
        avg = sum(talk) / len(talk)
        print(f"  talk time         {sum(talk) // 60:4d} min   (average {int(avg) // 60}m {int(avg) % 60:02d}s, "
              f"{sum(messages) / len(messages):.1f} messages per call)")
    print(f"  timers fired      {sum(timer_reasons.values()):4d}   "
          f"({', '.join(f'{r} {n}' for r, n in sorted(timer_reasons.items()))})")
    print(f"  late events       {refused:4d}   (refused with 409 Conflict)")
    print(f"  wrapped up        {wrap_up['done']:4d}   (finalized by the host {feed['finalized'] - timer_reasons['wrap_up']}, "
          f"by the wrap-up timer {timer_reasons['wrap_up']})")
    print(f"  feed events       {sum(feed.values()):4d}   "
          f"({', '.join(f'{t} {n}' for t, n in sorted(feed.items()))})")
    print(f"  simulated         {str(simulated).split('.')[0]:>8}   in {wall:.2f} s")
    assert placed == calls, f"{placed} conversations listed for {calls} calls"
    assert wrap_up == {"done": calls}, f"wrap-up states {dict(wrap_up)}: every ended call is wrapped up"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=36, help="how many numbers to dial (default 36)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = parser.parse_args()
    run(args.calls, args.seed)


if __name__ == "__main__":
    main()
