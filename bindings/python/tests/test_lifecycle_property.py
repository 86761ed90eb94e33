"""Property: random event sequences against the table from engine.describe().

A Hypothesis state machine creates conversations on random channels and directions (with seed
messages, tags, business numbers and WhatsApp templates), dispatches random events with valid
bodies, moves the manual clock by random amounts and ticks. A model built from describe()
(transitions, initial statuses, timers with what arms, resets and fires them: their `when` and
`effect`) and from the documented rules outside the table (docs/c-api.md: takeover, the
WhatsApp 24-hour window, template messages, no-op handback and close, finalize) predicts every
outcome, and after every step the engine must agree:

- an accepted event is a row of the table from the conversation's current status for its
  channel, and lands in the row's `to`; a rejected one (Conflict) is not a row, or is an agent
  message while a human has taken over; a business message outside the WhatsApp window is
  PreconditionFailed; a refusal changes nothing but the timeouts that were already due;
- terminal statuses absorb every event but annotate, close (a no-op) and finalize, and arm
  only the wrap-up timer, while the wrap-up is pending;
- timers fire at their deadlines with their effect (a status change with the table's end
  reason, a handback, a finalized wrap-up), and tick() counts them; next_deadline(),
  expires_at, human_takeover(_until), wrap_up and the chat window are the model's;
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
           "platform_max_open_minutes": 5, "wrap_up_timeout_seconds": 120}
START = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
DAY = 24 * 3600 * 1000  # the WhatsApp window after a user message

with convo.Engine(path=":memory:") as _e:
    TABLE = _e.describe()

TERMINAL = {s["name"] for s in TABLE["statuses"] if s["terminal"]}
EVENTS = [e["name"] for e in TABLE["events"]]
ROWS = {e["name"]: e["transitions"] for e in TABLE["events"]}
TIMERS = TABLE["timers"]

# End reasons of closing events (docs/c-api.md); the table says which events close.
END_REASON = {"end": lambda e: e.get("reason", "ended"), "fail": lambda e: e["reason"],
              "cancel": lambda e: "cancelled", "transfer": lambda e: "transferred",
              "no_answer": lambda e: "no_answer", "busy": lambda e: "busy", "close": lambda e: "closed"}
PHONE_CHANNELS = {"telephone", "sms", "whatsapp"}  # user_id must be E.164
CHAT_CHANNELS = {"text", "sms", "whatsapp"}  # a speaks-first agent greets at creation
USER = "+15550001111"
TEMPLATE = {"name": "order_update", "variables": {"body": ["A-17"]}}

Event = Tuple[str, Optional[str], Optional[str], Optional[str], Any, str]  # type, from, to, reason, data, at

# Quotes, backslashes, NUL, accents and a non-BMP emoji go through JSON both ways. (Joined from a
# list: st.text() would use st.characters(), which caches a table in ./.hypothesis.)
text = st.lists(st.sampled_from("ab \"\\\x00\né😀"), min_size=1, max_size=8).map("".join)
ANNOTATIONS = {"summary": text, "topic": text, "tags": st.lists(text, max_size=2),
               "actions_needed": st.lists(text, max_size=2),
               "recording_details": st.dictionaries(st.sampled_from(["url", "s"]), text, max_size=2)}
FINALIZE_FIELDS = ["actions_needed", "summary", "tags", "topic"]


def event_body(draw: Any, kind: str) -> Dict[str, Any]:
    """A valid body for an event type (docs/c-api.md, "Events")."""
    body: Dict[str, Any] = {"type": kind}
    if kind == "message":
        body["role"] = draw(st.sampled_from(["user", "agent", "human"]))
        if body["role"] != "user" and draw(st.integers(0, 3)) == 0:
            body["template"] = TEMPLATE  # whatsapp only: InvalidRequest on the other channels
        else:
            body["text"] = draw(text)
    elif kind == "end" and draw(st.booleans()):
        body["reason"] = draw(text)
    elif kind == "fail":
        body["reason"] = draw(text)
    elif kind == "transfer":
        body["to"] = draw(text)
    elif kind == "annotate":
        keys = draw(st.lists(st.sampled_from(sorted(ANNOTATIONS)), min_size=1, max_size=3, unique=True))
        body.update({k: draw(ANNOTATIONS[k]) for k in keys})
    elif kind == "finalize":
        keys = draw(st.lists(st.sampled_from(FINALIZE_FIELDS), max_size=2, unique=True))
        body.update({k: draw(ANNOTATIONS[k]) for k in keys})
    elif kind == "takeover" and draw(st.booleans()):
        body["minutes"] = draw(st.integers(1, 3))
    elif kind == "close" and draw(st.booleans()):
        body["skip_notifications"] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:
        body["event_id"] = draw(st.sampled_from(["e1", "e2"]))  # repeats happen
    return body


class Model:
    """One conversation as the table and the documented rules say it must be."""

    def __init__(self, cid: str, channel: str, direction: str, idle: Optional[int], max_open: int,
                 from_number: Optional[str], tags: List[str], user_turns: int, now: int) -> None:
        self.id, self.channel, self.direction = cid, channel, direction
        self.idle, self.max_open = idle, max_open
        self.from_number = from_number
        self.contact = from_number or ""  # the WhatsApp window's key, with the user's number
        self.tags, self.user_turns = tags, user_turns
        self.status = next(r["status"] for r in TABLE["initial"]
                           if r["channel"] == channel and r["direction"] in (None, direction))
        self.deadlines: Dict[str, int] = {}
        self.event_ids: set = set()
        self.ended_at: Optional[int] = None
        self.end_reason: Optional[str] = None
        self.human_takeover = False
        self.takeover_minutes: Optional[int] = None
        self.wrap_up: Optional[str] = None
        self.arm(None, now)

    def length_ms(self, timer: Dict[str, Any]) -> Optional[int]:
        name = timer["length"]  # a field of the conversation or of its last takeover, or an engine option
        value = {"idle_timeout_minutes": self.idle, "max_open_minutes": self.max_open,
                 "takeover.minutes": self.takeover_minutes}.get(name, OPTIONS.get(name))
        if value is None:
            return None
        return value * (60_000 if name.endswith("minutes") else 1000)

    def holds(self, when: str) -> bool:
        return {"always": True, "human_takeover": self.human_takeover,
                "wrap_up_pending": self.wrap_up == "pending"}[when]

    def arm(self, cause: Optional[str], at: int) -> None:
        for t in TIMERS:
            length = self.length_ms(t)
            if (length is None or self.status not in t["armed_in"] or self.channel not in t["channels"]
                    or not self.holds(t["when"])):
                self.deadlines.pop(t["name"], None)
            elif t["name"] not in self.deadlines or (cause is not None and cause in t["reset_by"]):
                self.deadlines[t["name"]] = at + length

    def enter(self, to: str, at: int, reason: str) -> None:
        self.status = to
        if to in TERMINAL:  # ends a takeover (no handback event) and opens the wrap-up
            self.ended_at, self.end_reason = at, reason
            self.human_takeover, self.wrap_up = False, "pending"

    def fire_due(self, now: int, out: List[Event]) -> int:
        """Fires the deadlines <= now, earliest first (ties: the table's timer order)."""
        fired = 0
        while self.deadlines:
            at = min(self.deadlines.values())
            if at > now:
                break
            timer = next(t for t in TIMERS if self.deadlines.get(t["name"]) == at)
            del self.deadlines[timer["name"]]
            when = rfc3339(from_ms(at))
            data = {"timer": timer["name"]}
            if timer["effect"] == "status":
                row = next((f for f in timer["fires"] if f["from"] == self.status), None)
                if row is not None:
                    reason = timer["end_reason"]
                    out.append(("status_changed", self.status, row["to"], reason, data, when))
                    self.enter(row["to"], at, reason)
            elif timer["effect"] == "handback":
                self.human_takeover = False
                out.append(("handback", None, None, None, data, when))
            elif timer["effect"] == "finalize":
                self.wrap_up = "done"
                out.append(("finalized", None, None, None, data, when))
            else:
                raise AssertionError(f"timer {timer['name']}: the model does not know effect {timer['effect']!r}")
            self.arm(None, at)
            fired += 1
            event(f"timer fired: {timer['name']}")
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
        self.windows: Dict[str, int] = {}  # business number ("" for none) -> window end, for USER
        self._now = to_ms(START)

    def teardown(self) -> None:
        self.engine.close()

    def window_open(self, contact: str, at: int) -> bool:
        return self.windows.get(contact, at) > at  # open while its end is later (strictly)

    # ---- steps -----------------------------------------------------------------------------

    CREATE = dict(channel=st.sampled_from(TABLE["channels"]), direction=st.sampled_from(["outbound", "inbound"]),
                  idle=st.none() | st.integers(1, 7), max_open=st.none() | st.integers(1, 7), greeting=st.booleans(),
                  seeds=st.lists(st.tuples(st.sampled_from(["user", "agent"]), text), max_size=2),
                  tags=st.none() | st.lists(text, max_size=2), from_number=st.sampled_from([None, "+18885550001"]),
                  template=st.booleans())

    @initialize(**CREATE)
    def first(self, **kwargs: Any) -> None:
        self.create(**kwargs)

    @rule(**CREATE)
    def create(self, channel: str, direction: str, idle: Optional[int], max_open: Optional[int],
               greeting: bool, seeds: List[Tuple[str, str]], tags: Optional[List[str]],
               from_number: Optional[str], template: bool) -> None:
        req: Dict[str, Any] = {"channel": channel, "direction": direction,
                               "user_id": USER if channel in PHONE_CHANNELS else "user_1",
                               "agent_config": {"greeting": "Hi"} if greeting else {}}
        if channel == "email":
            req["to_address"] = "u@example.com"
        if idle is not None:
            req["idle_timeout_minutes"] = idle
        if max_open is not None:
            req["max_open_minutes"] = max_open
        if seeds:
            req["messages"] = [{"role": r, "text": t} for r, t in seeds]
        if tags is not None:
            req["tags"] = tags
        if channel not in ("sms", "whatsapp"):
            from_number = None
        if from_number is not None:
            req["from_number"] = from_number
        template = template and channel == "whatsapp"
        if template:
            req["message"] = {"type": "template", "template": TEMPLATE}
        if (channel == "whatsapp" and direction == "outbound" and not template
                and not self.window_open(from_number or "", self._now)):
            try:
                self.session.create(req)
            except convo.PreconditionFailed as e:
                assert e.detail.startswith("message: the WhatsApp 24-hour window with +15550001111 is closed")
                event("whatsapp create refused: window closed")
                return
            raise AssertionError("an outbound whatsapp create outside the window without a template was accepted")
        out = self.session.create(req)
        cid = out["contact_id"] if channel == "telephone" else out["conversation"]["id"]
        cap = OPTIONS["platform_max_open_minutes"]
        m = Model(cid, channel, direction, None if idle is None else min(idle, cap), min(max_open or cap, cap),
                  from_number, list(tags or []), sum(r == "user" for r, _ in seeds), self._now)
        self.convs.append(m)
        at = rfc3339(from_ms(self._now))
        events: List[Event] = [("created", None, m.status, None, {"channel": channel, "direction": direction}, at)]
        events += [("message", None, None, None, {"role": r, "text": t}, at) for r, t in seeds]
        if template:
            events.append(("message", None, None, None, {"role": "agent", "template": TEMPLATE}, at))
        elif greeting and channel in CHAT_CHANNELS:
            events.append(("message", None, None, None, {"role": "agent", "text": "Hi"}, at))
        self.expect(cid, events)

    @rule(which=st.integers(0, 50), open_ones=st.booleans(), allowed=st.booleans(), data=st.data())
    def dispatch(self, which: int, open_ones: bool, allowed: bool, data: st.DataObject) -> None:
        # Half the time among the conversations still open (most end within minutes).
        among = [m for m in self.convs if m.status not in TERMINAL] if open_ones else []
        among = among or self.convs
        if not among:
            return
        m = among[which % len(among)]
        # Half the time an event the table allows now (so lifecycles get deep), else any event.
        pool = [e for e in EVENTS if row_for(e, m.status, m.channel)] if allowed else EVENTS
        self.send(m, data.draw(st.sampled_from(pool or EVENTS), label="type"), data)

    @rule(which=st.integers(0, 50), kind=st.sampled_from(["message", "message", "takeover", "handback"]),
          data=st.data())
    def converse(self, which: int, kind: str, data: st.DataObject) -> None:
        # What keeps a conversation open: messages, takeovers and handbacks, where the
        # takeover and WhatsApp window rules apply.
        among = [m for m in self.convs if m.status == "in_progress"]
        if among:
            self.send(among[which % len(among)], kind, data)

    def send(self, m: Model, kind: str, data: st.DataObject) -> None:
        body = event_body(data.draw, kind)
        if body.get("event_id") in m.event_ids:  # a retried delivery: OK, nothing happens
            assert self.session.dispatch(m.id, body)["status"] == m.status
            return
        events: List[Event] = []
        m.fire_due(self._now, events)  # deadlines that passed first, at their own times
        before = m.status
        row = row_for(kind, before, m.channel)
        # The rules on messages besides the table, in the engine's order.
        business = body.get("role") in ("agent", "human")
        refusal: Optional[Tuple[type, str]] = None
        if row is None:
            refusal = (convo.Conflict, f"event '{kind}' is not allowed in status '{before}'")
        elif "template" in body and m.channel != "whatsapp":
            refusal = (convo.InvalidRequest, "template: template messages are for channel whatsapp only")
        elif kind == "message" and body["role"] == "agent" and m.human_takeover:
            refusal = (convo.Conflict, "role: a human has taken over")
        elif (kind == "message" and business and m.channel == "whatsapp" and "text" in body
              and not self.window_open(m.contact, self._now)):
            refusal = (convo.PreconditionFailed, "text: the WhatsApp 24-hour customer-service window is closed")
        try:
            got = self.session.dispatch(m.id, body)
        except convo.Error as e:
            assert refusal is not None, f"{kind} from {before} on {m.channel} was refused: {e!r}"
            assert type(e) is refusal[0] and e.detail.startswith(refusal[1]), (refusal, e)
            why = "not in the table" if row is None else refusal[1].split(":")[1].strip()[:30]
            event(f"rejected: {type(e).__name__}, {why}{' (terminal)' if before in TERMINAL else ''}")
        else:
            assert refusal is None, f"{kind} from {before} on {m.channel} was accepted, expected {refusal}"
            assert row is not None and (before not in TERMINAL or row["to"] == before), "a terminal status must absorb"
            at = rfc3339(from_ms(self._now))
            mine: List[Event] = []
            if row["to"] != before:
                reason = END_REASON[kind](body) if row["to"] in TERMINAL else kind
                change = {"event": kind}
                if "skip_notifications" in body:
                    change["skip_notifications"] = body["skip_notifications"]
                mine.append(("status_changed", before, row["to"], reason, change, at))
                m.enter(row["to"], self._now, reason)
            fields = {k: v for k, v in body.items() if k not in ("type", "event_id")}
            if kind == "message":
                if body["role"] == "user":
                    m.user_turns += 1
                    if m.channel == "whatsapp":  # opens the contact's window, or keeps it open
                        self.windows[m.contact] = max(self.windows.get(m.contact, 0), self._now + DAY)
                mine.append(("message", None, None, None, fields, at))
            elif kind == "annotate":
                mine.append(("annotated", None, None, None, fields, at))
            elif kind == "finalize":
                if m.wrap_up == "pending":
                    m.wrap_up = "done"
                    mine.append(("finalized", None, None, None, fields, at))
                elif fields:  # already wrapped up: the fields are still recorded
                    mine.append(("annotated", None, None, None, fields, at))
            elif kind == "takeover":
                m.human_takeover = True
                m.takeover_minutes = body.get("minutes", 10)
            elif kind == "handback" and m.human_takeover:
                m.human_takeover = False
                mine.append(("handback", None, None, None, {"by": "handback"}, at))
            if "tags" in fields and kind in ("annotate", "finalize") and mine:
                m.tags = fields["tags"]
            if kind == "takeover":
                m.arm(kind, self._now)
                until = rfc3339(from_ms(m.deadlines["takeover"]))
                mine.append(("takeover", None, None, None, {"minutes": m.takeover_minutes, "until": until}, at))
            elif mine:
                m.arm(kind, self._now)
            # else: a no-op (handback without a takeover, close or finalize with nothing left
            # to do) changes nothing at all.
            events += mine
            if "event_id" in body:  # every accepted event's id is remembered, a no-op's too
                m.event_ids.add(body["event_id"])
            assert got["status"] == m.status
            if before in TERMINAL:
                assert m.status == before
            event(f"accepted {kind}: {'status changed' if row['to'] != before else 'no-op' if not mine else 'status kept'}")
        self.expect(m.id, events)

    @rule(ms=st.integers(0, 400_000) | st.integers(0, 60_000)
          | st.sampled_from([30_000, 45_000, 60_000, 90_000, 120_000, 300_000, DAY]),
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
        wrap_up_timers = {t["name"] for t in TIMERS if t["when"] == "wrap_up_pending"}
        for m in self.convs:
            c = self.session.get(m.id)
            assert (c["status"], c["expires_at"], c["end_reason"]) == (m.status, m.expires_at(), m.end_reason)
            assert c["ended_at"] == (rfc3339(from_ms(m.ended_at)) if m.ended_at is not None else None)
            assert (c["human_takeover"], c["wrap_up"]) == (m.human_takeover, m.wrap_up)
            until = m.deadlines.get("takeover")
            assert c["human_takeover_until"] == (rfc3339(from_ms(until)) if until is not None else None)
            assert (c["from_number"], c["tags"], c["user_turn_count"]) == (m.from_number, m.tags, m.user_turns)
            if m.channel == "whatsapp":
                end = self.windows.get(m.contact)
                if self.window_open(m.contact, self._now):
                    window = (rfc3339(from_ms(end)), (end - self._now) // 1000)
                else:
                    window = (None, 0)
            else:
                window = (None, None)
            assert (c["chat_window_expires_at"], c["chat_window_remaining_seconds"]) == window
            if m.status in TERMINAL:
                assert c["expires_at"] is None and not m.human_takeover and m.wrap_up in ("pending", "done")
                assert set(m.deadlines) == (wrap_up_timers if m.wrap_up == "pending" else set())
            else:
                assert m.wrap_up is None


def test_the_table_itself_keeps_terminal_statuses_terminal() -> None:
    for kind in TABLE["events"]:
        for row in kind["transitions"]:
            assert row["from"] not in TERMINAL or row["to"] == row["from"], (kind["name"], row)
    # Only phase timers (no status change, no end reason) run in terminal statuses: the wrap-up.
    in_terminal = [t for t in TIMERS if not set(t["armed_in"]).isdisjoint(TERMINAL)]
    assert [t["name"] for t in in_terminal] == ["wrap_up"]
    for t in in_terminal:
        assert (t["closes"], t["fires"], t["effect"], t["when"]) == (False, [], "finalize", "wrap_up_pending")
        assert set(t["armed_in"]) == TERMINAL
    for t in TIMERS:
        assert (t["effect"] == "status") == bool(t["fires"]) == t["closes"], t
    absorbing = {name for name, rows in ROWS.items() if TERMINAL <= {r["from"] for r in rows}}
    assert absorbing == {"annotate", "close", "finalize"}
    assert {r["from"] for r in ROWS["finalize"]} == TERMINAL  # finalize only once ended


LifecycleAgainstDescribe.TestCase.settings = settings(max_examples=200, stateful_step_count=30)
test_random_event_sequences_follow_the_table = LifecycleAgainstDescribe.TestCase
