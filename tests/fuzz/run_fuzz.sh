#!/usr/bin/env bash
# Fuzzes each convo fuzz target for a given time with libFuzzer (ASan + UBSan), then prints one
# line per target (execs, execs/s, corpus, crashes) and a summary line.
#
#   tests/fuzz/run_fuzz.sh [--seconds N] [--build DIR] [--out DIR] [--keep-going] [TARGET...]
#
#   --seconds N    fuzz each target N seconds (default 60)
#   --build DIR    the CONVO_FUZZ=ON build directory (default <repo>/build-fuzz)
#   --out DIR      where logs, the grown corpora and crashes go (default <build>/fuzz-runs/<date>)
#   --keep-going   do not stop at the first crash: libFuzzer's -fork=1 -ignore_crashes=1, so one
#                  run can save several crashes
#   TARGET...      some of: options agent create dispatch list sequence (default: all)
#
# The seeds in tests/fuzz/corpus/<target>/ are read, never written: new inputs go to
# <out>/corpus/<target>/. Each crash (or broken invariant, reported as "INVARIANT BROKEN" and an
# abort) is saved as <out>/crashes/<target>/crash-<sha1>; reproduce it with
#   <build>/tests/fuzz/fuzz_<target> <file>
# and minimize it with
#   <build>/tests/fuzz/fuzz_<target> -minimize_crash=1 -runs=10000 <file>
# Exit status: 0 if no target crashed, 1 otherwise, 2 on a usage or build problem.
#
# Build first (clang-14, libclang-rt-14-dev):
#   CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCONVO_FUZZ=ON -DCONVO_BUILD_TESTS=OFF
#   cmake --build build-fuzz --target fuzz_all -j1
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
seconds=60
build="$repo/build-fuzz"
out=""
keep_going=0
targets=()
all_targets=(options agent create dispatch list sequence)

while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
        --seconds=*) seconds=${1#*=}; shift ;;
        --build) build=${2:?--build needs a directory}; shift 2 ;;
        --build=*) build=${1#*=}; shift ;;
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --out=*) out=${1#*=}; shift ;;
        --keep-going) keep_going=1; shift ;;
        -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run_fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
case "$seconds" in ''|*[!0-9]*) echo "run_fuzz.sh: --seconds must be a whole number" >&2; exit 2 ;; esac
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
[ -n "$out" ] || out="$build/fuzz-runs/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=$(cd "$build" 2>/dev/null && pwd || echo "$build")

for t in "${targets[@]}"; do
    if [ ! -x "$build/tests/fuzz/fuzz_$t" ]; then
        echo "run_fuzz.sh: $build/tests/fuzz/fuzz_$t not found; build with -DCONVO_FUZZ=ON first" >&2
        exit 2
    fi
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$out/logs"
echo "fuzzing ${targets[*]} for ${seconds}s each; output in $out"
printf '%-10s %8s %12s %10s %8s %8s\n' target seconds execs execs/s corpus crashes
total_execs=0
total_crashes=0
for t in "${targets[@]}"; do
    corpus="$out/corpus/$t"
    crashes="$out/crashes/$t"
    log="$out/logs/$t.log"
    mkdir -p "$corpus" "$crashes"
    args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1
          -dict="$here/convo.dict" -artifact_prefix="$crashes/")
    # A seed that still crashes (a regression whose engine fix has not landed) would stop a plain
    # run at once: such a target is fuzzed as with --keep-going.
    mode=plain
    if [ "$keep_going" = 1 ]; then
        mode=keep-going
    elif ! "$build/tests/fuzz/fuzz_$t" -runs=0 "$here/corpus/$t" > "$out/logs/$t.seeds.log" 2>&1; then
        mode=keep-going
        echo "  ($t: a seed fails, see $out/logs/$t.seeds.log; fuzzing with -fork=1 -ignore_crashes=1)"
    fi
    [ "$mode" = keep-going ] && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    start=$(date +%s)
    set +e
    (cd "$out" && "$build/tests/fuzz/fuzz_$t" "${args[@]}" "$corpus" "$here/corpus/$t") > "$log" 2>&1
    set -e
    elapsed=$(( $(date +%s) - start ))
    # Plain runs print stat:: lines; fork runs print progress lines "#N: cov: ... exec/s: E ...".
    execs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{s+=$2} END {print s+0}' || true)
    if [ "$execs" = 0 ]; then
        execs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
        execs=${execs:-0}
    fi
    rate=$(( elapsed > 0 ? execs / elapsed : execs ))
    found=$(find "$crashes" -type f | wc -l)
    size=$(find "$corpus" -type f | wc -l)
    printf '%-10s %8s %12s %10s %8s %8s\n' "$t" "$elapsed" "$execs" "$rate" "$size" "$found"
    # Each saved crash, run once more to print why it failed (first 10).
    find "$crashes" -type f | sort | head -10 | while read -r crash; do
        why=$("$build/tests/fuzz/fuzz_$t" -artifact_prefix="$out/logs/rerun-" "$crash" 2>&1 \
            | grep -aE -m1 'INVARIANT BROKEN|runtime error|ERROR: (Address|Leak)Sanitizer|ERROR: libFuzzer' \
            | sed 's/^==[0-9]*==[ ]*//; s/^==convo-fuzz== //' | cut -c1-200 || true)
        echo "    $crash"
        echo "      ${why:-(does not reproduce on its own: depends on earlier inputs)}"
    done
    total_execs=$(( total_execs + execs ))
    total_crashes=$(( total_crashes + found ))
done
echo "summary: ${#targets[@]} target(s), ${seconds}s each, $total_execs execs, $total_crashes crash(es); logs in $out/logs"
[ "$total_crashes" = 0 ]
