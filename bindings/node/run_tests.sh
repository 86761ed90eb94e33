#!/usr/bin/env bash
# Runs the Node binding's tests against a built libconvo.so (ctest: bindings.node).
#   bash bindings/node/run_tests.sh /path/to/libconvo.so
# Installs the locked dependencies first when node_modules is missing (npm registry only).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 /path/to/libconvo.so" >&2
    exit 2
fi
library=$(realpath "$1")
if [ ! -f "$library" ]; then
    echo "run_tests.sh: no library at $1" >&2
    exit 1
fi
cd "$(dirname "${BASH_SOURCE[0]}")"

for tool in node npm; do
    if ! command -v "$tool" > /dev/null; then
        echo "run_tests.sh: $tool not found; install Node.js 18+ with npm (bash .ci/setup)" >&2
        exit 1
    fi
done

if [ ! -d node_modules ]; then
    npm ci --no-audit --no-fund
fi

# shellcheck source=../../tests/sanitizer_preload.sh
. ../../tests/sanitizer_preload.sh
sanitizer_preload "$library"
CONVO_LIBRARY="$library" exec node --test test/*.test.js
