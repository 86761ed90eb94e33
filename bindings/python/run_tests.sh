#!/usr/bin/env bash
# ctest's python.pytest: installs the package the supported way (a venv with the system's site
# packages, pip offline, no build isolation) and runs its pytest suite against one libconvo.so.
# Usage: run_tests.sh /path/to/libconvo.so   (CONVO_PYTHON overrides /usr/bin/python3)
set -euo pipefail

lib=$(realpath "${1:?usage: run_tests.sh /path/to/libconvo.so}")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${CONVO_PYTHON:-/usr/bin/python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/convo-python.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset PYTHONPATH CONVO_LIBRARY

# Install from a copy: pip builds in the tree it is given (build/, *.egg-info), and two ctest
# runs from the same checkout must not share that.
mkdir "$work/package"
cp -r "$here/pyproject.toml" "$here/README.md" "$here/src" "$work/package/"
find "$work/package" -name __pycache__ -prune -exec rm -rf {} +

"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --no-build-isolation --no-index --disable-pip-version-check \
    --quiet "$work/package"
# The suite must test the installed package, not a source tree on the path.
"$work/venv/bin/python" -c 'import convo, sys; assert convo.__file__.startswith(sys.prefix), convo.__file__'

# shellcheck source=../../tests/sanitizer_preload.sh
. "$here/../../tests/sanitizer_preload.sh"
sanitizer_preload "$lib"

cd "$work"
status=0
CONVO_LIBRARY="$lib" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$here/tests" || status=$?
if [ "$status" -eq 5 ]; then
    echo "run_tests.sh: pytest collected no tests" >&2
fi
exit "$status"
