#!/usr/bin/env python3
"""convo bench end to end at a tiny size (stdlib only).

   bench_check.py /path/to/convo

Checks that the run exits 0, that its JSON has every section with figures, that the self-check
passed (the raw baseline wrote the same rows as convo, table by table) and that the work
directory is gone afterwards; and that a failure (an unusable --dir) is a clear message and a
non-zero exit. No timing is asserted: the figures depend on the machine.
"""
import json
import os
import subprocess
import sys
import tempfile

SECTIONS = ["per_transaction", "concurrency", "tick", "timers", "list", "open", "growth"]


def fail(message, run=None):
    print(f"bench_check: FAILED: {message}", file=sys.stderr)
    if run is not None:
        print(run.stdout[-4000:], run.stderr[-4000:], sep="\n", file=sys.stderr)
    sys.exit(1)


def bench(convo, *args):
    return subprocess.run([convo, "bench", *args], capture_output=True, text=True, timeout=600)


def check_report(doc, run):
    ids = [section["id"] for section in doc.get("sections", [])]
    if ids != SECTIONS:
        fail(f"sections are {ids}, expected {SECTIONS}", run)
    for section in doc["sections"]:
        if not section["rows"]:
            fail(f"section {section['id']} has no rows", run)
        for row in section["rows"]:
            if not isinstance(row["convo"], dict) or not isinstance(row["convo"]["value"], (int, float)):
                fail(f"{section['id']}: row {row['measurement']!r} has no convo figure", run)
    check = doc.get("self_check", {})
    if check.get("row_counts_match") is not True:
        fail(f"the self-check did not pass: {json.dumps(check)}", run)
    if not check.get("counts"):
        fail("the self-check compared nothing", run)
    context = doc.get("context", {})
    for key in ("convo_version", "sqlite_version", "cpu_model", "cores", "command_line"):
        if not context.get(key):
            fail(f"context has no {key}", run)
    if context.get("scale") != 2000 or context.get("ops") != 50:
        fail(f"context says scale {context.get('scale')}, ops {context.get('ops')}", run)


def main():
    convo = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as parent:
        run = bench(convo, "--scale", "2000", "--ops", "50", "--json", "--dir", parent)
        if run.returncode != 0:
            fail(f"exited {run.returncode}", run)
        try:
            doc = json.loads(run.stdout)
        except json.JSONDecodeError as e:
            fail(f"stdout is not JSON: {e}", run)
        check_report(doc, run)
        if os.listdir(parent):
            fail(f"the work directory was left behind: {os.listdir(parent)}", run)

    # A directory the work directory cannot be made in: a message, exit 1, no crash.
    run = bench(convo, "--scale", "2000", "--ops", "50", "--dir", "/proc")
    if run.returncode != 1 or "cannot create a work directory" not in run.stderr:
        fail(f"--dir /proc exited {run.returncode}", run)
    print("bench_check: ok")


if __name__ == "__main__":
    main()
