#!/usr/bin/env bash
# Long kill -9 crash-trial runs.
#
#   tests/crash/run_trials.sh <path to crash_trials> [--trials N] [--seed S] [other crash_trials options]
#   tests/crash/run_trials.sh build/tests/crash_trials --threads 4 --trials 1000   # the threaded mode
#
# Defaults: 1000 trials from a seed taken from the clock (printed, so a run can be repeated).
# Prints crash_trials' progress, its summary, the wall time, and a copy of the output in
# crash-trials-<seed>.log (in $CRASH_LOG_DIR, default the current directory). Exits with
# crash_trials' status: 0 when every trial passed.
set -euo pipefail

if [[ $# -lt 1 || ! -x "$1" ]]; then
    echo "usage: $0 <path to the built crash_trials> [--trials N] [--seed S] [options]" >&2
    exit 2
fi
bin=$1
shift

trials=1000
seed=$(( $(date +%s) % 1000000 ))
rest=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --trials) trials=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        *) rest+=("$1"); shift ;;
    esac
done

log="${CRASH_LOG_DIR:-.}/crash-trials-${seed}.log"
echo "crash trials: ${trials} trials from seed ${seed} ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores), log ${log}"
start=$(date +%s)
set +e
"$bin" --trials "$trials" --seed "$seed" "${rest[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
end=$(date +%s)
echo "crash trials: wall time $((end - start)) s; repeat with: $0 $bin --trials ${trials} --seed ${seed}${rest[*]:+ ${rest[*]}}" | tee -a "$log"
exit "$status"
