#!/usr/bin/env bash
# Runs every I/O fault point: every k of every fault kind, in every mode (ctest runs a sample).
#
#   tests/faults/run_all_faults.sh BUILD_DIR/tests/convo_fault_tests [--kinds=write,sync] [--verbose]
#
# Prints one block per kind and mode, then the totals: fault points exercised, distinct
# outcomes, trials that broke a rule (with examples, as FINDING lines), and the trials whose
# call's COMMIT failed (the "reopen path"), with how many reopened to the state before the call
# and how many to the state after it. Exit status 0 when no trial broke a rule.
set -euo pipefail

if [[ $# -lt 1 || ! -x "$1" ]]; then
    echo "usage: $0 PATH/TO/convo_fault_tests [--kinds=a,b] [--verbose]" >&2
    exit 2
fi
bin=$1
shift

filter='Kinds/FaultSweep.*'
args=()
for a in "$@"; do
    case $a in
        --kinds=*)
            filter=''
            IFS=, read -ra kinds <<< "${a#--kinds=}"
            for k in "${kinds[@]}"; do filter+="${filter:+:}Kinds/FaultSweep.EveryPoint/${k}_*"; done
            args+=("$a")
            ;;
        *) args+=("$a") ;;
    esac
done

start=$(date +%s)
status=0
"$bin" --gtest_filter="$filter" --gtest_brief=1 --every-k "${args[@]}" || status=$?
echo "I/O fault sweep (every k): $(( $(date +%s) - start )) s, exit status $status"
exit $status
