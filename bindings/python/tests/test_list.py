"""list(), the iter_list() paging iterator, filters, and reading the feed by cursor."""

from __future__ import annotations

import datetime as dt

import pytest

import convo
from conftest import make


@pytest.fixture
def many(engine: convo.Engine, session: convo.Session) -> list:
    ids = []
    for i in range(23):
        engine.advance(dt.timedelta(seconds=1))
        ids.append(make(session, ["text", "email", "webrtc"][i % 3], custom_metadata={"batch": str(i % 2)}))
    return ids


def test_iter_list_follows_every_page_newest_first(session: convo.Session, many: list) -> None:
    pages = []
    q: dict = {"limit": 5}
    while True:
        page = session.list(q)
        pages.append([c["id"] for c in page["items"]])
        if page["next_cursor"] is None:
            break
        q["cursor"] = page["next_cursor"]
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    got = [c["id"] for c in session.iter_list(limit=5)]
    assert got == [i for p in pages for i in p] == list(reversed(many))
    assert [c["id"] for c in session.iter_list()] == got  # default page size, same order


def test_iter_list_filters_apply_on_every_page(engine: convo.Engine, session: convo.Session, many: list) -> None:
    texts = [c["id"] for c in session.iter_list({"channel": "text"}, limit=2)]
    assert texts == [i for n, i in reversed(list(enumerate(many))) if n % 3 == 0]
    batch = list(session.iter_list(custom_metadata={"batch": "1"}, limit=3))
    assert len(batch) == 11 and all(c["custom_metadata"] == {"batch": "1"} for c in batch)
    session.dispatch(many[0], "end")
    assert [c["id"] for c in session.iter_list(status=["completed", "failed"])] == [many[0]]
    assert list(session.iter_list(channel="telephone")) == []


def test_created_after_accepts_a_datetime(engine: convo.Engine, session: convo.Session, many: list) -> None:
    # many[i] was created at START + (i + 1) s
    cutoff = session.get(many[19])["created_at"]
    after = [c["id"] for c in session.iter_list(created_after=dt.datetime.fromisoformat(cutoff.replace("Z", "+00:00")))]
    assert set(after) <= set(many[19:]) and set(many[20:]) <= set(after)


def test_iter_list_is_lazy_and_starts_at_a_given_cursor(session: convo.Session, many: list) -> None:
    first = session.list(limit=4)
    rest = [c["id"] for c in session.iter_list(limit=4, cursor=first["next_cursor"])]
    assert [c["id"] for c in first["items"]] + rest == list(reversed(many))
    it = session.iter_list(limit=1)
    assert next(it)["id"] == many[-1]


def test_events_read_on_by_next_seq(session: convo.Session, many: list) -> None:
    seen, after = [], 0
    while True:
        page = session.events(after=after, limit=7)
        if not page["events"]:
            assert page["next_seq"] == after
            break
        seen += [e["seq"] for e in page["events"]]
        after = page["next_seq"]
    assert seen == list(range(1, len(seen) + 1))
    assert len([s for s in seen]) == len(session.events(0, 1000)["events"])
    with pytest.raises(convo.InvalidRequest, match="limit"):
        session.events(0, 1001)
