"""The campaign example runs as a program and reports a consistent campaign."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import convo

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "campaign.py"


def test_the_campaign_example_runs_and_reports(library_file: str) -> None:
    env = dict(os.environ, CONVO_LIBRARY=library_file)
    p = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.startswith(f"convo {convo.library_version()} campaign: 36 calls from +18885550000, seed 7, "
                          "manual clock from 2026-01-05T09:00:00+00:00\n")
    counts = {m[0]: int(m[1]) for m in re.findall(r"^  (\w[\w ]*?)\s+(\d+)\b", out, re.M)}
    assert counts["calls placed"] == 36
    assert counts["completed"] + counts["unanswered"] + counts["failed"] == 36
    assert counts["completed"] > 0 and counts["unanswered"] > 0
    timers = re.search(r"^  timers fired\s+(\d+)\s+\((.*)\)$", out, re.M)
    assert timers is not None
    fired = dict((r, int(n)) for r, n in (x.rsplit(" ", 1) for x in timers.group(2).split(", ")))
    assert set(fired) == {"dial_timeout", "ring_timeout", "wrap_up"} and sum(fired.values()) == int(timers.group(1))
    assert f"dial_timeout {fired['dial_timeout']}" in re.search(r"^  failed.*$", out, re.M).group(0)
    assert f"ring_timeout {fired['ring_timeout']}" in re.search(r"^  unanswered.*$", out, re.M).group(0)
    # Every ended call is wrapped up: the completed ones by the host's finalize, the rest by the timer.
    assert counts["wrapped up"] == 36
    assert re.search(rf"^  wrapped up\s+36   \(finalized by the host {counts['completed']}, "
                     rf"by the wrap-up timer {36 - counts['completed']}\)$", out, re.M)
    assert fired["wrap_up"] == 36 - counts["completed"]
    feed = re.search(r"^  feed events\s+(\d+)\s+\((.*)\)$", out, re.M)
    assert "created 36" in feed.group(2) and "finalized 36" in feed.group(2)
    assert "status_changed" in feed.group(2) and "message" in feed.group(2)
    assert re.search(r"^  late events\s+\d+   \(refused with 409 Conflict\)$", out, re.M)
    assert p.stderr == ""
