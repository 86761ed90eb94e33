"""Shared fixtures: a manual-clock in-memory engine, an organization with an agent, helpers."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Dict, Iterator

import pytest
from hypothesis import HealthCheck, settings

import convo

# No example database in the source tree; failures print the blob to reproduce them.
settings.register_profile(
    "convo", database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("convo")

START = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
START_TEXT = "2026-01-02T03:04:05.678Z"
AGENT = {
    "id": "support",
    "name": "Support",
    "phone_number": "+18885550000",
    "versions": [{"version": 1, "published": True, "greeting": "Hi! How can I help?"}],
}


def pytest_sessionstart(session: pytest.Session) -> None:
    # The suite must never pass by skipping: without the library, stop with the reason.
    try:
        convo.library_path()
    except convo.LibraryNotFoundError as e:
        pytest.exit(f"the convo tests need libconvo.so: {e}", returncode=3)


def pytest_report_header(config: pytest.Config) -> str:
    return f"convo {convo.__version__} from {convo.__file__}; libconvo {convo.library_version()} from {convo.library_path()}"


@pytest.fixture
def engine() -> Iterator[convo.Engine]:
    with convo.Engine(path=":memory:", clock="manual", start=START) as e:
        yield e


@pytest.fixture
def session(engine: convo.Engine) -> convo.Session:
    s = engine.session("acme")
    s.agent_put(AGENT)
    return s


def request(channel: str, **fields: Any) -> Dict[str, Any]:
    """A valid create request for the channel, with the agent of the `session` fixture."""
    body: Dict[str, Any] = {"channel": channel, "agent_id": "support"}
    body["user_id"] = "+15550001111" if channel in ("telephone", "sms", "whatsapp") else "user_42"
    if channel == "email":
        body["to_address"] = "user@example.com"
    body.update(fields)
    return body


def make(session: convo.Session, channel: str, **fields: Any) -> str:
    """Creates a conversation and returns its id."""
    out = session.create(request(channel, **fields))
    return out["contact_id"] if channel == "telephone" else out["conversation"]["id"]


@pytest.fixture(scope="session")
def library_file() -> str:
    """The file of the library under test as this process mapped it (for subprocesses)."""
    convo.library()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if os.path.basename(path).startswith("libconvo.so"):
                return path
    raise AssertionError("libconvo is loaded but not in /proc/self/maps")
