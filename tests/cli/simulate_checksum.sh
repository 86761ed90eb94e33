#!/usr/bin/env bash
# convo simulate: equal seeds give byte-identical feeds (equal checksums), another seed gives
# another feed; --db keeps the database and refuses one that already exists.
#   simulate_checksum.sh /path/to/convo [conversations]
# Every run is also checked step by step against the reference model (non-zero exit if not).
set -euo pipefail

convo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
n=${2:-500}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "simulate_checksum: FAILED: $*" >&2; exit 1; }

# simulate NAME SEED [ARGS...]: runs, keeps NAME.out/NAME.err, prints the checksum.
simulate() {
    local name=$1 seed=$2; shift 2
    "$convo" simulate --seed "$seed" --conversations "$n" --days 1 --restarts 2 "$@" \
        > "$name.out" 2> "$name.err" || { cat "$name.out" "$name.err" >&2; fail "$name exited non-zero"; }
    grep -qE '^  divergences +0$' "$name.out" || { cat "$name.out" >&2; fail "$name: no 'divergences 0'"; }
    local sum
    sum=$(sed -n 's/^  checksum *fnv1a64:\([0-9a-f]\{16\}\)$/\1/p' "$name.out")
    [ -n "$sum" ] || { cat "$name.out" >&2; fail "$name printed no checksum"; }
    echo "$sum"
}

first=$(simulate first 42)
second=$(simulate second 42 --db kept.db)
other=$(simulate other 43)
echo "seed 42: $first, seed 42 again: $second, seed 43: $other"
[ "$first" = "$second" ] || fail "seed 42 gave $first, then $second"
[ "$first" != "$other" ] || fail "seeds 42 and 43 gave the same checksum $first"

# The temporary database is gone; --db leaves its file and refuses to reuse it.
ls "${TMPDIR:-/tmp}"/convo-simulate-*-42.db > /dev/null 2>&1 && fail "a temporary database was left"
[ -s kept.db ] || fail "--db kept.db left no database"
if "$convo" simulate --seed 42 --conversations 10 --db kept.db > reuse.out 2>&1; then
    fail "simulate reused an existing database"
fi
grep -q "already exists" reuse.out || { cat reuse.out >&2; fail "no clear message for an existing --db"; }
echo "simulate_checksum: ok"
