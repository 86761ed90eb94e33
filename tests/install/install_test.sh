#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then builds and runs a consumer against
# it twice: with CMake's find_package(convo) and with pkg-config.
#   install_test.sh BUILD_DIR CONSUMER_SOURCE_DIR [C_COMPILER]
set -euo pipefail

build=$1
consumer=$2
cc=${3:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "install_test: FAILED: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$work/install.log" \
    || { cat "$work/install.log" >&2; fail "cmake --install"; }
[ -f "$prefix/include/convo/convo.h" ] || fail "convo.h not installed"
config=$(find "$prefix" -name convoConfig.cmake | head -n 1)
[ -n "$config" ] || fail "convoConfig.cmake not installed"
pc=$(find "$prefix" -name convo.pc | head -n 1)
[ -n "$pc" ] || fail "convo.pc not installed"
libdir=$(dirname "$(find "$prefix" -name 'libconvo.so*' | head -n 1)")
# shellcheck source=../sanitizer_preload.sh
. "$(dirname "${BASH_SOURCE[0]}")/../sanitizer_preload.sh"
# Runs a consumer (with a sanitizer build's runtime preloaded; the compilers run without it).
run_consumer() { (sanitizer_preload "$libdir/libconvo.so" > /dev/null && "$@"); }

# 1. CMake: find_package(convo) and convo::convo.
cmake -S "$consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" > "$work/configure.log" \
    || { cat "$work/configure.log" >&2; fail "configuring the consumer"; }
cmake --build "$work/cmake-build" > "$work/build.log" \
    || { cat "$work/build.log" >&2; fail "building the consumer"; }
run_consumer "$work/cmake-build/consumer" || fail "the find_package consumer"

# 2. pkg-config.
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags --libs convo) || fail "pkg-config convo"
# The .pc file must follow the package wherever it is installed (cmake --install --prefix).
pc_includedir=$(pkg-config --variable=includedir convo)
[ -f "$pc_includedir/convo/convo.h" ] \
    || fail "convo.pc says includedir=$pc_includedir, but the header is under $prefix/include"
# shellcheck disable=SC2086 # the flags are words
"$cc" -std=c99 -pedantic -Wall -Wextra -Werror "$consumer/main.c" $flags -o "$work/consumer-pc" \
    || fail "compiling with pkg-config flags ($flags)"
LD_LIBRARY_PATH=$libdir run_consumer "$work/consumer-pc" || fail "the pkg-config consumer"

echo "install_test: ok"
