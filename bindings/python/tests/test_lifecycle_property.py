"""Property: random event sequences against the table from engine.describe().

A Hypothesis state machine creates conversations on random channels and directions, dispatches
random events with valid bodies, moves the manual clock by random amounts and ticks. A model
built only from describe() (transitions, initial statuses, timers with what arms, resets and
fires them) predicts every outcome, and after every step the engine must agree:

- an accepted event is a row of the table from the conversation's current status for its
  channel, and lands in the row's `to`; a rejected one (Conflict) is not a row, and changes
  nothing but the timeouts that were already due;
- terminal statuses absorb every event but annotate, and arm no timer;
- timers fire at their deadlines, as the table's `fires` say, with its end reason, and tick()
  counts them; next_deadline() and expires_at are the model's;
- the feed holds exactly the model's events, per conversation, in order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Tuple

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import convo
from convo._time import from_ms, rfc3339, to_ms

OPTIONS = {"ring_timeout_seconds": 30, "dial_timeout_seconds": 90, "token_ttl_seconds": 45,
           "platform_max_open_minutes": 5}
START = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)

with convo.Engine(path=":memory:") as _e:
    TABLE = _e.describe()

TERMINAL = {s["name"] for s in TABLE["statuses"] if s["terminal"]}
EVENTS = [e["name"] for e in TABLE["events"]]
ROWS = {e["name"]: e["transitions"] for e in TABLE["events"]}
TIMERS = TABLE["timers"]

# End reasons of closing events (docs/c-api.md); the table says which events close.
END_REASON = {"end": lambda e: e.get("reason", "ended"), "fail": lambda e: e["reason"],
              "cancel": lambda e: "cancelled", "transfer": lambda e: "transferred",
              "no_answer": lambda e: "no_answer", "busy": lambda e: "busy"}

Event = Tuple[str, Optional[str], Optional[str], Optional[str], Any, str]  # type, from, to, reason, data, at

# Quotes, backslashes, NUL, accents and a non-BMP emoji go through JSON both ways. (Joined from a
# list: st.text() would use st.characters(), which caches a table in ./.hypothesis.)
text = st.lists(st.sampled_from("ab \"\\\x00\né😀"), min_size=1, max_size=8).map("".join)
ANNOTATIONS = {"summary": text, "topic": text, "tags": st.lists(text, max_size=2),
               "actions_needed": st.lists(text, max_size=2),
               "recording_details": st.dictionaries(st.sampled_from(["url", "s"]), text, max_size=2)}


def event_body(draw: Any, kind: str) -> Dict[str, Any]:
    """A valid body for an event type (docs/c-api.md, "Events")."""
    body: Dict[str, Any] = {"type": kind}
    if kind == "message":
        body.update(role=draw(st.sampled_from(["user", "agent", "human"])), text=draw(text))
    elif kind == "end" and draw(st.booleans()):
        body["reason"] = draw(text)
    elif kind == "fail":
        body["reason"] = draw(text)
    elif kind == "transfer":
        body["to"] = draw(text)
    elif kind == "annotate":
        keys = draw(st.lists(st.sampled_from(sorted(ANNOTATIONS)), min_size=1, max_size=3, unique=True))
        body.update({k: draw(ANNOTATIONS[k]) for k in keys})
    if draw(st.integers(0, 4)) == 0:
        body["event_id"] = draw(st.sampled_from(["e1", "e2"]))  # repeats happen
    return body


class Model:
    """One conversation as the table says it must be."""

    def __init__(self, cid: str, channel: str, direction: str, idle: Optional[int], max_open: int,
                 now: int) -> None:
        self.id, self.channel, self.direction = cid, channel, direction
        self.idle, self.max_open = idle, max_open
        self.status = next(r["status"] for r in TABLE["initial"]
                           if r["channel"] == channel and r["direction"] in (None, direction))
        self.deadlines: Dict[str, int] = {}
        self.event_ids: set = set()
        self.ended_at: Optional[int] = None
        self.end_reason: Optional[str] = None
        self.arm(None, now)

    def length_ms(self, timer: Dict[str, Any]) -> Optional[int]:
        name = timer["length"]  # a create field of the conversation or an engine option
        value = {"idle_timeout_minutes": self.idle, "max_open_minutes": self.max_open}.get(name, OPTIONS.get(name))
        if value is None:
            return None
        return value * (60_000 if name.endswith("_minutes") else 1000)

    def arm(self, cause: Optional[str], at: int) -> None:
        for t in TIMERS:
            length = self.length_ms(t)
            if length is None or self.status not in t["armed_in"] or self.channel not in t["channels"]:
                self.deadlines.pop(t["name"], None)
            elif t["name"] not in self.deadlines or (cause is not None and cause in t["reset_by"]):
                self.deadlines[t["name"]] = at + length

    def enter(self, to: str, at: int, reason: str) -> None:
        self.status = to
        if to in TERMINAL:
            self.ended_at, self.end_reason = at, reason

    def fire_due(self, now: int, out: List[Event]) -> int:
        """Fires the deadlines <= now, earliest first (ties: the table's timer order)."""
        fired = 0
        while self.deadlines:
            at = min(self.deadlines.values())
            if at > now:
                break
            timer = next(t for t in TIMERS if self.deadlines.get(t["name"]) == at)
            del self.deadlines[timer["name"]]
            row = next((f for f in timer["fires"] if f["from"] == self.status), None)
            if row is not None:
                reason = timer["end_reason"]
                out.append(("status_changed", self.status, row["to"], reason, {"timer": timer["name"]}, rfc3339(from_ms(at))))
                self.enter(row["to"], at, reason)
            self.arm(None, at)
            fired += 1
        return fired

    def expires_at(self) -> Optional[str]:
        closing = [self.deadlines[t["name"]] for t in TIMERS if t["closes"] and t["name"] in self.deadlines]
        return rfc3339(from_ms(min(closing))) if closing else None


def row_for(event: str, status: str, channel: str) -> Optional[Dict[str, Any]]:
    return next((r for r in ROWS[event] if r["from"] == status and channel in r["channels"]), None)


class LifecycleAgainstDescribe(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = convo.Engine(path=":memory:", clock="manual", start=START, **OPTIONS)
        self.session = self.engine.session("acme")
        self.convs: List[Model] = []
        self.seq = 0
        self.expected: Dict[str, List[Event]] = {}
        self._now = to_ms(START)

    def teardown(self) -> None:
        self.engine.close()

    # ---- steps -----------------------------------------------------------------------------

    @initialize(channel=st.sampled_from(TABLE["channels"]), direction=st.sampled_from(["outbound", "inbound"]),
                idle=st.none() | st.integers(1, 7), max_open=st.none() | st.integers(1, 7), greeting=st.booleans())
    def first(self, **kwargs: Any) -> None:
        self.create(**kwargs)

    @rule(channel=st.sampled_from(TABLE["channels"]), direction=st.sampled_from(["outbound", "inbound"]),
          idle=st.none() | st.integers(1, 7), max_open=st.none() | st.integers(1, 7), greeting=st.booleans())
    def create(self, channel: str, direction: str, idle: Optional[int], max_open: Optional[int],
               greeting: bool) -> None:
        req: Dict[str, Any] = {"channel": channel, "direction": direction,
                               "user_id": "+15550001111" if channel == "telephone" else "user_1",
                               "agent_config": {"greeting": "Hi"} if greeting else {}}
        if channel == "email":
            req["to_address"] = "u@example.com"
        if idle is not None:
            req["idle_timeout_minutes"] = idle
        if max_open is not None:
            req["max_open_minutes"] = max_open
        out = self.session.create(req)
        cid = out["contact_id"] if channel == "telephone" else out["conversation"]["id"]
        cap = OPTIONS["platform_max_open_minutes"]
        m = Model(cid, channel, direction, None if idle is None else min(idle, cap),
                  min(max_open or cap, cap), self._now)
        self.convs.append(m)
        at = rfc3339(from_ms(self._now))
        events: List[Event] = [("created", None, m.status, None, {"channel": channel, "direction": direction}, at)]
        if greeting and channel == "text":
            events.append(("message", None, None, None, {"role": "agent", "text": "Hi"}, at))
        self.expect(cid, events)

    @rule(which=st.integers(0, 50), allowed=st.booleans(), data=st.data())
    def dispatch(self, which: int, allowed: bool, data: st.DataObject) -> None:
        m = self.convs[which % len(self.convs)]
        # Half the time an event the table allows now (so lifecycles get deep), else any event.
        pool = [e for e in EVENTS if row_for(e, m.status, m.channel)] if allowed else EVENTS
        kind = data.draw(st.sampled_from(pool or EVENTS), label="type")
        body = event_body(data.draw, kind)
        if body.get("event_id") in m.event_ids:  # a retried delivery: OK, nothing happens
            assert self.session.dispatch(m.id, body)["status"] == m.status
            return
        events: List[Event] = []
        m.fire_due(self._now, events)  # deadlines that passed first, at their own times
        before = m.status
        row = row_for(kind, before, m.channel)
        try:
            got = self.session.dispatch(m.id, body)
        except convo.Conflict as e:
            assert row is None, f"{kind} from {before} on {m.channel} is a table row but was refused: {e.detail}"
            assert f"event '{kind}' is not allowed in status '{before}'" in e.detail
            event("rejected in a terminal status" if before in TERMINAL else "rejected in an open status")
        else:
            assert row is not None, f"{kind} from {before} on {m.channel} is no table row but was accepted"
            assert before not in TERMINAL or row["to"] == before, "a terminal status must absorb"
            at = rfc3339(from_ms(self._now))
            if row["to"] != before:
                reason = END_REASON[kind](body) if row["to"] in TERMINAL else kind
                events.append(("status_changed", before, row["to"], reason, {"event": kind}, at))
                m.enter(row["to"], self._now, reason)
            if kind == "message":
                events.append(("message", None, None, None, {"role": body["role"], "text": body["text"]}, at))
            if kind == "annotate":
                events.append(("annotated", None, None, None,
                               {k: v for k, v in body.items() if k not in ("type", "event_id")}, at))
            m.arm(kind, self._now)
            if "event_id" in body:
                m.event_ids.add(body["event_id"])
            assert got["status"] == m.status
            event("accepted: status changed" if row["to"] != before else "accepted: status kept")
        if before in TERMINAL:
            assert kind == "annotate" or row is None
        self.expect(m.id, events)

    @rule(ms=st.integers(0, 400_000) | st.sampled_from([30_000, 45_000, 60_000, 90_000, 300_000]),
          tick=st.booleans())
    def advance(self, ms: int, tick: bool) -> None:
        assert self.engine.advance(dt.timedelta(milliseconds=ms)) == from_ms(self._now + ms)
        self._now += ms
        if not tick:
            return
        fired = 0
        for m in self.convs:
            events: List[Event] = []
            fired += m.fire_due(self._now, events)
            self.expect(m.id, events)
        assert self.engine.tick() == fired
        event(f"tick fired {min(fired, 2)}{'+' if fired >= 2 else ''}")

    # ---- checks after every step -----------------------------------------------------------

    def expect(self, cid: str, events: List[Event]) -> None:
        self.expected.setdefault(cid, []).extend(events)

    @invariant()
    def feed_is_the_models(self) -> None:
        page = self.session.events(self.seq, 1000)
        got: Dict[str, List[Event]] = {}
        for e in page["events"]:
            got.setdefault(e["conversation_id"], []).append(
                (e["type"], e["from"], e["to"], e["reason"], e["data"], e["at"]))
        want = {cid: evs for cid, evs in self.expected.items() if evs}
        assert got == want
        self.seq = page["next_seq"]
        self.expected = {}

    @invariant()
    def conversations_and_deadlines_are_the_models(self) -> None:
        pending = [d for m in self.convs for d in m.deadlines.values()]
        assert self.engine.next_deadline() == (from_ms(min(pending)) if pending else None)
        for m in self.convs:
            c = self.session.get(m.id)
            assert (c["status"], c["expires_at"], c["end_reason"]) == (m.status, m.expires_at(), m.end_reason)
            assert c["ended_at"] == (rfc3339(from_ms(m.ended_at)) if m.ended_at is not None else None)
            if m.status in TERMINAL:
                assert m.deadlines == {} and c["expires_at"] is None


def test_the_table_itself_keeps_terminal_statuses_terminal() -> None:
    for kind in TABLE["events"]:
        for row in kind["transitions"]:
            assert row["from"] not in TERMINAL or row["to"] == row["from"], (kind["name"], row)
    assert all(set(t["armed_in"]).isdisjoint(TERMINAL) for t in TIMERS)
    annotate = {r["from"] for r in ROWS["annotate"]}
    assert TERMINAL <= annotate


LifecycleAgainstDescribe.TestCase.settings = settings(max_examples=120, stateful_step_count=30)
test_random_event_sequences_follow_the_table = LifecycleAgainstDescribe.TestCase
