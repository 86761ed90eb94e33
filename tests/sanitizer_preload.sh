# Sourced by the test runners that load libconvo.so into a program that is not instrumented
# (python, node, the install test's consumers). A sanitizer build of the library
# (CONVO_SANITIZE) needs its runtime loaded first, and the C++ runtime too, or ASan cannot
# intercept exceptions.
#   sanitizer_preload /path/to/libconvo.so   (exports LD_PRELOAD when the library needs it)
sanitizer_preload() {
    local preload
    preload=$(ldd "$1" | awk '$1 ~ /^lib(asan|tsan)\.so/ { print $3 }')
    [ -n "$preload" ] || return 0
    preload="$preload $(ldd "$1" | awk '$1 ~ /^libstdc\+\+\.so/ { print $3 }')"
    export LD_PRELOAD="${preload//$'\n'/ }"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}  # the host program's own allocations
    echo "sanitizer build; LD_PRELOAD=$LD_PRELOAD"
}
