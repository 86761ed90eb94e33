#!/usr/bin/env bash
# The convo CLI end to end: cli_test.sh /path/to/convo
# Runs in a temporary directory; every failure names what it expected.
set -euo pipefail

convo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "cli_test: FAILED: $*" >&2; exit 1; }
expect_in() {  # expect_in FILE TEXT...
    local file=$1; shift
    for text in "$@"; do
        grep -qF -- "$text" "$file" || { cat "$file" >&2; fail "'$text' missing from $file"; }
    done
}
statuses=(triggered ringing token_created in_progress completed unanswered cancelled failed transferred)
channels=(telephone webrtc email text)

# --version
"$convo" --version > version.out
grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' version.out || fail "--version printed '$(cat version.out)'"

# Usage errors exit 2.
set +e
"$convo" no-such-command > /dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "an unknown command exited $rc, expected 2"

# demo: a small day, the summary with all four channels, the database left behind.
"$convo" demo --db demo.db --conversations 200 --seed 7 > demo.out 2> demo.err \
    || { cat demo.out demo.err >&2; fail "demo exited non-zero"; }
expect_in demo.out "convo demo summary" "Final status by channel" "End reasons" \
    "Durations in seconds" "${channels[@]}" "${statuses[@]}"
[ -s demo.db ] || fail "demo left no database"
# Every conversation reached a terminal status: the open statuses' rows are all zero.
for open in triggered ringing token_created in_progress; do
    row=$(grep -E "^$open " demo.out) || fail "no $open row"
    total=$(awk '{print $NF}' <<< "$row")
    [ "$total" = 0 ] || fail "$total conversations still $open after the demo"
done
grep -qE '^total +[0-9 ]+ 200$' demo.out || fail "the status table does not total 200"
# The same seed plays the same day: a second run on the same file counts only its own 200.
"$convo" demo --db demo.db --conversations 200 --seed 7 > demo2.out 2> /dev/null \
    || fail "second demo run exited non-zero"
grep -qE '^total +[0-9 ]+ 200$' demo2.out || fail "the second run counted other runs' conversations"
diff <(sed -n '/^Final status/,/^End reasons/p' demo.out) \
     <(sed -n '/^Final status/,/^End reasons/p' demo2.out) > /dev/null \
    || fail "the same seed gave a different day"

# diagram: dot and mermaid name every status.
"$convo" diagram --format dot > lifecycle.dot
"$convo" diagram --format mermaid > lifecycle.mmd
"$convo" diagram > default.dot
cmp -s lifecycle.dot default.dot || fail "dot is not the default format"
expect_in lifecycle.dot "digraph" "${statuses[@]}"
expect_in lifecycle.mmd "stateDiagram-v2" "${statuses[@]}"
if command -v dot > /dev/null; then
    dot -Tsvg lifecycle.dot > lifecycle.svg || fail "graphviz rejected the dot output"
fi
set +e
"$convo" diagram --format png > /dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "diagram --format png exited $rc, expected 2"

# Round trip on a fresh database.
db=(--db rt.db --org org_cli)
"$convo" "${db[@]}" agent put '{"id":"agent_cli","name":"CLI","phone_number":"+18885550123",
  "versions":[{"version":1,"published":true,"greeting":"Hi from the CLI","speaks_first":true}]}' \
    > agent.json
expect_in agent.json '"agent_cli"' '"Hi from the CLI"'
"$convo" "${db[@]}" agent get agent_cli > agent2.json
expect_in agent2.json '"agent_cli"'

echo '{"channel":"text","user_id":"cli_user","agent_id":"agent_cli"}' \
    | "$convo" "${db[@]}" create - > created.json
expect_in created.json '"in_progress"' '"starting_message"' '"Hi from the CLI"'
id=$(sed -n 's/^    "id": "\([0-9a-f-]*\)",$/\1/p' created.json | head -n 1)
[ -n "$id" ] || { cat created.json >&2; fail "no conversation id in the create output"; }

"$convo" "${db[@]}" get "$id" > got.json
expect_in got.json "\"$id\"" '"status": "in_progress"'
"$convo" "${db[@]}" get "$id" --table > got.txt
expect_in got.txt "status" "in_progress" "Hi from the CLI"

"$convo" "${db[@]}" event "$id" '{"type":"message","role":"user","text":"hello there"}' > msg.json
expect_in msg.json '"user_turn_count": 1' '"hello there"'
"$convo" "${db[@]}" event "$id" '{"type":"end","reason":"resolved"}' > end.json
expect_in end.json '"status": "completed"' '"end_reason": "resolved"'

"$convo" "${db[@]}" list > list.json
expect_in list.json "\"$id\"" '"items"'
"$convo" "${db[@]}" list '{"status":"completed","channel":"text"}' --table > list.txt
expect_in list.txt "$id" "completed"

"$convo" "${db[@]}" watch > feed.jsonl
[ "$(wc -l < feed.jsonl)" -ge 4 ] || fail "watch printed $(wc -l < feed.jsonl) events, expected >= 4"
expect_in feed.jsonl '"type":"created"' '"type":"message"' '"type":"status_changed"'
"$convo" "${db[@]}" watch --after 2 --table > feed.txt
expect_in feed.txt "seq" "completed"
"$convo" "${db[@]}" tick > tick.json
expect_in tick.json '"fired"'

# Another organization does not see it.
set +e
"$convo" --db rt.db --org org_other get "$id" > /dev/null 2> other.err; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "another organization's get exited $rc"
expect_in other.err "convo: CONVO_ENOTFOUND:"

# A forbidden event: conflict, exit 1, the code on stderr.
set +e
"$convo" "${db[@]}" event "$id" '{"type":"answered"}' > /dev/null 2> conflict.err; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a forbidden event exited $rc"
expect_in conflict.err "convo: CONVO_ECONFLICT:"

# An invalid create: exit 1, "convo: CONVO_EINVALID: <detail>" on stderr, nothing on stdout.
set +e
"$convo" "${db[@]}" create '{"channel":"fax","user_id":"u","agent_id":"agent_cli"}' \
    > invalid.out 2> invalid.err; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "an invalid create exited $rc, expected 1"
expect_in invalid.err "convo: CONVO_EINVALID: " "channel"
[ ! -s invalid.out ] || fail "an invalid create printed to stdout"
set +e
"$convo" "${db[@]}" create '{not json' > /dev/null 2> badjson.err; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "malformed JSON exited $rc"
expect_in badjson.err "convo: CONVO_EINVALID: "

echo "cli_test: ok"
